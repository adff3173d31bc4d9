import { randomBytes, randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import pg from 'pg'

/*
 * The raw-`pg` ceilings (issue 13): for each database-backed scenario, the least work that gives the
 * same answer on the same data at the same durability, in the same kind of child process as the
 * real server (and the bare one). No logging, no validation beyond what the SQL needs, no auth, no
 * cache, prepared statements, one statement per request:
 *
 *   GET   /ceiling/comments/:articleId?limit&cursor   one indexed keyset query (the API's cursor format)
 *   POST  /ceiling/comments/:articleId                 the comment and its submission event, one statement
 *                                                      (one implicit transaction, one commit)
 *   PATCH /ceiling/comments/:id                        status + version and its event, one statement;
 *                                                      If-Match: "<version>" (412 when it is not current)
 *   GET   /ceiling/acupoints/:code                     a point's detail: point, channel, claims, published
 *                                                      articles and cited sources, one statement (JSON built in SQL)
 *   GET   /ceiling/acupoints?region&limit              a filtered page with its total, one statement
 *
 * Durability: the commits run with the database's own `synchronous_commit`, exactly as the API's
 * (neither sets it); GET /ceiling/settings reports it so the bench can record it.
 *
 * Statement names carry a `ceiling-` prefix: on PGlite every connection shares one session, and so
 * one namespace of prepared statements (the bench's own raw query prepares `point`).
 *
 * Usage: DATABASE_URL=… [DB_POOL_MAX=10] node --import tsx bench/ceiling-server.ts
 */
const url = process.env.DATABASE_URL
if (!url) throw new Error('ceiling-server.ts needs DATABASE_URL')
// The API's default pool (src/config/config.ts): 10, or 1 for the embedded database.
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_MAX ?? 10) })
pool.on('error', () => {})

const moderator = await pool.query<{ id: string }>(`SELECT id FROM staff_members WHERE role = 'moderator' ORDER BY created_at LIMIT 1`)
const staffMemberId = moderator.rows[0]?.id ?? null

const PAGE_FIRST = `
  SELECT id::text, parent_id::text, author_name, body, created_at FROM comments
   WHERE article_id = $1::uuid AND status = 'approved'
   ORDER BY created_at, id LIMIT $2`
const PAGE_AFTER = `
  SELECT id::text, parent_id::text, author_name, body, created_at FROM comments
   WHERE article_id = $1::uuid AND status = 'approved'
     AND created_at >= $3::timestamptz AND (created_at, id) > ($3::timestamptz, $4::uuid)
   ORDER BY created_at, id LIMIT $2`
const SUBMIT = `
  WITH c AS (
    INSERT INTO comments (id, article_id, author_name, author_email, body, status, ip_address, client_key, user_agent,
                          fingerprint, receipt_token_hash, updated_at)
    VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4, 'pending', $5, $5, $6, $7, $8, now())
    RETURNING id, created_at
  ), e AS (
    INSERT INTO moderation_events (id, comment_id, to_status, reason)
    SELECT gen_random_uuid(), id, 'pending', 'Submitted' FROM c
  )
  SELECT id::text, created_at FROM c`
const MODERATE = `
  WITH old AS (
    SELECT id, status FROM comments WHERE id = $1::uuid AND version = $2 FOR UPDATE
  ), u AS (
    UPDATE comments c SET status = $3::"CommentStatus", version = c.version + 1, updated_at = now()
      FROM old WHERE c.id = old.id
    RETURNING c.id, c.status, c.version, c.updated_at, old.status AS from_status
  ), e AS (
    INSERT INTO moderation_events (id, comment_id, staff_member_id, from_status, to_status, reason)
    SELECT gen_random_uuid(), id, $4::uuid, from_status, status, $5 FROM u
  )
  SELECT id::text, status::text, version, updated_at FROM u`
