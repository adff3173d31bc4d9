import { Prisma } from '../generated/prisma/client.js'

/**
 * The SQL behind `GET /v1/acupoints`: filters, the search behind `q`, its ranking, the total and the
 * keyset window, in one statement.
 *
 * `q` is matched, accents and case folded by `search_fold`/`search_key` (see migration
 * 20261201090000_reference_content, which also builds the indexes each predicate can use), as:
 *
 * | score  | match                                                                                  |
 * | ------ | -------------------------------------------------------------------------------------- |
 * | 0      | a code or alternate code, in any spelling (`li-20`, `LI 20`, `gv29`, `ex hn3`)          |
 * | 10000  | a whole name: pinyin (tone marks or not, spaces or not), English name, characters      |
 * | 20000  | the point's channel, by English name (`Large Intestine`, `… channel`), pinyin, characters or code |
 * | 30000  | the start of a pinyin or English name, or of the characters                            |
 * | 40000  | part of a name                                                                         |
 * | 50000  | words in the English name, location, location note, channel name or a claim           |
 * | 60000+ | a near miss of the pinyin (a typo): 60000 + 1000 × (1 − trigram similarity)           |
 *
 * Ties go in the standard order (`sort_key`), so the order is total and deterministic, and the
 * keyset cursor is (score, sort_key).
 */

export const SCORE = { code: 0, name: 10_000, channel: 20_000, prefix: 30_000, part: 40_000, words: 50_000, nearMiss: 60_000 } as const
/** Scores run from 0 to SCORE.nearMiss + 1000; a cursor outside that range was not issued by us. */
export const MAX_SCORE = SCORE.nearMiss + 1000
/** Trigram similarity a pinyin near miss needs (pg_trgm's `%` prefilters at its default 0.3). */
const NEAR_MISS_SIMILARITY = 0.45

export interface ListFilters {
  channel?: string | undefined
  channelOrgan?: string | undefined
  region?: string | undefined
  /** Claim keywords, already normalised. */
  organ?: string | undefined
  effect?: string | undefined
  q?: string | undefined
}

export interface ListRow {
  id: string
  code: string
  alternate_codes: string[]
  channel_code: string | null
  channel_name: string | null
  channel_organ: string | null
  pinyin: string
  hanzi_traditional: string
  hanzi_simplified: string
  english_name: string
  region: string | null
  location: string | null
  location_note: string | null
  sort_key: number
  score: number
  total: bigint | number
}

/** Every canonical code a query could mean: `li 20`, `Li-20` → LI20; `ex hn 3`, `EXHN3` → EX-HN3. */
export function codeCandidates(q: string): string[] {
  const compact = q.toUpperCase().replace(/[\s._-]+/g, '')
  const codes = new Set<string>()
  const channelPoint = /^([A-Z]{2})0*(\d{1,3})$/.exec(compact)
  if (channelPoint) codes.add(`${channelPoint[1]}${channelPoint[2]}`)
  const extraPoint = /^EX([A-Z]{1,2})0*(\d{1,3})$/.exec(compact)
  if (extraPoint) codes.add(`EX-${extraPoint[1]}${extraPoint[2]}`)
  return [...codes]
}

/** A channel is often named with the word `channel` or `meridian` after it; the stored name has none. */
const channelName = (q: string) => q.replace(/\b(channel|meridian)\b/gi, ' ')

/** A number written into the SQL text: a constant the planner sees, not a parameter of unknown type. */
const lit = (value: number) => Prisma.raw(String(value))

const claimWith = (kind: 'linked_organ' | 'cosmetic_effect', keyword: string) => Prisma.sql`
  EXISTS (SELECT 1 FROM claims cl WHERE cl.acupoint_id = a.id AND cl.kind = ${kind}::"ClaimKind" AND cl.keyword = ${keyword})`

// The point's side is read from generated, indexed columns (search_pinyin, search_english, search_names,
// search_words): folding is paid once per write. Only the query's own text is folded here.

