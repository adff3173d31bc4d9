import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createPrismaClient, type PrismaClient, type QueryObserver } from '../../db/prisma-client.js'
import type { AppConfig } from '../../config/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
  }
}

export default fp(
  async function prismaPlugin(app: FastifyInstance, options: { config: AppConfig; onQuery?: QueryObserver | undefined }) {
    // Connects lazily: building the app (for example to write openapi.yaml) needs no database.
    const prisma = createPrismaClient(options.config.databaseUrl, options.config.database, options.onQuery)
    app.decorate('prisma', prisma)
    app.addHook('onClose', async () => {
      await prisma.$disconnect()
    })
  },
  { name: 'prisma' },
)
