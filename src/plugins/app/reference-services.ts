import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createAcupointService, type AcupointService } from '../../services/acupoint-service.js'
import { createArticleService, type ArticleService } from '../../services/article-service.js'
import { createChannelService } from '../../services/channel-service.js'
import { createClaimService, type ClaimService } from '../../services/claim-service.js'
import { createSourceService, type SourceService } from '../../services/source-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    acupoints: AcupointService
    channels: ReturnType<typeof createChannelService>
    sources: SourceService
    claims: ClaimService
    articles: ArticleService
  }
}

/** The reference-data services, built once on the app's Prisma client. */
export default fp(
  async function referenceServices(app: FastifyInstance) {
    const acupoints = createAcupointService(app.prisma)
    const sources = createSourceService(app.prisma)
    app.decorate('acupoints', acupoints)
    app.decorate('channels', createChannelService(app.prisma))
    app.decorate('sources', sources)
    app.decorate('claims', createClaimService(app.prisma, acupoints, sources))
    app.decorate('articles', createArticleService(app.prisma, sources))
  },
  { name: 'reference-services', dependencies: ['prisma'] },
)
