import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'

export const SEED_SLUG = 'facial-acupuncture-six-points'

/** A fresh loopback-range address per call, so flood control and rate limits do not mix tests. */
export function freshIp(): string {
  const bytes = randomBytes(3)
  return `127.${bytes[0]}.${bytes[1]}.${Math.max(1, bytes[2]!)}`
}

export interface SubmitOptions {
  ip?: string
  slug?: string
  payload?: Record<string, unknown>
}

export async function submitComment(app: FastifyInstance, options: SubmitOptions = {}) {
  const unique = randomBytes(4).toString('hex')
  return app.inject({
    method: 'POST',
    url: `/v1/articles/${options.slug ?? SEED_SLUG}/comments`,
    remoteAddress: options.ip ?? freshIp(),
    payload: { authorName: `Reader ${unique}`, authorEmail: `reader-${unique}@example.org`, body: `Comment ${unique}`, ...options.payload },
  })
}

/** Reads a comment as a moderator and returns its ETag and status. */
export async function moderationView(app: FastifyInstance, id: string, headers: Record<string, string>) {
  const response = await app.inject({ url: `/v1/moderation/comments/${id}`, headers })
  return { etag: response.headers.etag as string, body: response.json() }
}

export async function moderate(app: FastifyInstance, id: string, status: string, headers: Record<string, string>, reason?: string) {
  const { etag } = await moderationView(app, id, headers)
  return app.inject({
    method: 'PATCH',
    url: `/v1/comments/${id}`,
    headers: { ...headers, 'if-match': etag },
    payload: { status, ...(reason ? { reason } : {}) },
  })
}

/**
 * Holds a row lock from a connection of the test's own (PostgreSQL only), so that concurrent
 * requests that read the row and then update it all queue up at the same point. Once `waiters`
 * sessions are blocked on it, `release()` lets them go at once: a race on demand.
 */
export async function holdRowLock(databaseUrl: string, table: string, id: string) {
  const client = new pg.Client({ connectionString: databaseUrl })
  // The test database is dropped WITH (FORCE) at teardown; a holder left open by a failed test must
  // not turn that into an uncaught error that hides the real failure.
  client.on('error', () => {})
  await client.connect()
  await client.query('BEGIN')
  await client.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [id])
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
  const holder = rows[0]!.pid
  return {
    async waitForWaiters(waiters: number, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        // Activity statistics are a snapshot per transaction: clear it to see the present.
        await client.query('SELECT pg_stat_clear_snapshot()')
        const blocked = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> $1 AND cardinality(pg_blocking_pids(pid)) > 0`, [holder])
        if (blocked.rows[0]!.n >= waiters) return
        if (Date.now() > deadline) throw new Error(`only ${blocked.rows[0]!.n} of ${waiters} sessions reached the lock`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    /** Runs SQL inside the lock holder's transaction (e.g. the change a moderator is making). */
    query: (sql: string, params?: unknown[]) => client.query(sql, params),
    async release() {
      await client.query('COMMIT')
      await client.end()
    },
  }
}
