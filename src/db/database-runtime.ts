import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../config/config.js'
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js'
import { startEmbeddedPostgres } from './embedded-postgres.js'
import { applyMigrations } from './schema-engine.js'
import { withPrisma } from './with-prisma.js'
import { seedDatabase } from '../seed/seed-database.js'
import { refingerprintComments } from '../services/comment-fingerprints.js'

export interface OpenDatabase {
  url: string
  kind: 'embedded' | 'external'
  /** For logs: never contains a password. */
  description: string
  /** True when this process started the embedded database (and so is responsible for preparing it). */
  startedHere: boolean
  close(): Promise<void>
}

export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    // The URL as given, less its password and query (which may carry one too).
    return `PostgreSQL at postgresql://${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`
  } catch {
    return 'PostgreSQL'
  }
}

/**
 * The database this process should use: the one in DATABASE_URL, or the embedded PostgreSQL
 * under DATA_DIR. A data directory is only ever opened by one process; a command run while the
 * server holds it (staff:create, db:seed) connects through the server's socket instead.
 */
export async function openDatabase(config: Config, log: Logger, options: { shareRunningServer: boolean }): Promise<OpenDatabase> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, kind: 'external', description: describeUrl(config.databaseUrl), startedHere: false, close: async () => {} }
  }
  const dataDir = path.resolve(config.dataDir)
  await mkdir(dataDir, { recursive: true })
  // Taken before the database opens, atomically (data-dir-lock.ts): of two processes that start
  // together, exactly one opens the directory.
  for (let waited = 0; ; waited++) {
    const attempt = await acquireDataDirLock(dataDir)
    if (attempt.acquired) return startHere(dataDir, attempt.lock, log)
    const { holder, file } = attempt
    if (!options.shareRunningServer) {
      throw new Error(`Another acupoint-api process (pid ${holder.pid}) is using the embedded database in ${dataDir} (lock: ${file}).`)
    }
    if (holder.url) {
      return { url: holder.url, kind: 'embedded', description: `embedded PostgreSQL (PGlite) of pid ${holder.pid}`, startedHere: false, close: async () => {} }
    }
    // The owner is still starting: its socket address is not written yet.
    if (waited >= 100) throw new Error(`The acupoint-api process (pid ${holder.pid}) holding ${dataDir} did not finish starting.`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function startHere(dataDir: string, lock: DataDirLock, log: Logger): Promise<OpenDatabase> {
  let embedded
  try {
    embedded = await startEmbeddedPostgres({ dataDir })
    await lock.setUrl(embedded.url)
  } catch (error) {
    await embedded?.close()
    await lock.release()
    throw error
  }
  log.debug({ dataDir }, 'embedded PostgreSQL started')
  const started = embedded
  return {
    url: started.url,
    kind: 'embedded',
    description: `embedded PostgreSQL (PGlite) in ${dataDir}`,
    startedHere: true,
    async close() {
      await started.close()
      await lock.release()
    },
  }
}

export async function migrate(url: string, log: Logger, config: Config): Promise<string[]> {
  const applied = await applyMigrations(url)
  if (applied.length > 0) log.info({ migrations: applied }, `applied ${applied.length} migration(s)`)
  else log.info('database schema is up to date')
  // Data that a rule change needs rewritten, which SQL alone cannot compute (comment-fingerprints.ts).
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: config.database.connectTimeoutMs })
  await client.connect()
  const refingerprinted = await refingerprintComments(client).finally(() => client.end())
  if (refingerprinted > 0) log.info(`re-fingerprinted ${refingerprinted} comment(s) for the current duplicate rule`)
  return applied
}

/**
 * Migrates and seeds the database when this process is responsible for it: an embedded one it
 * started (so a fresh clone needs no setup step), or any one the config says to prepare.
 */
export async function prepareDatabase(database: OpenDatabase, config: Config, log: Logger): Promise<void> {
  const embeddedHere = database.kind === 'embedded' && database.startedHere
  // Migrations take a session-level advisory lock: through a transaction-mode pooler they need the direct URL.
  if (embeddedHere || config.migrateOnStart) await migrate(config.database.directUrl ?? database.url, log, config)
  if (embeddedHere || config.seedOnStart) await withPrisma(database.url, config, (prisma) => seedDatabase(prisma, log))
}
