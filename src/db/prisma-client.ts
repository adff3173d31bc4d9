import { PrismaPg } from '@prisma/adapter-pg'
import { createCodedPool } from './coded-pool.js'
import { relayPoolNotifications } from './change-notices.js'
import { PrismaClient } from '../generated/prisma/client.js'
import type { AppConfig } from '../config/config.js'

export type { PrismaClient }

/** Called with every SQL statement Prisma sends (for tests that count queries per request). */
export type QueryObserver = (sql: string) => void

export function createPrismaClient(databaseUrl: string, database: AppConfig['database'], onQuery?: QueryObserver): PrismaClient {
  // Our own pool, so that the driver's code-less failures get codes (coded-pool.ts); the adapter ends it on $disconnect.
  const pool = createCodedPool({
    connectionString: databaseUrl,
    max: database.poolMax,
    // Also how long a request waits for a free connection before it gets a 503.
    connectionTimeoutMillis: database.connectTimeoutMs,
    // Both a server-side and a client-side limit: a blackholed connection never answers the first.
    statement_timeout: database.queryTimeoutMs,
    query_timeout: database.queryTimeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
  })
  relayPoolNotifications(pool, databaseUrl)
  const adapter = new PrismaPg(pool, { disposeExternalPool: true })
  if (!onQuery) return new PrismaClient({ adapter })
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
  prisma.$on('query', (event) => onQuery(event.query))
  return prisma
}
