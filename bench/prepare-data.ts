import pg from 'pg'
import { pino } from 'pino'
import type { Config } from '../src/config/config.js'
import { applyMigrations } from '../src/db/schema-engine.js'
import { withPrisma } from '../src/db/with-prisma.js'
import { encodeCursor } from '../src/http/pagination.js'
import { seedDatabase } from '../src/seed/seed-database.js'
import { createStaffService } from '../src/services/staff-service.js'

/** The seed article: it gets the deep comment thread, so its detail also counts 25,000+ approved comments. */
export const DEEP_ARTICLE_SLUG = 'facial-acupuncture-six-points'
/** Where POSTs go: a generated article, so the deep thread and the counts the reads see stay fixed. */
export const POST_ARTICLE_SLUG = 'bench-article-0001'

// Bump when the generated shape changes: reruns with an older marker regenerate.
const MARKER = 'bench:volume-v1'

export interface VolumeOptions {
  /** Total comments, the deep thread included. */
  comments: number
  articles: number
  deepComments: number
}

export const DEFAULT_VOLUME: VolumeOptions = { comments: 1_000_000, articles: 1_000, deepComments: 30_000 }

export interface PreparedData {
  moderatorToken: string
  deepCursor: string
  /** Ids of the deep thread's article and of the article POSTs go to (the raw-pg ceilings take ids, not slugs). */
  deepArticleId: string
  postArticleId: string
  /** Generated articles (not the POST target) by their number of pending comments, most first: the API's PATCHes take their ETags from these articles' moderation queues. */
  pendingArticleSlugs: string[]
  /** Pending comments at version 1 on the generated articles: the raw-pg PATCH ceiling moves each once (If-Match "1"). */
  pendingIds: string[]
  counts: Record<string, number>
  generatedNow: boolean
  generateSeconds: number
  explainDeepPage: string
  explainFirstPage: string
  /** The deep page as it was queried before the `created_at >=` bound (for comparison). */
  explainDeepPageWithoutBound: string
}

const log = pino({ level: 'warn' })

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  const result = await work()
  process.stdout.write(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  return result
}

/**
 * Set-based generation: a thousand articles with six points each, then the comments in one
 * INSERT … SELECT generate_series with the secondary indexes dropped and rebuilt afterwards
 * (building an index once is far cheaper than maintaining it row by row).
 */
