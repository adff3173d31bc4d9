import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config/config.js'
import { createWebhookDispatcher, type WebhookDispatcher } from '../../services/webhooks/webhook-dispatcher.js'
import { createWebhookService, type WebhookService } from '../../services/webhooks/webhook-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookService
    /** Sends what the outbox holds: `poke()` after a commit that recorded an event (webhook-events.ts). */
    webhookDispatcher: WebhookDispatcher
  }
}

/**
 * Webhook subscriptions and their delivery. The dispatcher runs in this process on both database
 * kinds (README, "Webhooks", says why not pg-boss: pglite-socket serves one connection at a time); it starts when the app is ready and stops,
 * cancelling requests in flight, before the database connection closes.
 */
export default fp(
  async function webhooks(app: FastifyInstance, options: { config: AppConfig }) {
    const dispatcher = createWebhookDispatcher(app.prisma, options.config.webhooks, app.log.child({ module: 'webhooks' }))
    app.decorate('webhookDispatcher', dispatcher)
    app.decorate('webhooks', createWebhookService(app.prisma, options.config.webhooks, dispatcher.poke))
    app.addHook('onReady', async () => dispatcher.start())
    app.addHook('preClose', async () => dispatcher.stop())
  },
  { name: 'webhooks', dependencies: ['prisma'] },
)
