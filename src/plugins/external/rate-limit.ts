import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { AppConfig } from '../../config/config.js'
import { TooManyRequestsError } from '../../errors/app-errors.js'
import { clientKey } from '../../http/client-address.js'

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function isWrite(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  return methods.some((method) => WRITE_METHODS.has(method))
}

/**
 * Per-client limits (an IPv4 address, an IPv6 /64). Every write route gets the write limit unless it declares a stricter one of its
 * own (comment submissions do). With REDIS_URL the counters
 * live in Redis, so several instances share them; without it, in memory.
 */
export default fp(
  async function rateLimits(app: FastifyInstance, options: { config: AppConfig }) {
    const { redisUrl, rateLimits: limits } = options.config

    // Registered before the rate-limit plugin's own onRoute hook, so it sees the config set here.
    // (plugins/external/openapi.ts declares the 429 and the X-RateLimit-* headers of every route that has a limit.)
    const ownHooks = new WeakMap<RouteOptions, unknown[]>()
    app.addHook('onRoute', (route) => {
      ownHooks.set(route, [route.onRequest ?? []].flat())
      if (!isWrite(route)) return
      const config = (route.config ?? {}) as Record<string, unknown>
      if (!config.rateLimit) route.config = { ...config, rateLimit: { max: limits.writesPerMinute, timeWindow: '1 minute' } }
    })

    // Fail fast rather than queue: a slow Redis must not stall requests (skipOnError lets them through).
    const redis = redisUrl ? new Redis(redisUrl, { connectTimeout: 500, maxRetriesPerRequest: 1, lazyConnect: false }) : undefined
    redis?.on('error', (error) => app.log.warn({ err: error }, 'rate-limit store unavailable'))
    await app.register(rateLimit, {
      global: false,
      ...(redis ? { redis, nameSpace: 'acupoint-api:rate-limit:' } : {}),
      skipOnError: true,
      // An IPv6 client counts by its /64, or it could rotate through 2^64 addresses to reset the limit.
      keyGenerator: (request) => clientKey(request.ip),
      errorResponseBuilder: (_request, context) =>
        new TooManyRequestsError(`Too many requests: at most ${context.max} per ${context.after}. Retry later.`, Math.ceil(context.ttl / 1000), 'rate_limited'),
    })
    if (redis) app.addHook('onClose', async () => void (await redis.quit()))

    // @fastify/rate-limit appends its check after the route's own onRequest hooks (authentication).
    // Moved first, it counts every request to a limited route (guessing tokens costs budget too),
    // and every answer, a 401 included, carries the X-RateLimit-* headers the document promises.
    app.addHook('onRoute', (route) => {
      const own = ownHooks.get(route)
      const hooks = [route.onRequest ?? []].flat()
      if (!own || own.length === 0 || hooks.length === own.length) return
      route.onRequest = [...hooks.filter((hook) => !own.includes(hook)), ...own] as typeof route.onRequest
    })
  },
  { name: 'rate-limits' },
)
