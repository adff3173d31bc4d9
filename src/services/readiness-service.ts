import { performance } from 'node:perf_hooks'
import type { PrismaClient } from '../generated/prisma/client.js'
import { ServiceUnavailableError } from '../errors/app-errors.js'
import { isDatabaseUnavailable } from '../db/database-errors.js'

export function createReadinessService(prisma: PrismaClient, retryAfterSeconds: number) {
  return {
    /** Round-trips to the database; throws a 503 error when it is unreachable. */
    async check() {
      const started = performance.now()
      try {
        await prisma.$queryRaw`SELECT 1`
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error
        throw new ServiceUnavailableError('The database is unreachable.', retryAfterSeconds, 'database_unavailable')
      }
      return { status: 'ready' as const, database: { reachable: true as const, latencyMs: Math.round((performance.now() - started) * 100) / 100 } }
    },
  }
}
