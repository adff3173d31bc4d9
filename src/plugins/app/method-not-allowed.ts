import fp from 'fastify-plugin'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import type { FastifyInstance } from 'fastify'
import { sendProblem } from './error-handler.js'

/**
 * Fastify answers 404 for a known path with an unknown method. This keeps a second router with
 * every registered path so the not-found handler can tell the two apart and answer 405 with Allow.
 */
export default fp(
  async function methodNotAllowed(app: FastifyInstance, options: { notFoundPerMinute: number }) {
    const paths = FindMyWay()
    const methodsByPath = new Map<string, Set<string>>()

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      let known = methodsByPath.get(route.url)
      if (!known) {
        known = new Set()
        methodsByPath.set(route.url, known)
        paths.on('GET', route.url, () => {}, { path: route.url })
      }
      for (const method of methods) known.add(method)
    })

    // Rate-limited, so probing for routes (or flooding unknown ones) costs the prober, not us.
    const preHandler = app.rateLimit({ max: options.notFoundPerMinute, timeWindow: '1 minute' })
    app.setNotFoundHandler({ preHandler }, (request, reply) => {
      const match = paths.find('GET' as HTTPMethod, request.url.split('?', 1)[0] ?? '/')
      const allowed = match ? methodsByPath.get((match.store as { path: string }).path) : undefined
      if (allowed && !allowed.has(request.method)) {
        const allow = [...allowed].sort().join(', ')
        return sendProblem(request, reply, 405, 'method_not_allowed', `${request.method} is not allowed here. Allowed: ${allow}.`, {
          headers: { allow },
        })
      }
      return sendProblem(request, reply, 404, 'not_found', `No route matches ${request.method} ${request.url.split('?', 1)[0]}.`)
    })
  },
  { name: 'method-not-allowed', dependencies: ['error-handler', 'rate-limits'] },
)
