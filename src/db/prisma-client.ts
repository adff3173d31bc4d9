import { createHash } from 'node:crypto'
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
  const adapter = new PrismaPg(pool, {
    disposeExternalPool: true,
    ...(database.preparedStatements ? { statementNameGenerator: statementNames() } : {}),
  })
  if (!onQuery) return new PrismaClient({ adapter })
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
  prisma.$on('query', (event) => onQuery(event.query))
  return prisma
}

/** How many distinct statements a process names; past it, statements go unnamed (planned every time). */
export const NAMED_STATEMENT_LIMIT = 500

/**
 * Names for Prisma's statements, so that node-postgres prepares each once per connection and
 * PostgreSQL parses and plans it once, not on every request (issue 13: the unnamed statements'
 * planning was the gap to the raw-pg ceiling). Prisma's statements come in a finite number of
 * shapes, but a shape can vary with its input (an `IN` list's length), so the names are capped:
 * neither this map nor any connection's statement cache can grow without bound.
 */
export function statementNames(limit = NAMED_STATEMENT_LIMIT): (query: { sql: string }) => string {
  const names = new Map<string, string>()
  return ({ sql }) => {
    let name = names.get(sql)
    if (name === undefined) {
      // An empty name is node-postgres's unnamed statement.
      if (names.size >= limit) return ''
      name = `acp_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`
      names.set(sql, name)
    }
    return name
  }
}
