import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config/config.js'
import { createInProcessDispatcher } from '../../services/webhooks/in-process-dispatcher.js'
import { createPgBossDispatcher } from '../../services/webhooks/pg-boss-dispatcher.js'
import type { WebhookDispatcher } from '../../services/webhooks/webhook-dispatcher.js'
import { createWebhookService, type WebhookService } from '../../services/webhooks/webhook-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookService
    /** Sends what the outbox holds: `poke()` after a commit that recorded an event (webhook-events.ts). */
    webhookDispatcher: WebhookDispatcher
  }
}

/**
 * Webhook subscriptions and their delivery: pg-boss jobs on PostgreSQL, the in-process dispatcher on
 * the embedded database (README, "Webhooks", says why). Delivery starts when the app is ready and
 * stops, cancelling requests in flight, before the database connection closes.
 */
export default fp(
  async function webhooks(app: FastifyInstance, options: { config: AppConfig }) {
    const { config } = options
    const log = app.log.child({ module: 'webhooks' })
    // pg-boss LISTENs, so it needs a session: the direct URL when the pool goes through PgBouncer.
    const dispatcher = config.webhooks.delivery === 'pg-boss'
      ? createPgBossDispatcher(app.prisma, config.webhooks, config.database.directUrl ?? config.databaseUrl, log)
      : createInProcessDispatcher(app.prisma, config.webhooks, log)
    app.decorate('webhookDispatcher', dispatcher)
    app.decorate('webhooks', createWebhookService(app.prisma, config.webhooks, dispatcher))
    app.addHook('onReady', async () => dispatcher.start())
    app.addHook('preClose', async () => dispatcher.stop())
  },
  { name: 'webhooks', dependencies: ['prisma'] },
)