function searchSql(raw: string) {
  const q = raw.normalize('NFC').trim()
  const codes = codeCandidates(q)
  const key = Prisma.sql`search_key(${q})`
  const channelKey = Prisma.sql`search_key(${channelName(q)})`
  const words = Prisma.sql`websearch_to_tsquery('english', search_fold(${q}))`
  const likePart = Prisma.sql`'%' || replace(replace(replace(${key}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`
  const likePrefix = Prisma.sql`replace(replace(replace(${key}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`
  const channelMatch = Prisma.sql`(search_key(ch.name) = ${channelKey} OR search_key(ch.pinyin) = ${channelKey}
      OR search_key(ch.code) = ${channelKey} OR ch.hanzi_traditional = ${q} OR ch.hanzi_simplified = ${q})`
  const channelHasWords = Prisma.sql`to_tsvector('english', ch.name) @@ ${words}`
  const channelCodes = Prisma.sql`ARRAY(SELECT ch.code FROM channels ch WHERE ${channelMatch})`
  const channelWords = Prisma.sql`ARRAY(SELECT ch.code FROM channels ch WHERE ${channelHasWords})`
  const claimPoints = Prisma.sql`ARRAY(SELECT cl.acupoint_id FROM claims cl WHERE cl.search_words @@ ${words})`
  const similarity = Prisma.sql`similarity(a.search_pinyin, ${key})`
  const nearMiss = Prisma.sql`similarity(p.search_pinyin, ${key}) >= ${lit(NEAR_MISS_SIMILARITY)}`

  // One branch per index: planned apart, each is an index scan (an OR of them all made PostgreSQL scan the table).
  const matches = Prisma.sql`
              SELECT p.id FROM acupoints p WHERE p.code = ANY(${codes}::text[]) OR p.alternate_codes && ${codes}::text[]
        UNION SELECT p.id FROM acupoints p WHERE p.search_pinyin = ${key}
        UNION SELECT p.id FROM acupoints p WHERE p.search_english = ${key}
        UNION SELECT p.id FROM acupoints p WHERE p.hanzi_traditional = ${q} OR p.hanzi_simplified = ${q}
        UNION SELECT p.id FROM channels ch JOIN acupoints p ON p.channel_code = ch.code WHERE ${channelMatch} OR ${channelHasWords}
        UNION SELECT p.id FROM acupoints p WHERE length(${key}) > 0 AND p.search_names LIKE ${likePart}
        UNION SELECT p.id FROM acupoints p WHERE p.search_words @@ ${words}
        UNION SELECT cl.acupoint_id FROM claims cl WHERE cl.search_words @@ ${words}
        UNION SELECT p.id FROM acupoints p WHERE length(${key}) >= 4 AND p.search_pinyin % ${key} AND ${nearMiss}`
  const candidates = Prisma.sql`a.id IN (${matches})`

  const score = Prisma.sql`CASE
    WHEN a.code = ANY(${codes}::text[]) OR a.alternate_codes && ${codes}::text[] THEN ${lit(SCORE.code)}
    WHEN a.search_pinyin = ${key} OR a.search_english = ${key} OR a.hanzi_traditional = ${q} OR a.hanzi_simplified = ${q}
      THEN ${lit(SCORE.name)}
    WHEN a.channel_code = ANY(${channelCodes}) THEN ${lit(SCORE.channel)}
    WHEN length(${key}) > 0 AND (a.search_pinyin LIKE ${likePrefix} OR a.search_english LIKE ${likePrefix}
      OR a.hanzi_traditional LIKE ${likePrefix} OR a.hanzi_simplified LIKE ${likePrefix}) THEN ${lit(SCORE.prefix)}
    WHEN length(${key}) > 0 AND a.search_names LIKE ${likePart} THEN ${lit(SCORE.part)}
    WHEN a.search_words @@ ${words} OR a.channel_code = ANY(${channelWords}) OR a.id = ANY(${claimPoints}) THEN ${lit(SCORE.words)}
    ELSE ${lit(SCORE.nearMiss)} + (1000 - round(${similarity} * 1000))::int
  END`
  return { candidates, score }
}

/** One page of points (`limit + 1` rows, to tell whether there is a next page), each row with the total. */
export function listQuery(filters: ListFilters, after: { s: number; k: number } | undefined, take: number) {
  const conditions: Prisma.Sql[] = []
  if (filters.channel) conditions.push(Prisma.sql`a.channel_code = ${filters.channel.toUpperCase()}`)
  if (filters.channelOrgan) conditions.push(Prisma.sql`c.organ = ${filters.channelOrgan}`)
  if (filters.region) conditions.push(Prisma.sql`a.region = ${filters.region}::"BodyRegion"`)
  if (filters.organ) conditions.push(claimWith('linked_organ', filters.organ))
  if (filters.effect) conditions.push(claimWith('cosmetic_effect', filters.effect))
  const search = filters.q ? searchSql(filters.q) : undefined
  if (search) conditions.push(search.candidates)
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty
  const score = search ? search.score : Prisma.sql`0`
  const window = after ? Prisma.sql`WHERE (r.score, r.sort_key) > (${after.s}, ${after.k})` : Prisma.empty

  return Prisma.sql`
    SELECT * FROM (
      SELECT m.*, count(*) OVER () AS total FROM (
        SELECT a.id::text AS id, a.code, a.alternate_codes, a.channel_code, c.name AS channel_name, c.organ AS channel_organ,
               a.pinyin, a.hanzi_traditional, a.hanzi_simplified, a.english_name, a.region::text AS region, a.location,
               a.location_note, a.sort_key, ${score} AS score
          FROM acupoints a LEFT JOIN channels c ON c.code = a.channel_code
          ${where}
      ) m
    ) r ${window}
    ORDER BY r.score, r.sort_key
    LIMIT ${take}`
}

export interface ClaimRow {
  id: string
  acupoint_id: string
  kind: string
  text: string
  keyword: string | null
  source_id: string
  source_kind: string
  title: string
  author: string | null
  publisher: string | null
  url: string | null
  published_on: string | null
  note: string | null
}

/** The claims a claim filter matched on these points, each with its source, in one statement. */
export function matchedClaimsQuery(pointIds: string[], matches: Array<{ kind: 'linked_organ' | 'cosmetic_effect'; keyword: string }>) {
  const any = Prisma.join(matches.map((match) => Prisma.sql`(cl.kind = ${match.kind}::"ClaimKind" AND cl.keyword = ${match.keyword})`), ' OR ')
  return Prisma.sql`
    SELECT cl.id::text AS id, cl.acupoint_id::text AS acupoint_id, cl.kind::text AS kind, cl.text, cl.keyword, cl.source_id::text AS source_id,
           s.kind::text AS source_kind, s.title, s.author, s.publisher, s.url, s.published_on, s.note
      FROM claims cl JOIN sources s ON s.id = cl.source_id
     WHERE cl.acupoint_id = ANY(${pointIds}::uuid[]) AND (${any})
     ORDER BY cl.kind, cl.id`
}
