import type { Logger } from 'pino'
import type { PrismaClient } from '../generated/prisma/client.js'

/** Loads the reference data. Idempotent: running it again changes nothing. */
export async function seedDatabase(_prisma: PrismaClient, log: Logger): Promise<void> {
  log.info('seed: nothing to load yet')
}
