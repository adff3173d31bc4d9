import pg from 'pg'
import { pino } from 'pino'
import { loadConfig } from '../../src/config/config.js'
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js'
import { createScratchDatabase } from './scratch-database.js'
import { applyMigrations } from '../../src/db/schema-engine.js'
import { withPrisma } from '../../src/db/with-prisma.js'
import { seedDatabase } from '../../src/seed/seed-database.js'

export interface TestDatabase {
  url: string
  kind: 'embedded' | 'external'
  /** Runs SQL on this test's database through a plain pg client (for set-up and assertions). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>
  /** The first row of a query that must return one. */
  one<R extends pg.QueryResultRow = Record<string, any>>(sql: string, params?: unknown[]): Promise<R>
  close(): Promise<void>
}

/** The environment's configuration: DATABASE_URL set means real PostgreSQL, unset means PGlite. */
export const environmentConfig = loadConfig(process.env)

export interface TestDatabaseOptions {
  migrate?: boolean
  seed?: boolean
}

/**
 * A database of this test file's own, so files can run in parallel: a fresh in-memory PGlite
 * served over a socket, or a new database on the PostgreSQL server in DATABASE_URL.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const { migrate = true, seed = true } = options
  let url: string
  let dispose: () => Promise<void>
  if (environmentConfig.databaseUrl) {
    const scratch = await createScratchDatabase(environmentConfig.databaseUrl, 'acupoint_test')
    url = scratch.url
    dispose = scratch.drop
  } else {
    const embedded = await startEmbeddedPostgres()
    url = embedded.url
    dispose = () => embedded.close()
  }

  if (migrate) await applyMigrations(url)
  if (migrate && seed) {
    await withPrisma(url, environmentConfig, (prisma) => seedDatabase(prisma, pino({ level: 'silent' })))
  }

  const pool = new pg.Pool({ connectionString: url, max: 1 })
  // An idle connection cut by the teardown's DROP DATABASE … WITH (FORCE) is expected, not a failure.
  pool.on('error', () => {})
  return {
    url,
    kind: environmentConfig.databaseUrl ? 'external' : 'embedded',
    query: (sql, params) => pool.query(sql, params),
    async one(sql, params) {
      const { rows } = await pool.query(sql, params)
      if (!rows[0]) throw new Error(`expected a row from: ${sql}`)
      return rows[0]
    },
    async close() {
      await pool.end()
      await dispose()
    },
  }
}
