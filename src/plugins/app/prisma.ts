import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createPrismaClient, type PrismaClient, type QueryObserver } from '../../db/prisma-client.js'
import { describeUrl } from '../../db/database-runtime.js'
import { createReadRouter, type ReadRouter } from '../../db/read-replicas.js'
import type { AppConfig } from '../../config/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
    /** Where public reads go: a caught-up streaming replica, or the primary (read-replicas.ts). */
    reads: ReadRouter
  }
}

export default fp(
  async function prismaPlugin(app: FastifyInstance, options: { config: AppConfig; onQuery?: QueryObserver | undefined }) {
    const { config, onQuery } = options
    // Connects lazily: building the app (for example to write openapi.yaml) needs no database.
    const prisma = createPrismaClient(config.databaseUrl, config.database, onQuery)
    const reads = createReadRouter({
      primary: prisma,
      replicas: config.database.replicaUrls.map((url) => ({
        name: describeUrl(url).replace(/^PostgreSQL at postgresql:\/\//, ''),
        client: createPrismaClient(url, config.database, onQuery),
      })),
      log: app.log,
    })
    app.decorate('prisma', prisma)
    app.decorate('reads', reads)
    app.addHook('onClose', async () => {
      await Promise.all([prisma.$disconnect(), reads.close()])
    })
  },
  { name: 'prisma' },
)
