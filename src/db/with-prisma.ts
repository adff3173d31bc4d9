import type { Config } from '../config/config.js'
import { createPrismaClient, type PrismaClient } from './prisma-client.js'

/** A short-lived client for a command or a start-up step. */
export async function withPrisma<T>(url: string, config: Config, work: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  const prisma = createPrismaClient(url, { ...config.database, poolMax: 1 })
  try {
    return await work(prisma)
  } finally {
    await prisma.$disconnect()
  }
}
