import type { Acupoint, Article, Channel, Claim, Source } from '../generated/prisma/client.js'
import { threadState } from './comment-threads.js'

// Turn rows into the API's representations. They are pure, so the same input always gives the
// same JSON, and therefore the same ETag.
//
// A document (a point, a page of points, a channel, an article) carries each source it cites once,
// in `sources`, keyed by id; its facts and claims name theirs by `sourceId`.

export type SourceFields = Pick<Source, 'id' | 'kind' | 'title' | 'author' | 'publisher' | 'url' | 'publishedOn' | 'note'>

export function presentSource(source: SourceFields) {
  return {
    id: source.id,
    kind: source.kind,
    title: source.title,
    author: source.author,
    publisher: source.publisher,
    url: source.url,
    publishedOn: source.publishedOn,
    note: source.note,
  }
}

export type SourceView = ReturnType<typeof presentSource>
export type SourceMap = Record<string, SourceView>

/** The `sources` of a document: the cited ones, in id order, so equal documents serialise equally. */
export function presentSources(sources: Iterable<SourceFields>, cited: Iterable<string | null | undefined>): SourceMap {
  const wanted = new Set([...cited].filter((id): id is string => Boolean(id)))
  const map: SourceMap = {}
  for (const source of [...sources].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (wanted.has(source.id)) map[source.id] = presentSource(source)
  }
  return map
}

/** Ids of every source a document's parts cite, once each, for one `findMany`. */
export function citedSourceIds(...groups: Array<Iterable<{ sourceId?: string | null } | null | undefined>>): string[] {
  const ids = new Set<string>()
  for (const group of groups) {
    for (const item of group) if (item?.sourceId) ids.add(item.sourceId)
  }
  return [...ids]
}

// ─── Channels ────────────────────────────────────────────────────────────────────────────────────

type ChannelOrgan = Pick<Channel, 'code' | 'name' | 'organ' | 'standardSourceId'>

/** Organ keywords are hyphenated (`large-intestine`); in a sentence they are words. */
const organWords = (organ: string) => organ.replace(/-/g, ' ')

function channelLabel(channel: Pick<Channel, 'code' | 'name'>) {
  return channel.code === 'GV' || channel.code === 'CV' ? `the ${channel.name} (${channel.code})` : `the ${channel.name} channel (${channel.code})`
}

export function organStatement(channel: ChannelOrgan): string {
  const label = channelLabel(channel)
  return channel.organ
    ? `${label[0]!.toUpperCase()}${label.slice(1)} is associated with the ${organWords(channel.organ)} (zang-fu).`
    : `${label[0]!.toUpperCase()}${label.slice(1)} is an extraordinary vessel, associated with no organ.`
}

export function presentChannelSummary(channel: Pick<Channel, 'code' | 'name' | 'organ'>) {
  return { code: channel.code, name: channel.name, organ: channel.organ }
}

type ChannelFact = {
  basis: 'standard'
  attribute: 'organ' | 'english_name' | 'pinyin' | 'hanzi'
  value: string
  statement: string
  sourceId: string
}

/** A channel's standard facts: none until the seed step that records them (with their source) has run. */
export function presentChannelFacts(channel: Channel): ChannelFact[] {
  const sourceId = channel.standardSourceId
  if (!sourceId) return []
  const facts: ChannelFact[] = [
    { basis: 'standard', attribute: 'organ', value: channel.organ ?? 'none', statement: organStatement(channel), sourceId },
    { basis: 'standard', attribute: 'english_name', value: channel.name, statement: `Its English name is ${channel.name}.`, sourceId },
  ]
  if (channel.pinyin) {
    facts.push({ basis: 'standard', attribute: 'pinyin', value: channel.pinyin, statement: `Its Chinese name in pinyin is ${channel.pinyin}.`, sourceId })
  }
  if (channel.hanziTraditional && channel.hanziSimplified) {
    facts.push({
      basis: 'standard',
      attribute: 'hanzi',
      value: channel.hanziTraditional,
      statement: `Its Chinese name is ${channel.hanziTraditional} (simplified: ${channel.hanziSimplified}).`,
      sourceId,
    })
  }
  return facts
}