// Everything GET /v1/acupoints/{code} presents, as one JSON document built by PostgreSQL.
const POINT = `
  SELECT json_build_object(
    'point', to_jsonb(a) - 'search_pinyin' - 'search_english' - 'search_names' - 'search_words',
    'channel', (SELECT to_jsonb(ch) FROM channels ch WHERE ch.code = a.channel_code),
    'claims', COALESCE((SELECT json_agg(json_build_object('id', cl.id, 'kind', cl.kind, 'text', cl.text, 'keyword', cl.keyword,
                                                          'sourceId', cl.source_id) ORDER BY cl.kind, cl.created_at, cl.id)
                          FROM claims cl WHERE cl.acupoint_id = a.id), '[]'),
    'articles', COALESCE((SELECT json_agg(json_build_object('slug', ar.slug, 'title', ar.title) ORDER BY ar.published_at DESC, ar.id)
                            FROM article_points ap JOIN articles ar ON ar.id = ap.article_id
                           WHERE ap.acupoint_id = a.id AND ar.status = 'published'), '[]'),
    'sources', COALESCE((SELECT json_object_agg(s.id, json_build_object('id', s.id, 'kind', s.kind, 'title', s.title, 'author', s.author,
                                                                        'publisher', s.publisher, 'url', s.url,
                                                                        'publishedOn', s.published_on, 'note', s.note) ORDER BY s.id)
                           FROM sources s
                          WHERE s.id = a.standard_source_id
                             OR s.id = (SELECT standard_source_id FROM channels WHERE code = a.channel_code)
                             OR s.id IN (SELECT source_id FROM claims WHERE acupoint_id = a.id)), '{}')
  )::text AS doc
  FROM acupoints a WHERE a.code = $1 OR a.alternate_codes @> ARRAY[$1]::text[]
  LIMIT 1`
// GET /v1/acupoints?region=…&limit=…: the page (limit + 1 rows, to know whether there is more) and the total.
const POINT_LIST = `
  SELECT json_build_object(
    'items', COALESCE(json_agg(json_build_object(
      'code', r.code, 'alternateCodes', r.alternate_codes, 'pinyin', r.pinyin,
      'hanzi', json_build_object('traditional', r.hanzi_traditional, 'simplified', r.hanzi_simplified),
      'englishName', r.english_name,
      'channel', CASE WHEN r.channel_code IS NULL THEN NULL
                      ELSE json_build_object('code', r.channel_code, 'name', r.channel_name, 'organ', r.channel_organ) END,
      'region', r.region, 'location', r.location, 'locationNote', r.location_note) ORDER BY r.sort_key) FILTER (WHERE r.n <= $2), '[]'),
    'more', count(*) > $2,
    'total', COALESCE(max(r.total), 0)
  )::text AS doc
  FROM (
    SELECT a.code, a.alternate_codes, a.channel_code, c.name AS channel_name, c.organ AS channel_organ, a.pinyin,
           a.hanzi_traditional, a.hanzi_simplified, a.english_name, a.region::text AS region, a.location, a.location_note,
           a.sort_key, count(*) OVER () AS total, row_number() OVER (ORDER BY a.sort_key) AS n
      FROM acupoints a LEFT JOIN channels c ON c.code = a.channel_code
     WHERE a.region = $1::"BodyRegion"
     ORDER BY a.sort_key LIMIT $2 + 1
  ) r`

const encodeCursor = (position: Record<string, string>) => Buffer.from(JSON.stringify(position)).toString('base64url')
const decodeCursor = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t: string; id: string }
const sendJsonText = (reply: { header: (name: string, value: string) => unknown }, text: string) => {
  reply.header('content-type', 'application/json; charset=utf-8')
  return text
}

const app = Fastify({ logger: false })
// No logging, but a failure is reported (once per message, on stderr, which the bench prints): a 500 here is a broken ceiling.
const reported = new Set<string>()
app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
  if (!reported.has(error.message)) {
    reported.add(error.message)
    process.stderr.write(`ceiling error: ${error.message}\n`)
  }
  return reply.code(error.statusCode ?? 500).send({ error: error.message })
})

