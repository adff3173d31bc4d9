import { Prisma, type Claim, type PrismaClient, type Source } from '../generated/prisma/client.js'
import { BadRequestError, ConflictError, NotFoundError } from '../errors/app-errors.js'
import { decodeCursor, encodeCursor, isCursorInt4, toPage } from '../http/pagination.js'
import { EXTRA_POINT_SORT_BASE, sortKeyFor } from '../seed/seed-database.js'
import { presentAcupointDetail, presentAcupointSummary, presentClaim, type AcupointDetailRow } from './reference-presenters.js'
import { createReferenceCache, invalidating, type ReferenceCache } from './reference-cache.js'

export interface AcupointFilters {
  channel?: string
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

const DETAIL_INCLUDE = {
  channel: true,
  standardSource: true,
  claims: { include: { source: true }, orderBy: [{ kind: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }] },
  articles: {
    where: { article: { status: 'published' } },
    include: { article: { select: { slug: true, title: true } } },
    orderBy: [{ article: { publishedAt: 'desc' } }, { articleId: 'asc' }],
  },
} satisfies Prisma.AcupointInclude

const isSortCursor = (value: Record<string, unknown>): value is { k: number } =>
  isCursorInt4(value.k) && Object.keys(value).length === 1

export function createAcupointService(prisma: PrismaClient, cache: ReferenceCache = createReferenceCache({ ttlMs: 0 })) {
  async function findId(code: string): Promise<{ id: string; code: string }> {
    const canonical = normaliseCode(code)
    const point = await prisma.acupoint.findFirst({
      where: { OR: [{ code: canonical }, { alternateCodes: { has: canonical } }] },
      select: { id: true, code: true },
    })
    if (!point) throw new NotFoundError(`No acupoint has the code "${code}".`, 'acupoint_not_found')
    return point
  }

  /** Ids of points whose codes, names, location or claims match a web-style search. */
  async function search(q: string): Promise<string[]> {
    const like = `%${q.replace(/[\\%_]/g, (character) => `\\${character}`)}%`
    const compact = normaliseCode(q)
    const rows = await prisma.$queryRaw<Array<{ id: string }>>`
      SELECT a.id FROM acupoints a
      WHERE to_tsvector('english', concat_ws(' ', a.pinyin, a.english_name, a.location,
              (SELECT string_agg(c.text || ' ' || coalesce(c.keyword, ''), ' ') FROM claims c WHERE c.acupoint_id = a.id)))
            @@ websearch_to_tsquery('english', ${q})
         OR a.code = ${compact} OR ${compact} = ANY (a.alternate_codes)
         OR a.pinyin ILIKE ${like} OR a.english_name ILIKE ${like}
         OR a.hanzi_simplified LIKE ${like} OR a.hanzi_traditional LIKE ${like}`
    return rows.map((row) => row.id)
  }

  function detail(code: string) {
    return cache.get(`acupoint:${normaliseCode(code)}`, async () => {
      const { id } = await findId(code)
      const point = await prisma.acupoint.findUniqueOrThrow({ where: { id }, include: DETAIL_INCLUDE })
      return presentAcupointDetail(point as AcupointDetailRow)
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
      const key = `acupoints:${JSON.stringify([filters.channel, filters.region, filters.organ, filters.effect, filters.q, filters.limit, filters.cursor])}`
      // Pages behind a cursor or free text have client-chosen keys: they get the small pool.
      const volatile = filters.cursor !== undefined || [filters.q, filters.organ, filters.effect].some((text) => text !== undefined)
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
    async update(code: string, patch: Partial<Omit<AcupointInput, 'code'>>, check: (current: ReturnType<typeof presentAcupointDetail>) => void) {
      await invalidating(cache, () => applyUpdate(code, patch, check))
      return detail(code)
    },

    /** Deletes a point nothing refers to; a point with claims or articles gives 409 and stays. */
    async remove(code: string, check: (current: ReturnType<typeof presentAcupointDetail>) => void) {
      await invalidating(cache, () => applyRemove(code, check))
    },
  }

  async function listUncached(filters: AcupointFilters) {
    const after = decodeCursor(filters.cursor, isSortCursor)
    const claimMatches: Prisma.ClaimWhereInput[] = []
    if (filters.organ) claimMatches.push({ kind: 'linked_organ', keyword: normaliseKeyword(filters.organ) })
    if (filters.effect) claimMatches.push({ kind: 'cosmetic_effect', keyword: normaliseKeyword(filters.effect) })
    const claimFilters: Prisma.AcupointWhereInput[] = claimMatches.map((match) => ({ claims: { some: match } }))
    const where: Prisma.AcupointWhereInput = {
      ...(filters.channel ? { channelCode: filters.channel.toUpperCase() } : {}),
      ...(filters.region ? { region: filters.region as Prisma.AcupointWhereInput['region'] } : {}),
      ...(after ? { sortKey: { gt: after.k } } : {}),
      ...(filters.q ? { id: { in: await search(filters.q) } } : {}),
      AND: claimFilters,
    }
    // A point found by what a source claims comes with those claims, so the reader sees who claims it.
    const include = {
      channel: true,
      ...(claimMatches.length > 0
        ? { claims: { where: { OR: claimMatches }, include: { source: true }, orderBy: [{ kind: 'asc' as const }, { id: 'asc' as const }] } }
        : {}),
    }
    const rows = await prisma.acupoint.findMany({ where, include, orderBy: { sortKey: 'asc' }, take: filters.limit + 1 })
    return toPage(rows, filters.limit, (row) => ({
      ...presentAcupointSummary(row),
      ...('claims' in row ? { matchedClaims: (row.claims as Array<Claim & { source: Source }>).map((claim) => presentClaim(claim, row.code)) } : {}),
    }), (row) => encodeCursor({ k: row.sortKey }))
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
        cautions: input.cautions ?? [],
        standardSourceId: input.standardSourceId,
      },
    })
  }

  async function applyUpdate(code: string, patch: Partial<Omit<AcupointInput, 'code'>>, check: (current: ReturnType<typeof presentAcupointDetail>) => void) {
    const { id } = await findId(code)
    const channel = await resolveChannel(patch.channel, patch.number)
    if (patch.standardSourceId) await assertSource(patch.standardSourceId)
    if (patch.alternateCodes !== undefined) await assertCodesFree(patch.alternateCodes.map(normaliseCode), id)
    await prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM acupoints WHERE id = ${id}::uuid FOR UPDATE`
      const current = await tx.acupoint.findUniqueOrThrow({ where: { id }, include: DETAIL_INCLUDE })
      check(presentAcupointDetail(current as AcupointDetailRow))
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
          ...(patch.cautions !== undefined ? { cautions: patch.cautions } : {}),
          ...(patch.standardSourceId !== undefined ? { standardSourceId: patch.standardSourceId } : {}),
          version: { increment: 1 },
        },
      })
    })
  }

  async function applyRemove(code: string, check: (current: ReturnType<typeof presentAcupointDetail>) => void) {
    const { id } = await findId(code)
    await prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM acupoints WHERE id = ${id}::uuid FOR UPDATE`
      const current = await tx.acupoint.findUniqueOrThrow({ where: { id }, include: DETAIL_INCLUDE })
      check(presentAcupointDetail(current as AcupointDetailRow))
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