export function presentChannel(channel: Channel) {
  return {
    code: channel.code,
    name: channel.name,
    sequence: channel.sequence,
    pointCount: channel.pointCount,
    organ: channel.organ,
    pinyin: channel.pinyin,
    hanzi: channel.hanziTraditional && channel.hanziSimplified ? { traditional: channel.hanziTraditional, simplified: channel.hanziSimplified } : null,
    facts: presentChannelFacts(channel),
  }
}

// ─── Points ──────────────────────────────────────────────────────────────────────────────────────

type PointWithChannel = Acupoint & { channel: Channel | null }

type SummaryFields = Pick<
  Acupoint,
  'code' | 'alternateCodes' | 'pinyin' | 'hanziTraditional' | 'hanziSimplified' | 'englishName' | 'region' | 'location' | 'locationNote'
>

export function presentAcupointSummary(point: SummaryFields & { channel: Pick<Channel, 'code' | 'name' | 'organ'> | null }) {
  return {
    code: point.code,
    alternateCodes: point.alternateCodes,
    pinyin: point.pinyin,
    hanzi: { traditional: point.hanziTraditional, simplified: point.hanziSimplified },
    englishName: point.englishName,
    channel: point.channel ? presentChannelSummary(point.channel) : null,
    region: point.region,
    location: point.location,
    locationNote: point.locationNote,
  }
}

/** A claim inside a document: its point is the one it sits under, its source is in `sources`. */
export function presentPointClaim(claim: Pick<Claim, 'id' | 'kind' | 'text' | 'keyword' | 'sourceId'>) {
  return { id: claim.id, basis: 'claim' as const, kind: claim.kind, text: claim.text, keyword: claim.keyword, sourceId: claim.sourceId }
}

/** A claim on its own (`/v1/claims/{id}`): it names its point and carries its one source. */
export function presentClaim(claim: Claim & { source: Source }, acupointCode: string) {
  return {
    id: claim.id,
    basis: 'claim' as const,
    acupointCode,
    kind: claim.kind,
    text: claim.text,
    keyword: claim.keyword,
    source: presentSource(claim.source),
  }
}

// The WHO extra-point groups, by the letters after EX-.
const EXTRA_GROUPS = new Map([
  ['HN', 'head and neck'], ['CA', 'chest and abdomen'], ['B', 'back'], ['UE', 'upper extremities'], ['LE', 'lower extremities'],
])

const REGION_LABELS: Record<string, string> = { upper_limb: 'upper limb', lower_limb: 'lower limb' }

type PointFact = {
  basis: 'standard'
  attribute: 'channel' | 'channel_organ' | 'classification' | 'region' | 'location'
  value: string
  statement: string
  sourceId: string
}

export function presentFacts(point: PointWithChannel): PointFact[] {
  const sourceId = point.standardSourceId
  const facts: PointFact[] = []
  if (point.channel) {
    facts.push({
      basis: 'standard',
      attribute: 'channel',
      value: point.channel.code,
      statement: `${point.code} is a point of ${channelLabel(point.channel)}.`,
      sourceId,
    })
    // The channel's organ, sourced as the channel's fact: what a "linked organ" claim is set against.
    if (point.channel.standardSourceId) {
      facts.push({
        basis: 'standard',
        attribute: 'channel_organ',
        value: point.channel.organ ?? 'none',
        statement: organStatement(point.channel),
        sourceId: point.channel.standardSourceId,
      })
    }
  }
  if (!point.channel && point.code.startsWith('EX-')) {
    facts.push({
      basis: 'standard',
      attribute: 'classification',
      value: 'extra_point',
      statement: `${point.code} is an extra point (${EXTRA_GROUPS.get(point.code.split('-')[1]!.replace(/\d+$/, '')) ?? 'outside the channels'}), not one of the 361 channel points.`,
      sourceId,
    })
  }
  if (point.region) {
    facts.push({
      basis: 'standard',
      attribute: 'region',
      value: point.region,
      statement: `${point.code} lies on the ${REGION_LABELS[point.region] ?? point.region}.`,
      sourceId,
    })
  }
  if (point.location) {
    // The text is the value; the statement says whose it is (and points at the note, not repeating it).
    facts.push({
      basis: 'standard',
      attribute: 'location',
      value: point.location,
      statement: `${point.code}'s standard location, in our own words${point.locationNote ? '; `locationNote` says where it is uncertain or disputed' : ''}.`,
      sourceId,
    })
  }
  return facts
}

