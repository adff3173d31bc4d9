import type { Acupoint, Article, Channel, Claim, Source } from '../generated/prisma/client.js'

// Turn rows into the API's representations. They are pure, so the same input always gives the
// same JSON, and therefore the same ETag.

export function presentSource(source: Source) {
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

export function presentChannel(channel: Channel) {
  return { code: channel.code, name: channel.name, sequence: channel.sequence, pointCount: channel.pointCount }
}

type PointWithChannel = Acupoint & { channel: Channel | null }

export function presentAcupointSummary(point: PointWithChannel) {
  return {
    code: point.code,
    alternateCodes: point.alternateCodes,
    pinyin: point.pinyin,
    hanzi: { traditional: point.hanziTraditional, simplified: point.hanziSimplified },
    englishName: point.englishName,
    channel: point.channel ? { code: point.channel.code, name: point.channel.name } : null,
    region: point.region,
    location: point.location,
  }
}

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

export function presentFacts(point: PointWithChannel & { standardSource: Source }) {
  const source = presentSource(point.standardSource)
  const facts = []
  if (point.channel) {
    facts.push({
      basis: 'standard' as const,
      attribute: 'channel' as const,
      value: point.channel.code,
      statement: `${point.code} is a point of the ${point.channel.name} channel (${point.channel.code}).`,
      source,
    })
  }
  if (!point.channel && point.code.startsWith('EX-')) {
    facts.push({
      basis: 'standard' as const,
      attribute: 'classification' as const,
      value: 'extra_point',
      statement: `${point.code} is an extra point (${EXTRA_GROUPS.get(point.code.split('-')[1]!.replace(/\d+$/, '')) ?? 'outside the channels'}), not one of the 361 channel points.`,
      source,
    })
  }
  if (point.region) {
    facts.push({
      basis: 'standard' as const,
      attribute: 'region' as const,
      value: point.region,
      statement: `${point.code} lies on the ${REGION_LABELS[point.region] ?? point.region}.`,
      source,
    })
  }
  if (point.location) {
    facts.push({ basis: 'standard' as const, attribute: 'location' as const, value: point.location, statement: point.location, source })
  }
  return facts
}

export type AcupointDetailRow = PointWithChannel & {
  standardSource: Source
  claims: Array<Claim & { source: Source }>
  articles: Array<{ article: Pick<Article, 'slug' | 'title'> }>
}

export function presentAcupointDetail(point: AcupointDetailRow) {
  return {
    ...presentAcupointSummary(point),
    number: point.number,
    cautions: point.cautions,
    standardSource: presentSource(point.standardSource),
    facts: presentFacts(point),
    claims: point.claims.map((claim) => presentClaim(claim, point.code)),
    articles: point.articles.map(({ article }) => ({ slug: article.slug, title: article.title })),
  }
}

export type ArticleDetailRow = Article & {
  source: Source | null
  points: Array<{ position: number; acupoint: PointWithChannel }>
  _count: { comments: number }
}

export function presentArticleSummary(article: Article & { points: Array<{ acupoint: Pick<Acupoint, 'code'> }>; _count: { comments: number } }) {
  return {
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    attribution: article.attribution,
    status: article.status,
    publishedAt: article.publishedAt?.toISOString() ?? null,
    pointCodes: article.points.map((entry) => entry.acupoint.code),
    approvedCommentCount: article._count.comments,
  }
}

export function presentArticleDetail(article: ArticleDetailRow) {
  return {
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    body: article.body,
    attribution: article.attribution,
    sourceUrl: article.sourceUrl,
    source: article.source ? presentSource(article.source) : null,
    status: article.status,
    publishedAt: article.publishedAt?.toISOString() ?? null,
    points: article.points.map((entry) => presentAcupointSummary(entry.acupoint)),
    cautions: article.cautions as Array<{ kind: 'contraindication' | 'side_effect' | 'precaution'; condition: string; text: string }>,
    treatmentPlan: article.treatmentPlan as { phases: unknown[]; notes: string[] } | null,
    approvedCommentCount: article._count.comments,
    updatedAt: article.updatedAt.toISOString(),
  }
}
