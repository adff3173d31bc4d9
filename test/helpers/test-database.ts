import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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
    // A migrated (and seeded) PGlite starts from a snapshot of one: the same data, without running
    // every migration and the seed again for each of the suite's sixty-odd databases.
    const snapshot = migrate ? await embeddedSnapshot(seed) : undefined
    const embedded = await startEmbeddedPostgres(snapshot ? { loadDataDir: snapshot } : {})
    url = embedded.url
    dispose = () => embedded.close()
    if (snapshot) return connect(url, dispose)
  }

  if (migrate) await applyMigrations(url)
  if (migrate && seed) await seedInto(url)
  return connect(url, dispose)
}

const seedInto = (url: string) => withPrisma(url, environmentConfig, (prisma) => seedDatabase(prisma, pino({ level: 'silent' })))

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Everything a migrated and seeded database is made from: a change to any of it makes a new snapshot. */
function snapshotKey(seed: boolean): string {
  const hash = createHash('sha256').update(`seed=${seed}`)
  const add = (entry: string): void => {
    if (statSync(entry).isDirectory()) return readdirSync(entry).sort().forEach((name) => add(path.join(entry, name)))
    hash.update(path.relative(root, entry)).update(readFileSync(entry))
  }
  for (const input of ['prisma/migrations', 'prisma/seed', 'src/seed', 'node_modules/@electric-sql/pglite/package.json']) add(path.join(root, input))
  return hash.digest('hex').slice(0, 16)
}

const snapshots = new Map<boolean, Promise<Blob>>()

/**
 * A tarball of a migrated (and seeded) PGlite, made once and kept in the temporary directory for
 * the test files that run after (each file is its own process); written under a temporary name
 * and renamed, so parallel files never read half a file.
 */
function embeddedSnapshot(seed: boolean): Promise<Blob> {
  let snapshot = snapshots.get(seed)
  if (!snapshot) {
    snapshot = (async () => {
      const file = path.join(tmpdir(), 'acupoint-api-test-snapshots', `${snapshotKey(seed)}.tar`)
      const cached = await readFile(file).catch(() => undefined)
      if (cached) return new Blob([cached])
      const fresh = await startEmbeddedPostgres()
      try {
        await applyMigrations(fresh.url)
        if (seed) await seedInto(fresh.url)
        const made = await fresh.snapshot()
        await mkdir(path.dirname(file), { recursive: true })
        const partial = `${file}.${process.pid}.partial`
        await writeFile(partial, Buffer.from(await made.arrayBuffer()))
        await rename(partial, file)
        return made
      } finally {
        await fresh.close()
      }
    })()
    snapshots.set(seed, snapshot)
  }
  return snapshot
}

function connect(url: string, dispose: () => Promise<void>): TestDatabase {
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
