import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config/config.js'
import { startEmbeddedPostgres } from './embedded-postgres.js'
import { applyMigrations } from './schema-engine.js'
import { withPrisma } from './with-prisma.js'
import { seedDatabase } from '../seed/seed-database.js'

export interface OpenDatabase {
  url: string
  kind: 'embedded' | 'external'
  /** For logs: never contains a password. */
  description: string
  /** True when this process started the embedded database (and so is responsible for preparing it). */
  startedHere: boolean
  close(): Promise<void>
}

const LOCK_FILE = 'acupoint-api.lock.json'

interface LockContent {
  pid: number
  url: string
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readLock(dataDir: string): Promise<LockContent | null> {
  try {
    const lock = JSON.parse(await readFile(path.join(dataDir, LOCK_FILE), 'utf8')) as LockContent
    return isAlive(lock.pid) ? lock : null
  } catch {
    return null
  }
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
  const running = await readLock(dataDir)
  if (running) {
    if (!options.shareRunningServer) {
      throw new Error(`Another acupoint-api process (pid ${running.pid}) is using the embedded database in ${dataDir}.`)
    }
    return { url: running.url, kind: 'embedded', description: `embedded PostgreSQL (PGlite) of pid ${running.pid}`, startedHere: false, close: async () => {} }
  }
  const embedded = await startEmbeddedPostgres({ dataDir })
  const lockPath = path.join(dataDir, LOCK_FILE)
  await writeFile(lockPath, JSON.stringify({ pid: process.pid, url: embedded.url } satisfies LockContent))
  log.debug({ dataDir }, 'embedded PostgreSQL started')
  return {
    url: embedded.url,
    kind: 'embedded',
    description: `embedded PostgreSQL (PGlite) in ${dataDir}`,
    startedHere: true,
    async close() {
      await embedded.close()
      await rm(lockPath, { force: true })
    },
  }
}

export async function migrate(url: string, log: Logger): Promise<string[]> {
  const applied = await applyMigrations(url)
  if (applied.length > 0) log.info({ migrations: applied }, `applied ${applied.length} migration(s)`)
  else log.info('database schema is up to date')
  return applied
}

/**
 * Migrates and seeds the database when this process is responsible for it: an embedded one it
 * started (so a fresh clone needs no setup step), or any one the config says to prepare.
 */
export async function prepareDatabase(database: OpenDatabase, config: Config, log: Logger): Promise<void> {
  const embeddedHere = database.kind === 'embedded' && database.startedHere
  if (embeddedHere || config.migrateOnStart) await migrate(database.url, log)
  if (embeddedHere || config.seedOnStart) await withPrisma(database.url, config, (prisma) => seedDatabase(prisma, log))
}
