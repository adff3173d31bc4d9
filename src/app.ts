import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import sensible from '@fastify/sensible'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppConfig } from './config/config.js'
import type { QueryObserver } from './db/prisma-client.js'
import { loggerOptions } from './logger.js'
import securityHeaders from './plugins/external/security-headers.js'
import openapi from './plugins/external/openapi.js'
import prisma from './plugins/app/prisma.js'
import errorHandler from './plugins/app/error-handler.js'
import methodNotAllowed from './plugins/app/method-not-allowed.js'
import authentication from './plugins/app/authentication.js'
import systemRoutes from './routes/system/index.js'
import staffRoutes from './routes/staff/index.js'
import domainServices from './plugins/app/domain-services.js'
import rateLimits from './plugins/external/rate-limit.js'
import commentRoutes from './routes/comments/index.js'
import moderationRoutes from './routes/moderation/index.js'
import acupointRoutes from './routes/acupoints/index.js'
import channelRoutes from './routes/channels/index.js'
import sourceRoutes from './routes/sources/index.js'
import claimRoutes from './routes/claims/index.js'
import articleRoutes from './routes/articles/index.js'

export interface BuildAppOptions {
  /** A pino logger to use instead of one made from the config (the server's, or a test's capture). */
  loggerInstance?: FastifyBaseLogger
  /** Sees every SQL statement the app sends: lets tests assert how many queries a request costs. */
  onQuery?: QueryObserver
}

// A client-supplied request id is kept only if it is short and plain, so it cannot forge log lines.
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/

/** The one app factory: used by the server, the tests and the OpenAPI generator. */
export async function buildApp(config: AppConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: loggerOptions(config) }),
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID()
    },
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    ajv: {
      // Reject unknown fields instead of silently dropping them.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  // While shutting down, responses to requests already in flight ask the client to close its
  // keep-alive connection; otherwise close() waits for the client's idle timeout.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })

  // External plugins, then the domain, then routes: the order never changes.
  await app.register(sensible)
  await app.register(securityHeaders, { config })
  await app.register(openapi)
  await app.register(rateLimits, { config })

  await app.register(errorHandler, { retryAfterSeconds: config.database.retryAfterSeconds })
  await app.register(methodNotAllowed)
  await app.register(prisma, { config, onQuery: options.onQuery })
  await app.register(authentication)
  await app.register(domainServices, { config })

  await app.register(systemRoutes, { retryAfterSeconds: config.database.retryAfterSeconds })
  for (const routes of [acupointRoutes, channelRoutes, sourceRoutes, claimRoutes, articleRoutes, moderationRoutes, staffRoutes]) {
    await app.register(routes, { prefix: '/v1' })
  }
  await app.register(commentRoutes, { prefix: '/v1', rateLimitPerMinute: config.comments.rateLimitPerMinute })

  return app
}