export type AcupointDetailRow = PointWithChannel & {
  claims: Claim[]
  articles: Array<{ article: Pick<Article, 'slug' | 'title'> }>
}

/** Which views of the head figures a point can be drawn in (see src/services/figures/). */
export function figureViews(figure: unknown): Array<'front' | 'lateral'> {
  if (typeof figure !== 'object' || figure === null) return []
  return (['front', 'lateral'] as const).filter((view) => view in figure)
}

export function presentAcupointDetail(point: AcupointDetailRow, sources: SourceFields[]) {
  const facts = presentFacts(point)
  const claims = point.claims.map(presentPointClaim)
  const views = figureViews(point.figure)
  return {
    ...presentAcupointSummary(point),
    number: point.number,
    cautions: point.cautions,
    standardSourceId: point.standardSourceId,
    facts,
    claims,
    articles: point.articles.map(({ article }) => ({ slug: article.slug, title: article.title })),
    figure: views.length > 0 ? { href: `/v1/acupoints/${encodeURIComponent(point.code)}/figure.svg`, views } : null,
    sources: presentSources(sources, [point.standardSourceId, ...citedSourceIds(facts, claims)]),
  }
}

export type AcupointDetailView = ReturnType<typeof presentAcupointDetail>

// ─── Articles ────────────────────────────────────────────────────────────────────────────────────

export type ArticleDetailRow = Article & {
  points: Array<{ position: number; acupoint: PointWithChannel & { claims: Claim[] } }>
  _count: { comments: number }
}

export function articleSourceIds(article: ArticleDetailRow): string[] {
  return citedSourceIds([article], article.points.flatMap((entry) => entry.acupoint.claims))
}

export function presentArticleSummary(article: {
  slug: string
  title: string
  summary: string
  attribution: string
  status: Article['status']
  publishedAt: Date | null
  pointCodes: string[]
  approvedCommentCount: number
}) {
  return {
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    attribution: article.attribution,
    status: article.status,
    publishedAt: article.publishedAt?.toISOString() ?? null,
    pointCodes: article.pointCodes,
    approvedCommentCount: article.approvedCommentCount,
  }
}

/** `closeAfterDays`: COMMENTS_CLOSE_AFTER_DAYS, which decides (with `commentsOpen`) whether the thread takes comments. */
export function presentArticleDetail(article: ArticleDetailRow, sources: Source[], closeAfterDays = 0, now: Date = new Date()) {
  const points = article.points.map((entry) => ({
    ...presentAcupointSummary(entry.acupoint),
    claims: entry.acupoint.claims.map(presentPointClaim),
  }))
  return {
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    body: article.body,
    attribution: article.attribution,
    sourceUrl: article.sourceUrl,
    sourceId: article.sourceId,
    status: article.status,
    publishedAt: article.publishedAt?.toISOString() ?? null,
    points,
    cautions: article.cautions as Array<{ kind: 'contraindication' | 'side_effect' | 'precaution'; condition: string; text: string }>,
    treatmentPlan: article.treatmentPlan as { phases: unknown[]; notes: string[] } | null,
    approvedCommentCount: article._count.comments,
    commentsOpen: article.commentsOpen,
    ...threadState(article, closeAfterDays, now),
    figure: article.points.some((entry) => figureViews(entry.acupoint.figure).includes('front'))
      ? { href: `/v1/articles/${encodeURIComponent(article.slug)}/figure.svg`, views: ['front' as const] }
      : null,
    updatedAt: article.updatedAt.toISOString(),
    sources: presentSources(sources, [article.sourceId, ...citedSourceIds(points.flatMap((point) => point.claims))]),
  }
}
