import { Prisma } from '../generated/prisma/client.js'
import type { AcupointDetailRow, SourceFields } from './reference-presenters.js'

/**
 * A point with its channel, claims, published articles and every source they cite, in one
 * statement whose JSON PostgreSQL builds itself. Prisma's own relation loading costs either seven statements (one per relation) or,
 * with relationJoins, one that is slower still to plan and to decode (issue 13: measured 5.7 and
 * 8.3 ms a read against this one's figure in bench/README.md). Sorted as the representation lists them.
 */
export function detailQuery(by: { code: string } | { id: string }) {
  const where = 'id' in by
    ? Prisma.sql`a.id = ${by.id}::uuid`
    : Prisma.sql`a.code = ${by.code} OR a.alternate_codes @> ARRAY[${by.code}]::text[]`
  return Prisma.sql`
    SELECT a.id::text, a.code, a.alternate_codes AS "alternateCodes", a.channel_code AS "channelCode", a.number, a.sort_key AS "sortKey",
           a.pinyin, a.hanzi_traditional AS "hanziTraditional", a.hanzi_simplified AS "hanziSimplified", a.english_name AS "englishName",
           a.region::text AS region, a.location, a.location_note AS "locationNote", a.figure, a.cautions,
           a.standard_source_id::text AS "standardSourceId", a.version, a.created_at AS "createdAt", a.updated_at AS "updatedAt",
           (SELECT json_build_object('code', ch.code, 'sequence', ch.sequence, 'name', ch.name, 'pointCount', ch.point_count, 'organ', ch.organ,
                                     'pinyin', ch.pinyin, 'hanziTraditional', ch.hanzi_traditional, 'hanziSimplified', ch.hanzi_simplified,
                                     'standardSourceId', ch.standard_source_id)
              FROM channels ch WHERE ch.code = a.channel_code) AS channel,
           COALESCE((SELECT json_agg(json_build_object('id', cl.id, 'acupointId', cl.acupoint_id, 'sourceId', cl.source_id, 'kind', cl.kind,
                                                       'text', cl.text, 'keyword', cl.keyword, 'version', cl.version,
                                                       'createdAt', cl.created_at, 'updatedAt', cl.updated_at)
                                     ORDER BY cl.kind, cl.created_at, cl.id)
                       FROM claims cl WHERE cl.acupoint_id = a.id), '[]') AS claims,
           COALESCE((SELECT json_agg(json_build_object('slug', ar.slug, 'title', ar.title) ORDER BY ar.published_at DESC, ar.id)
                       FROM article_points ap JOIN articles ar ON ar.id = ap.article_id
                      WHERE ap.acupoint_id = a.id AND ar.status = 'published'), '[]') AS articles,
           COALESCE((SELECT json_agg(json_build_object('id', s.id, 'kind', s.kind, 'title', s.title, 'author', s.author, 'publisher', s.publisher,
                                                       'url', s.url, 'publishedOn', s.published_on, 'note', s.note))
                       FROM sources s
                      WHERE s.id = a.standard_source_id
                         OR s.id = (SELECT ch.standard_source_id FROM channels ch WHERE ch.code = a.channel_code)
                         OR s.id IN (SELECT cl.source_id FROM claims cl WHERE cl.acupoint_id = a.id)), '[]') AS sources
      FROM acupoints a
     WHERE ${where}
     LIMIT 1`
}

type JsonClaim = Omit<AcupointDetailRow['claims'][number], 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string }
export type DetailQueryRow = Omit<AcupointDetailRow, 'claims' | 'articles'> & {
  claims: JsonClaim[]
  articles: Array<{ slug: string; title: string }>
  sources: SourceFields[]
}

/** The row in the shapes Prisma's models give (dates as Date), for the presenters. */
export function toDetailRow({ sources, ...row }: DetailQueryRow): { point: AcupointDetailRow; sources: SourceFields[] } {
  const point = {
    ...row,
    claims: row.claims.map((claim) => ({ ...claim, createdAt: new Date(claim.createdAt), updatedAt: new Date(claim.updatedAt) })),
    articles: row.articles.map((article) => ({ article })),
  }
  return { point, sources }
}
