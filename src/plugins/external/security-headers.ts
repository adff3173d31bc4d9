import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config/config.js'

export default fp(
  async function securityHeaders(app: FastifyInstance, options: { config: AppConfig }) {
    await app.register(helmet, {
      global: true,
      // The docs page must also work when the API is served over plain HTTP (a local run, a private
      // network); TLS termination in front of it sets its own policy.
      contentSecurityPolicy: { useDefaults: true, directives: { 'upgrade-insecure-requests': null } },
    })
    const { corsOrigins } = options.config
    await app.register(cors, {
      origin: corsOrigins === '*' ? '*' : corsOrigins.length > 0 ? corsOrigins : false,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'X-Receipt-Token', 'X-Request-Id'],
      exposedHeaders: ['ETag', 'Link', 'Location', 'Retry-After', 'X-Request-Id'],
      maxAge: 600,
    })
  },
  { name: 'security-headers' },
)