async function generate(client: pg.Client, volume: VolumeOptions): Promise<void> {
  const others = volume.comments - volume.deepComments
  await client.query('BEGIN')
  await timed(`${volume.articles - 1} articles`, () => client.query(`
    INSERT INTO articles (id, slug, title, summary, body, attribution, status, published_at, cautions, created_at, updated_at)
    SELECT gen_random_uuid(), 'bench-article-' || lpad(g::text, 4, '0'), 'Generated article ' || g,
           'A generated article for the benchmark.', repeat('Generated body text. ', 40), 'Benchmark generator',
           'published', timestamptz '2026-01-01' + g * interval '1 hour', '[]', now(), now()
    FROM generate_series(1, $1::int) g`, [volume.articles - 1]))
  await client.query(`
    INSERT INTO article_points (article_id, acupoint_id, position)
    SELECT a.id, p.id, p.position
    FROM (SELECT id, row_number() OVER (ORDER BY slug) AS n FROM articles WHERE slug LIKE 'bench-article-%') a
    CROSS JOIN LATERAL (
      SELECT id, (row_number() OVER (ORDER BY sort_key) - 1)::int AS position
      FROM (SELECT id, sort_key FROM acupoints ORDER BY sort_key OFFSET (a.n * 7) % 350 LIMIT 6) six
    ) p`)

  const indexes = await client.query<{ name: string; definition: string }>(`
    SELECT indexname AS name, indexdef AS definition FROM pg_indexes
    WHERE tablename = 'comments' AND indexname <> 'comments_pkey'`)
  for (const index of indexes.rows) await client.query(`DROP INDEX "${index.name}"`)

  // Statuses: the deep thread is 5/6 approved; elsewhere 85 % approved, 10 % pending, 3 % rejected, 2 % spam.
  // created_at is one second apart per comment, so the keyset order is the generation order.
  await timed(`${volume.comments.toLocaleString('en')} comments`, async () => {
    await client.query(`
      INSERT INTO comments (id, article_id, author_name, author_email, body, status, ip_address, user_agent,
                            fingerprint, receipt_token_hash, created_at, updated_at)
      SELECT gen_random_uuid(), (SELECT id FROM articles WHERE slug = $2),
             'Deep reader ' || g, 'deep' || g || '@example.com',
             'Comment ' || g || ' on the deep thread: ' || repeat('words ', 20),
             (CASE WHEN g % 6 = 0 THEN 'pending' ELSE 'approved' END)::"CommentStatus",
             '10.1.' || (g % 250) || '.' || (g % 200), 'bench', 'bench-deep-' || g, decode(md5(g::text), 'hex'),
             timestamptz '2026-02-01' + g * interval '1 second', timestamptz '2026-02-01' + g * interval '1 second'
      FROM generate_series(1, $1::int) g`, [volume.deepComments, DEEP_ARTICLE_SLUG])
    await client.query(`
      WITH numbered AS (SELECT id, (row_number() OVER (ORDER BY slug) - 1)::int AS n FROM articles WHERE slug LIKE 'bench-article-%')
      INSERT INTO comments (id, article_id, author_name, author_email, body, status, ip_address, user_agent,
                            fingerprint, receipt_token_hash, created_at, updated_at)
      SELECT gen_random_uuid(), numbered.id, 'Reader ' || g, 'reader' || g || '@example.com',
             'Comment ' || g || ': ' || repeat('words ', 20),
             (CASE WHEN g % 100 < 85 THEN 'approved' WHEN g % 100 < 95 THEN 'pending'
                   WHEN g % 100 < 98 THEN 'rejected' ELSE 'spam' END)::"CommentStatus",
             '10.2.' || (g % 250) || '.' || (g % 200), 'bench', 'bench-' || g, decode(md5(g::text), 'hex'),
             timestamptz '2026-03-01' + g * interval '1 second', timestamptz '2026-03-01' + g * interval '1 second'
      FROM generate_series(1, $1::int) g JOIN numbered ON numbered.n = g % $2::int`, [others, volume.articles - 1])
  })
  // Held comments have their submission in their history, as the API would have written it.
  await timed('submission events of held comments', () => client.query(`
    INSERT INTO moderation_events (id, comment_id, to_status, reason, created_at)
    SELECT gen_random_uuid(), id, status, 'Submitted', created_at FROM comments
    WHERE fingerprint LIKE 'bench-%' AND status <> 'approved'`))
  await timed('rebuilding comment indexes', async () => {
    for (const index of indexes.rows) await client.query(index.definition)
  })
  await client.query('INSERT INTO seed_runs (name, applied_at) VALUES ($1, now())', [MARKER])
  await client.query('COMMIT')
  await timed('VACUUM ANALYZE', async () => {
    for (const table of ['comments', 'moderation_events', 'articles', 'article_points']) await client.query(`VACUUM ANALYZE ${table}`)
  })
}

/** The SQL the comment listing issues (as Prisma renders it, checked with its query log), for EXPLAIN. */
export function pageQuerySql(withCursor: boolean, bound = true): string {
  const order = `(created_at > $2 OR (created_at = $2 AND id > $3::uuid))`
  const keyset = withCursor ? `AND ${bound ? 'created_at >= $2 AND ' : ''}${order}` : ''
  return `SELECT id, parent_id, author_name, body, created_at FROM comments
          WHERE article_id = $1::uuid AND status = 'approved' ${keyset}
          ORDER BY created_at ASC, id ASC LIMIT 21`
}

/**
 * Migrates, seeds and (once) generates the volume on the database at `url`, then reads what the
 * scenarios need: a moderator token, the cursor 10,000 comments deep, pending comment ids.
 */
