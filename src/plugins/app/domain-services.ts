import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createAcupointService, type AcupointService } from '../../services/acupoint-service.js'
import { createArticleService, type ArticleService } from '../../services/article-service.js'
import { createChannelService } from '../../services/channel-service.js'
import { createClaimService, type ClaimService } from '../../services/claim-service.js'
import { createSourceService, type SourceService } from '../../services/source-service.js'
import { createCommentService, type CommentService } from '../../services/comment-service.js'
import { createCommentAuthorService, type CommentAuthorService } from '../../services/comment-author-service.js'
import { createCommentFlagService, type CommentFlagService } from '../../services/comment-flag-service.js'
import type { AppConfig } from '../../config/config.js'
import { createReferenceCache, type ReferenceCache } from '../../services/reference-cache.js'
import { createFigureService, type FigureService } from '../../services/figures/figure-service.js'
import { readSeedFile, type HeadFigureFile } from '../../seed/seed-data.js'

declare module 'fastify' {
  interface FastifyInstance {
    acupoints: AcupointService
    channels: ReturnType<typeof createChannelService>
    sources: SourceService
    claims: ClaimService
    articles: ArticleService
    comments: CommentService
    /** What a comment's author does with the receipt token: edit, withdraw. */
    commentAuthors: CommentAuthorService
    /** Readers' flags, and moderators dismissing them. */
    commentFlags: CommentFlagService
    figures: FigureService
    /** Representations of reference data and public comment pages, shared by the services above. */
    referenceCache: ReferenceCache
  }
}

/** The domain services, built once on the app's Prisma client. */
export default fp(
  async function domainServices(app: FastifyInstance, options: { config: AppConfig }) {
    // One cache for all reference data: a write anywhere in it clears every representation it may appear in.
    // Every clear is a committed change: read replicas must replay past it before they serve again.
    const cache = createReferenceCache({ ttlMs: options.config.referenceCacheSeconds * 1000, onClear: () => app.reads.fence() })
    app.decorate('referenceCache', cache)
    // Public reads go through the replica router (the primary's client when there are no replicas).
    const reader = app.reads.client
    const acupoints = createAcupointService(app.prisma, cache, reader)
    const sources = createSourceService(app.prisma, cache, reader)
    app.decorate('acupoints', acupoints)
    app.decorate('channels', createChannelService(reader, cache))
    app.decorate('sources', sources)
    app.decorate('claims', createClaimService(app.prisma, acupoints, sources, cache, reader))
    const articles = createArticleService(app.prisma, sources, cache, options.config.comments, reader, app.webhookDispatcher.poke)
    app.decorate('articles', articles)
    // The figures' drawing basis: the landmarks the stored point positions are measured against.
    const { basis } = await readSeedFile<HeadFigureFile>('head-figure.json')
    app.decorate('figures', createFigureService(reader, articles, basis.landmarks, cache))
    app.decorate('comments', createCommentService(app.prisma, options.config.comments, cache, reader, app.webhookDispatcher.poke))
    app.decorate('commentAuthors', createCommentAuthorService(app.prisma, options.config.comments, cache, app.webhookDispatcher.poke))
    app.decorate('commentFlags', createCommentFlagService(app.prisma, options.config.comments, cache, app.webhookDispatcher.poke))
  },
  { name: 'domain-services', dependencies: ['prisma', 'webhooks'] },
)
