import fp from 'fastify-plugin'
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { AppConfig } from '../../config/config.js'
import { TooManyRequestsError } from '../../errors/app-errors.js'
import { clientKey } from '../../http/client-address.js'

/** Clients whose counters one in-memory limit keeps (least recently seen forgotten first). */
const COUNTERS_PER_LIMIT = 20_000

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const READ_METHODS = new Set(['GET', 'HEAD'])
// Liveness must answer whoever asks, as often as they ask (see load-shedding.ts).
const UNLIMITED_READS = new Set(['/health'])

const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method])

/** Set on a route that spends from a shared budget: plugins/external/openapi.ts declares its 429 and X-RateLimit-* headers. */
export interface RateLimitedRouteConfig {
  rateLimitBudget?: 'reads' | 'writes'
}

/**
 * Per-client limits (an IPv4 address, an IPv6 /64), each answered with a 429 problem and
 * Retry-After, with X-RateLimit-* headers on every answer of a limited route:
 * - one write budget per client, shared by every write route (POST, PUT, PATCH, DELETE);
 * - one read budget per client, shared by every read (GET, HEAD) but /health;
 * - a route may add a stricter limit of its own on top (comment submissions do).
 * The limits are checked before authentication, so a flood costs no token lookups (and guessing
 * tokens costs budget). With REDIS_URL the counters live in Redis, so several instances share
 * them; without it, in memory (an LRU of `COUNTERS_PER_LIMIT` clients per limit, so memory stays
 * bounded whatever addresses send).
 */
export default fp(
  async function rateLimits(app: FastifyInstance, options: { config: AppConfig }) {
    const { redisUrl, rateLimits: limits } = options.config

    // Fail fast rather than queue: a slow Redis must not stall requests (skipOnError lets them through).
    const redis = redisUrl ? new Redis(redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, lazyConnect: false }) : undefined
    redis?.on('error', (error) => app.log.warn({ err: error }, 'rate-limit store unavailable'))
    const pluginOptions: RateLimitPluginOptions = {
      global: false,
      ...(redis ? { redis, nameSpace: 'acupoint-api:rate-limit:' } : { cache: COUNTERS_PER_LIMIT }),
      skipOnError: true,
      // An IPv6 client counts by its /64, or it could rotate through 2^64 addresses to reset the limit.
      keyGenerator: (request) => clientKey(request.ip),
      errorResponseBuilder: (_request, context) =>
        new TooManyRequestsError(`Too many requests: at most ${context.max} per ${context.after}. Retry later.`, Math.ceil(context.ttl / 1000), 'rate_limited'),
    }
    // One limiter per budget, made once and shared by every route that spends from it (one store,
    // so one count per client across routes). Keys are prefixed: in Redis, limiters made this way
    // share one key space. The budgets come from a registration of their own, in a scope of their own
    // and made first (a scope cannot re-decorate `rateLimit` once its parent has it): a registration
    // marks a request as limited once, so with one registration a route's stricter limit would be
    // skipped after the budget ran.
    let budgets: { writes: ReturnType<FastifyInstance['rateLimit']>, reads: ReturnType<FastifyInstance['rateLimit']> } | undefined
    await app.register(async (scope) => {
      await scope.register(rateLimit, pluginOptions)
      const budget = (name: string, max: number) =>
        scope.rateLimit({ max, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `${name}:${clientKey(request.ip)}`, cache: COUNTERS_PER_LIMIT })
      budgets = { writes: budget('writes', limits.writesPerMinute), reads: budget('reads', limits.readsPerMinute) }
    })
    const { writes, reads } = budgets!
    // Route limits (config.rateLimit) come from this registration.
    await app.register(rateLimit, pluginOptions)
    if (redis) app.addHook('onClose', async () => void (await redis.quit()))

    // Registered after the plugin's own onRoute hook, which appends a route's own limit after its
    // onRequest hooks (authentication): both the budget and that limit are moved first.
    app.addHook('onRoute', (route) => {
      const methods = methodsOf(route)
      const kind = methods.some((method) => WRITE_METHODS.has(method)) ? 'writes'
        : methods.some((method) => READ_METHODS.has(method)) && !UNLIMITED_READS.has(route.url) ? 'reads'
        : undefined
      if (!kind) return
      const hooks = [route.onRequest ?? []].flat()
      const routeLimit = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit ? hooks.slice(-1) : []
      const rest = routeLimit.length > 0 ? hooks.slice(0, -1) : hooks
      route.onRequest = [kind === 'writes' ? writes : reads, ...routeLimit, ...rest] as typeof route.onRequest
      route.config = { ...(route.config as object), rateLimitBudget: kind } as typeof route.config
    })
  },
  { name: 'rate-limits' },
)
