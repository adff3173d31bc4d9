import { performance } from 'node:perf_hooks'
import type { PrismaClient } from '../generated/prisma/client.js'
import type { ReadRouter } from '../db/read-replicas.js'
import { ServiceUnavailableError } from '../errors/app-errors.js'
import type { FastifyBaseLogger } from 'fastify'

export function createReadinessService(prisma: PrismaClient, reads: ReadRouter, retryAfterSeconds: number, log: FastifyBaseLogger) {
  return {
    /** Round-trips to the database; throws a 503 error when it is unreachable. */
    async check() {
      const started = performance.now()
      try {
        await prisma.$queryRaw`SELECT 1`
      } catch (error) {
        // Whatever stops the round trip (down, wrong password, missing database), we are not ready.
        log.warn({ err: error }, 'readiness check failed')
        throw new ServiceUnavailableError('The database is unreachable.', retryAfterSeconds, 'database_unavailable')
      }
      const latencyMs = Math.round((performance.now() - started) * 100) / 100
      return { status: 'ready' as const, database: { reachable: true as const, latencyMs }, replicas: await reads.check() }
    },
  }
}
