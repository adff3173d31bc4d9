import type { ClaimKind, Prisma, PrismaClient, SourceKind } from '../generated/prisma/client.js'
import { BadRequestError, ConflictError, NotFoundError } from '../errors/app-errors.js'
import { decodeCursor, encodeCursor, isCursorInt4, toPage } from '../http/pagination.js'
import { EXTRA_POINT_SORT_BASE, sortKeyFor } from '../seed/seed-database.js'
import { detailQuery, toDetailRow, type DetailQueryRow } from './acupoint-detail-query.js'
import { MAX_SCORE, listQuery, matchedClaimsQuery, type ClaimRow, type ListRow } from './acupoint-search.js'
import {
  presentAcupointDetail, presentAcupointSummary, presentPointClaim, presentSources, type AcupointDetailView,
  type SourceMap,
} from './reference-presenters.js'
import { createReferenceCache, invalidating, type ReferenceCache } from './reference-cache.js'

export interface AcupointFilters {
  channel?: string
  channelOrgan?: string
  region?: string
  organ?: string
  effect?: string
  q?: string
  limit: number
  cursor?: string
}

export interface AcupointInput {
  code: string
  alternateCodes?: string[]
  channel?: string | null
  number?: number | null
  pinyin: string
  hanziTraditional: string
  hanziSimplified: string
  englishName: string
  region?: string | null
  location?: string | null
  locationNote?: string | null
  cautions?: string[]
  standardSourceId: string
}

/** Upper case, no spaces; `li-20` and `LI 20` become `LI20`. Extra-point codes keep their hyphens. */
export function normaliseCode(code: string): string {
  const compact = code.trim().toUpperCase().replace(/\s+/g, '')
  return compact.replace(/^([A-Z]{2})-(\d+)$/, '$1$2')
}

// Keywords are stored singular and lower case; readers type plurals and capitals.
// A Map, not an object literal: a reader's `constructor` or `__proto__` must not find Object.prototype.
const KEYWORD_SYNONYMS = new Map([['lungs', 'lung'], ['kidneys', 'kidney'], ['intestine', 'intestines'], ['wrinkle', 'wrinkles']])
export function normaliseKeyword(keyword: string): string {
  const lower = keyword.trim().toLowerCase().replace(/\s+/g, '-')
  return KEYWORD_SYNONYMS.get(lower) ?? lower
}

const inRange = (value: unknown, max: number): value is number => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max
/** A list cursor: the last row's score and sort key. `{ k }` alone is the form issued before search ranking (score 0). */
const isListCursor = (value: Record<string, unknown>): value is { s?: number; k: number } => {
  const keys = Object.keys(value).sort().join(',')
  return (keys === 'k' || keys === 'k,s') && isCursorInt4(value.k) && (value.s === undefined || inRange(value.s, MAX_SCORE))
}

/** A point's representation, with its channel, claims, articles and the sources they cite: one statement. */
async function loadDetail(client: Pick<PrismaClient, '$queryRaw'>, by: { code: string } | { id: string }) {
  const [found] = await client.$queryRaw<DetailQueryRow[]>(detailQuery(by))
  if (!found) return null
  const { point, sources } = toDetailRow(found)
  return presentAcupointDetail(point, sources)
}

function presentListRow(row: ListRow) {
  return presentAcupointSummary({
    code: row.code,
    alternateCodes: row.alternate_codes,
    pinyin: row.pinyin,
    hanziTraditional: row.hanzi_traditional,
    hanziSimplified: row.hanzi_simplified,
    englishName: row.english_name,
    channel: row.channel_code ? { code: row.channel_code, name: row.channel_name!, organ: row.channel_organ } : null,
    region: row.region as Parameters<typeof presentAcupointSummary>[0]['region'],
    location: row.location,
    locationNote: row.location_note,
  })
}

function presentClaimRows(rows: ClaimRow[]): { byPoint: Map<string, ReturnType<typeof presentPointClaim>[]>; sources: SourceMap } {
  const byPoint = new Map<string, ReturnType<typeof presentPointClaim>[]>()
  for (const row of rows) {
    const claim = presentPointClaim({ id: row.id, kind: row.kind as ClaimKind, text: row.text, keyword: row.keyword, sourceId: row.source_id })
    byPoint.set(row.acupoint_id, [...(byPoint.get(row.acupoint_id) ?? []), claim])
  }
  const sources = presentSources(rows.map((row) => ({
    id: row.source_id,
    kind: row.source_kind as SourceKind,
    title: row.title,
    author: row.author,
    publisher: row.publisher,
    url: row.url,
    publishedOn: row.published_on,
    note: row.note,
  })), rows.map((row) => row.source_id))
  return { byPoint, sources }
}

