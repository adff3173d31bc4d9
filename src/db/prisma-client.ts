import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../generated/prisma/client.js'
import type { AppConfig } from '../config/config.js'

export type { PrismaClient }

export function createPrismaClient(databaseUrl: string, database: AppConfig['database']): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: database.poolMax,
    connectionTimeoutMillis: database.connectTimeoutMs,
    // Both a server-side and a client-side limit: a blackholed connection never answers the first.
    statement_timeout: database.queryTimeoutMs,
    query_timeout: database.queryTimeoutMs + 1_000,
    idleTimeoutMillis: 30_000,
  })
  return new PrismaClient({ adapter })
}
