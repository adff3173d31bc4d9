import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config/config.js'

/** Request headers a page may send across origins (a preflight answers with this list). */
export const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'X-Receipt-Token', 'X-Request-Id']
/** Response headers a page's script may read, beyond the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = [
  'ETag', 'Link', 'Location', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Request-Id',
]

export default fp(
  async function securityHeaders(app: FastifyInstance, options: { config: AppConfig }) {
    await app.register(helmet, {
      global: true,
      // The docs page must also work when the API is served over plain HTTP (a local run, a private
      // network); TLS termination in front of it sets its own policy.
      contentSecurityPolicy: { useDefaults: true, directives: { 'upgrade-insecure-requests': null } },
    })
    // A public API with bearer tokens (never cookies): any page may call it, as GitHub's API allows,
    // because a browser sends no credentials on its own. CORS_ORIGINS narrows it to a list; then
    // the answer depends on Origin, so it says `Vary: Origin`.
    const { corsOrigins } = options.config
    await app.register(cors, {
      origin: corsOrigins,
      credentials: false,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      // Browsers cap this (Chromium at 2 hours): one preflight per route and page for that long.
      maxAge: 7200,
      // A plain OPTIONS (no Origin) is answered like a preflight instead of with a bare-text 400.
      strictPreflight: false,
    })
  },
  { name: 'security-headers' },
)