export async function prepareData(url: string, config: Config, volume: VolumeOptions, pendingWanted: number): Promise<PreparedData> {
  await timed('migrations', () => applyMigrations(url))
  await withPrisma(url, config, (prisma) => seedDatabase(prisma, log))
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const marker = await client.query('SELECT 1 FROM seed_runs WHERE name = $1', [MARKER])
    const started = performance.now()
    const generatedNow = marker.rowCount === 0
    if (generatedNow) {
      process.stdout.write('generating the benchmark volume (first run only)\n')
      await generate(client, volume)
    }
    const generateSeconds = (performance.now() - started) / 1000

    const moderatorToken = await withPrisma(url, config, async (prisma) =>
      (await createStaffService(prisma).createStaffMember('Benchmark moderator', 'moderator')).token)

    const deep = await client.query<{ id: string; created_at: Date; article_id: string }>(`
      SELECT c.id, c.created_at, c.article_id FROM comments c JOIN articles a ON a.id = c.article_id
      WHERE a.slug = $1 AND c.status = 'approved' ORDER BY c.created_at, c.id OFFSET 9999 LIMIT 1`, [DEEP_ARTICLE_SLUG])
    const tenThousandth = deep.rows[0]
    if (!tenThousandth) throw new Error(`${DEEP_ARTICLE_SLUG} has fewer than 10,000 approved comments`)
    // Built the way the server builds its cursors (src/http/pagination.ts, comment-service listPublic).
    const deepCursor = encodeCursor({ t: tenThousandth.created_at.toISOString(), id: tenThousandth.id })

    const explain = async (withCursor: boolean, bound = true) => {
      const params = withCursor ? [tenThousandth.article_id, tenThousandth.created_at, tenThousandth.id] : [tenThousandth.article_id]
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${pageQuerySql(withCursor, bound)}`, params)
      return plan.rows.map((row) => row['QUERY PLAN']).join('\n')
    }

    const pending = await client.query<{ id: string }>(`
      SELECT c.id FROM comments c JOIN articles a ON a.id = c.article_id
      WHERE a.slug LIKE 'bench-article-%' AND c.status = 'pending' AND c.version = 1
      ORDER BY c.created_at DESC LIMIT $1`, [pendingWanted])

    const articleId = async (slug: string) => (await client.query<{ id: string }>('SELECT id::text FROM articles WHERE slug = $1', [slug])).rows[0]!.id

    const counts = await client.query<{ status: string; n: string }>('SELECT status::text, count(*) AS n FROM comments GROUP BY status')
    const articles = await client.query<{ n: string }>('SELECT count(*) AS n FROM articles')
    const points = await client.query<{ n: string }>('SELECT count(*) AS n FROM acupoints')
    const deepApproved = await client.query<{ n: string }>(`
      SELECT count(*) AS n FROM comments c JOIN articles a ON a.id = c.article_id WHERE a.slug = $1 AND c.status = 'approved'`, [DEEP_ARTICLE_SLUG])
    return {
      moderatorToken,
      deepCursor,
      deepArticleId: await articleId(DEEP_ARTICLE_SLUG),
      postArticleId: await articleId(POST_ARTICLE_SLUG),
      pendingArticleSlugs: (await client.query<{ slug: string }>(`
        SELECT a.slug FROM comments c JOIN articles a ON a.id = c.article_id
        WHERE c.status = 'pending' AND a.slug LIKE 'bench-article-%' AND a.slug <> $1
        GROUP BY a.slug ORDER BY count(*) DESC, a.slug`, [POST_ARTICLE_SLUG])).rows.map((row) => row.slug),
      pendingIds: pending.rows.map((row) => row.id),
      counts: {
        ...Object.fromEntries(counts.rows.map((row) => [`comments_${row.status}`, Number(row.n)])),
        comments: counts.rows.reduce((sum, row) => sum + Number(row.n), 0),
        articles: Number(articles.rows[0]!.n),
        acupoints: Number(points.rows[0]!.n),
        deepArticleApproved: Number(deepApproved.rows[0]!.n),
      },
      generatedNow,
      generateSeconds,
      explainFirstPage: await explain(false),
      explainDeepPage: await explain(true),
      explainDeepPageWithoutBound: await explain(true, false),
    }
  } finally {
    await client.end()
  }
}

/** Creates the benchmark's own database on the server in `adminUrl` if it is missing. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