app.get('/ceiling/settings', async () => {
  const { rows } = await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')
  return { synchronousCommit: rows[0]!.synchronous_commit, poolMax: pool.options.max, staffMemberId }
})

app.get<{ Params: { articleId: string }; Querystring: { limit?: string; cursor?: string } }>('/ceiling/comments/:articleId', async (request) => {
  const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 20)))
  const after = request.query.cursor ? decodeCursor(request.query.cursor) : undefined
  const { rows } = after
    ? await pool.query<{ id: string; parent_id: string | null; author_name: string; body: string; created_at: Date }>(
      { name: 'ceiling-page-after', text: PAGE_AFTER, values: [request.params.articleId, limit + 1, after.t, after.id] })
    : await pool.query<{ id: string; parent_id: string | null; author_name: string; body: string; created_at: Date }>(
      { name: 'ceiling-page-first', text: PAGE_FIRST, values: [request.params.articleId, limit + 1] })
  const items = rows.slice(0, limit).map((row) => ({
    id: row.id, parentId: row.parent_id, authorName: row.author_name, body: row.body, createdAt: row.created_at.toISOString(),
  }))
  const last = items.at(-1)
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ t: last.createdAt, id: last.id }) : null }
})

app.post<{ Params: { articleId: string }; Body: { authorName: string; authorEmail: string; body: string } }>('/ceiling/comments/:articleId', async (request, reply) => {
  const forwarded = request.headers['x-forwarded-for']
  const ip = typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : request.ip
  const receiptToken = randomBytes(32)
  const { rows } = await pool.query<{ id: string; created_at: Date }>({
    name: 'ceiling-submit',
    text: SUBMIT,
    values: [request.params.articleId, request.body.authorName, request.body.authorEmail.toLowerCase(), request.body.body, ip,
      request.headers['user-agent'] ?? null, `ceiling:${randomUUID()}`, randomBytes(32)],
  })
  reply.code(202)
  return { id: rows[0]!.id, status: 'pending', receiptToken: receiptToken.toString('base64url'), createdAt: rows[0]!.created_at.toISOString() }
})

app.patch<{ Params: { id: string }; Body: { status: string; reason?: string } }>('/ceiling/comments/:id', async (request, reply) => {
  const version = Number(/^"(\d+)"$/.exec(request.headers['if-match'] ?? '')?.[1])
  if (!Number.isSafeInteger(version)) return reply.code(428).send()
  const { rows } = await pool.query<{ id: string; status: string; version: number; updated_at: Date }>({
    name: 'ceiling-moderate', text: MODERATE, values: [request.params.id, version, request.body.status, staffMemberId, request.body.reason ?? null],
  })
  const row = rows[0]
  if (!row) return reply.code(412).send()
  reply.header('etag', `"${row.version}"`)
  return { id: row.id, status: row.status, version: row.version, updatedAt: row.updated_at.toISOString() }
})

app.get<{ Params: { code: string } }>('/ceiling/acupoints/:code', async (request, reply) => {
  const { rows } = await pool.query<{ doc: string }>({ name: 'ceiling-point', text: POINT, values: [request.params.code.toUpperCase()] })
  if (!rows[0]) return reply.code(404).send()
  return sendJsonText(reply, rows[0].doc)
})

app.get<{ Querystring: { region: string; limit?: string } }>('/ceiling/acupoints', async (request, reply) => {
  const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 20)))
  const { rows } = await pool.query<{ doc: string }>({ name: 'ceiling-point-list', text: POINT_LIST, values: [request.query.region, limit] })
  return sendJsonText(reply, rows[0]!.doc)
})

const address = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`ready ${address}\n`)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => pool.end()).then(() => process.exit(0)))
}