/** `reader` serves the public reads (a read replica's client, read-replicas.ts); writes and their checks use `prisma`. */
export function createAcupointService(prisma: PrismaClient, cache: ReferenceCache = createReferenceCache({ ttlMs: 0 }), reader: PrismaClient = prisma) {
  async function findId(code: string): Promise<{ id: string; code: string }> {
    const canonical = normaliseCode(code)
    const point = await prisma.acupoint.findFirst({
      where: { OR: [{ code: canonical }, { alternateCodes: { has: canonical } }] },
      select: { id: true, code: true },
    })
    if (!point) throw new NotFoundError(`No acupoint has the code "${code}".`, 'acupoint_not_found')
    return point
  }

  function detail(code: string) {
    return cache.get(`acupoint:${normaliseCode(code)}`, async () => {
      const point = await loadDetail(reader, { code: normaliseCode(code) })
      if (!point) throw new NotFoundError(`No acupoint has the code "${code}".`, 'acupoint_not_found')
      return point
    })
  }

  async function resolveChannel(channel: string | null | undefined, number: number | null | undefined) {
    if (channel === undefined && number === undefined) return undefined
    if ((channel == null) !== (number == null)) {
      throw new BadRequestError('A channel point needs both `channel` and `number`; an extra point has neither.', undefined, 'invalid_channel_number')
    }
    if (channel == null) return { channelCode: null, number: null }
    const found = await prisma.channel.findUnique({ where: { code: channel.toUpperCase() } })
    if (!found) throw new BadRequestError(`There is no channel "${channel}".`, [{ in: 'body', pointer: '/channel', message: 'is not a channel code' }], 'unknown_channel')
    return { channelCode: found.code, number: number!, sortKey: sortKeyFor(found.sequence, number!) }
  }

  async function assertSource(id: string) {
    const found = await prisma.source.findUnique({ where: { id }, select: { id: true } })
    if (!found) {
      throw new BadRequestError(`No source has the id ${id}.`, [{ in: 'body', pointer: '/standardSourceId', message: 'is not a known source' }], 'unknown_source')
    }
  }

  /** Codes and alternate codes are one namespace: a lookup must never find two points. */
  async function assertCodesFree(codes: string[], exceptId?: string) {
    const clash = await prisma.acupoint.findFirst({
      where: {
        OR: [{ code: { in: codes } }, { alternateCodes: { hasSome: codes } }],
        ...(exceptId ? { id: { not: exceptId } } : {}),
      },
      select: { code: true },
    })
    if (clash) throw new ConflictError(`The code(s) ${codes.join(', ')} clash with the acupoint ${clash.code}.`, 'duplicate_acupoint')
  }

  async function nextExtraSortKey(client: Pick<PrismaClient, 'acupoint'> = prisma): Promise<number> {
    const last = await client.acupoint.aggregate({ _max: { sortKey: true }, where: { sortKey: { gte: EXTRA_POINT_SORT_BASE } } })
    return (last._max.sortKey ?? EXTRA_POINT_SORT_BASE) + 1
  }

  return {
    normaliseCode,
    findId,
    detail,

    list(filters: AcupointFilters) {
      // Free-text queries are not cached: their number has no bound, and each costs one statement.
      if (filters.q !== undefined) return listUncached(filters)
      const key = `acupoints:${JSON.stringify([filters.channel, filters.channelOrgan, filters.region, filters.organ, filters.effect, filters.limit, filters.cursor])}`
      // Pages behind a cursor or a claim keyword have client-chosen keys: they get the small pool.
      const volatile = filters.cursor !== undefined || [filters.organ, filters.effect].some((text) => text !== undefined)
      return cache.get(key, () => listUncached(filters), { volatile })
    },

    async create(input: AcupointInput) {
      const code = normaliseCode(input.code)
      await invalidating(cache, () => insert(code, input))
      return detail(code)
    },

    /**
     * Applies a partial update if `check` accepts the current representation (the If-Match test),
     * holding a row lock so that two editors cannot both pass the check.
     */
    async update(code: string, patch: Partial<Omit<AcupointInput, 'code'>>, check: (current: AcupointDetailView) => void) {
      await invalidating(cache, () => applyUpdate(code, patch, check))
      return detail(code)
    },

    /** Deletes a point nothing refers to; a point with claims or articles gives 409 and stays. */
    async remove(code: string, check: (current: AcupointDetailView) => void) {
      await invalidating(cache, () => applyRemove(code, check))
    },
  }

  /** One statement for the page and its total; a second, with a claim filter, for the matched claims and their sources. */
  async function listUncached(filters: AcupointFilters) {
    const decoded = decodeCursor(filters.cursor, isListCursor)
    const after = decoded ? { s: decoded.s ?? 0, k: decoded.k } : undefined
    const organ = filters.organ ? normaliseKeyword(filters.organ) : undefined
    const effect = filters.effect ? normaliseKeyword(filters.effect) : undefined
    const rows = await reader.$queryRaw<ListRow[]>(listQuery({ ...filters, organ, effect }, after, filters.limit + 1))
    const page = toPage(rows, filters.limit, (row) => row, (row) => encodeCursor({ s: row.score, k: row.sort_key }))
    const total = Number(rows[0]?.total ?? 0)
    // A point found by what a source claims comes with those claims, so the reader sees who claims it.
    const matches = [
      ...(organ ? [{ kind: 'linked_organ' as const, keyword: organ }] : []),
      ...(effect ? [{ kind: 'cosmetic_effect' as const, keyword: effect }] : []),
    ]
    if (matches.length === 0 || page.items.length === 0) {
      return { items: page.items.map(presentListRow), nextCursor: page.nextCursor, total, sources: {} as SourceMap }
    }
    const claims = presentClaimRows(await reader.$queryRaw<ClaimRow[]>(matchedClaimsQuery(page.items.map((row) => row.id), matches)))
    return {
      items: page.items.map((row) => ({ ...presentListRow(row), matchedClaims: claims.byPoint.get(row.id) ?? [] })),
      nextCursor: page.nextCursor,
      total,
      sources: claims.sources,
    }
  }

  async function insert(code: string, input: AcupointInput) {
    await assertSource(input.standardSourceId)
    const channel = (await resolveChannel(input.channel ?? null, input.number ?? null))!
    const sortKey = channel.channelCode ? channel.sortKey! : await nextExtraSortKey()
    const alternateCodes = (input.alternateCodes ?? []).map(normaliseCode)
    await assertCodesFree([code, ...alternateCodes])
    const clash = channel.channelCode ? await prisma.acupoint.findFirst({ where: { sortKey }, select: { code: true } }) : null
    if (clash) throw new ConflictError(`${clash.code} already holds that position on the channel.`, 'duplicate_acupoint')
    await prisma.acupoint.create({
      data: {
        code,
        alternateCodes,
        channelCode: channel.channelCode,
        number: channel.number,
        sortKey,
        pinyin: input.pinyin,
        hanziTraditional: input.hanziTraditional,
        hanziSimplified: input.hanziSimplified,
        englishName: input.englishName,
        region: (input.region ?? null) as Prisma.AcupointCreateInput['region'],
        location: input.location ?? null,
        locationNote: input.locationNote ?? null,
        cautions: input.cautions ?? [],
        standardSourceId: input.standardSourceId,
      },
    })
  }

  async function applyUpdate(code: string, patch: Partial<Omit<AcupointInput, 'code'>>, check: (current: AcupointDetailView) => void) {
    const { id } = await findId(code)
    const channel = await resolveChannel(patch.channel, patch.number)
    if (patch.standardSourceId) await assertSource(patch.standardSourceId)
    if (patch.alternateCodes !== undefined) await assertCodesFree(patch.alternateCodes.map(normaliseCode), id)
    await prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM acupoints WHERE id = ${id}::uuid FOR UPDATE`
      const current = (await tx.acupoint.findUniqueOrThrow({ where: { id }, select: { sortKey: true } }))
      check((await loadDetail(tx, { id }))!)
      // A channel point turned into an extra point moves after the channel points.
      if (channel && !channel.channelCode && current.sortKey < EXTRA_POINT_SORT_BASE) channel.sortKey = await nextExtraSortKey(tx)
      await tx.acupoint.update({
        where: { id },
        data: {
          ...(patch.alternateCodes !== undefined ? { alternateCodes: patch.alternateCodes.map(normaliseCode) } : {}),
          ...(channel ? { channelCode: channel.channelCode, number: channel.number, ...(channel.sortKey ? { sortKey: channel.sortKey } : {}) } : {}),
          ...(patch.pinyin !== undefined ? { pinyin: patch.pinyin } : {}),
          ...(patch.hanziTraditional !== undefined ? { hanziTraditional: patch.hanziTraditional } : {}),
          ...(patch.hanziSimplified !== undefined ? { hanziSimplified: patch.hanziSimplified } : {}),
          ...(patch.englishName !== undefined ? { englishName: patch.englishName } : {}),
          ...(patch.region !== undefined ? { region: patch.region as Prisma.AcupointUpdateInput['region'] } : {}),
          ...(patch.location !== undefined ? { location: patch.location } : {}),
          ...(patch.locationNote !== undefined ? { locationNote: patch.locationNote } : {}),
          ...(patch.cautions !== undefined ? { cautions: patch.cautions } : {}),
          ...(patch.standardSourceId !== undefined ? { standardSourceId: patch.standardSourceId } : {}),
          version: { increment: 1 },
        },
      })
    })
  }

  async function applyRemove(code: string, check: (current: AcupointDetailView) => void) {
    const { id } = await findId(code)
    await prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM acupoints WHERE id = ${id}::uuid FOR UPDATE`
      const current = (await loadDetail(tx, { id }))!
      check(current)
      // One after the other: a transaction is one connection, and pg will not queue queries on it for long.
      const claims = await tx.claim.count({ where: { acupointId: id } })
      const articles = await tx.articlePoint.count({ where: { acupointId: id } })
      if (claims > 0 || articles > 0) {
        throw new ConflictError(
          `${current.code} is still referenced by ${claims} claim(s) and ${articles} article(s); remove those first.`,
          'still_referenced',
        )
      }
      await tx.acupoint.delete({ where: { id } })
    })
  }
}

export type AcupointService = ReturnType<typeof createAcupointService>
