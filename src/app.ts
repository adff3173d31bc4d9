import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify'
import sensible from '@fastify/sensible'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AppConfig } from './config/config.js'
import type { QueryObserver } from './db/prisma-client.js'
import { loggerOptions } from './logger.js'
import { CANONICAL_UUID } from './schemas/common-schemas.js'
import { saneValidatorCompiler } from './http/input-sanity.js'
import securityHeaders from './plugins/external/security-headers.js'
import openapi from './plugins/external/openapi.js'
import loadShedding from './plugins/external/load-shedding.js'
import prisma from './plugins/app/prisma.js'
import errorHandler, { clientErrorResponse, frameworkErrorResponse } from './plugins/app/error-handler.js'
import methodNotAllowed from './plugins/app/method-not-allowed.js'
import authentication from './plugins/app/authentication.js'
import systemRoutes from './routes/system/index.js'
import staffRoutes from './routes/staff/index.js'
import domainServices from './plugins/app/domain-services.js'
import webhooks from './plugins/app/webhooks.js'
import webhookRoutes from './routes/webhooks/index.js'
import changeNotices from './plugins/app/change-notices.js'
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
  /** Called for every route as it is registered (tests compare the routes with openapi.yaml). */
  onRoute?: (route: RouteOptions) => void
  /** Sees every SQL statement the app sends: lets tests assert how many queries a request costs. */
  onQuery?: QueryObserver
}

// A client-supplied request id is kept only if it is short and plain, so it cannot forge log lines.
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/

/**
 * Fastify 5.12 ignores a numeric trustProxy (it cannot check who the nearest peer is), so a hop
 * count becomes a function that trusts that many hops. Only safe when the service cannot be reached
 * except through those proxies; the README says so.
 */
function trustProxyOption(trust: AppConfig['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}

/** The one app factory: used by the server, the tests and the OpenAPI generator. */
export async function buildApp(config: AppConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: loggerOptions(config) }),
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID()
    },
    // One line per request, written when it is answered (below), instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // Slow or idle clients cannot hold sockets open forever.
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.connectionTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    maxRequestsPerSocket: config.http.maxRequestsPerSocket,
    http: { maxHeaderSize: config.http.maxHeaderBytes, headersTimeout: config.http.headersTimeoutMs },
    trustProxy: trustProxyOption(config.trustProxy),
    ajv: {
      // Reject unknown fields instead of silently dropping them.
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
      // Every `format: uuid` (paths, queries, bodies) means the hyphenated form PostgreSQL accepts.
      onCreate: (ajv) => void ajv.addFormat('uuid', CANONICAL_UUID),
    },
    // Ajv, plus the checks no schema states: no NUL characters, no infinite numbers (http/input-sanity.ts).
    schemaController: { compilersFactory: { buildValidator: saneValidatorCompiler() } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    frameworkErrors: frameworkErrorResponse,
    clientErrorHandler: clientErrorResponse,
  }).withTypeProvider<TypeBoxTypeProvider>()
  if (options.onRoute) app.addHook('onRoute', options.onRoute)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    const milliseconds = reply.elapsedTime
    request.log.info({ req: request, res: reply, responseTime: milliseconds },
      `${request.method} ${request.url} ${reply.statusCode} ${milliseconds.toFixed(1)} ms`)
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
  await app.register(loadShedding, { config })
  await app.register(sensible)
  await app.register(securityHeaders, { config })
  // Before openapi: it adds the 429 response that every write route can give.
  await app.register(rateLimits, { config })
  await app.register(openapi, { config })

  await app.register(errorHandler, { retryAfterSeconds: config.database.retryAfterSeconds, busyRetryAfterSeconds: config.pressure.retryAfterSeconds })
  await app.register(methodNotAllowed, { notFoundPerMinute: config.rateLimits.notFoundPerMinute })
  await app.register(prisma, { config, onQuery: options.onQuery })
  await app.register(authentication)
  await app.register(webhooks, { config })
  await app.register(domainServices, { config })
  await app.register(changeNotices, { config })

  await app.register(systemRoutes, { retryAfterSeconds: config.database.retryAfterSeconds })
  for (const routes of [acupointRoutes, channelRoutes, sourceRoutes, claimRoutes, articleRoutes, moderationRoutes, staffRoutes, webhookRoutes]) {
    await app.register(routes, { prefix: '/v1' })
  }
  await app.register(commentRoutes, { prefix: '/v1', rateLimitPerMinute: config.comments.rateLimitPerMinute })

  return app
}
