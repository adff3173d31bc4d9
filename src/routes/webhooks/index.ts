import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { setNextLink } from '../../http/pagination.js'
import { ETAG_HEADER, IfMatchHeaders, IfMatchRequiredHeaders, LINK_HEADER, LOCATION_HEADER, NoContent, PaginationQuery, withHeaders } from '../../schemas/common-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { WebhookCreateBody, WebhookDeliveryParams, WebhookIdParams, WebhookPatchBody } from '../../schemas/webhook-schemas.js'
import { etagOf } from '../../http/conditional-requests.js'
import { STAFF_SECURITY, ifMatch, optionalIfMatch, withEtag } from '../route-helpers.js'

const ADMIN = 'admin' as const
const Page = Type.Object(PaginationQuery, { additionalProperties: false })

const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onSend', async (_request, reply) => {
    // Secrets, and the internal addresses of receivers: never cached anywhere.
    reply.header('cache-control', 'no-store')
  })

  app.post('/webhooks', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'createWebhook',
      summary: 'Subscribe a URL to events',
      description:
        'Role: admin. Answers the subscription with its signing secret (`whsec_…`), shown only this once. Deliveries are ' +
        'POSTs signed as Standard Webhooks specifies (headers webhook-id, webhook-timestamp, webhook-signature; HMAC-SHA256), ' +
        'with the body `{ type, timestamp, data }`. Each is retried with exponential backoff and jitter; a subscription whose ' +
        'deliveries fail for good several times in a row is switched off (`active: false`, `disabledReason`). ' +
        '400 `webhook_target_refused` for a URL that resolves to a loopback, private or link-local address (unless the server allows those).',
      security: STAFF_SECURITY,
      body: WebhookCreateBody,
      response: {
        201: withHeaders(Type.Ref('WebhookWithSecret'), { ...ETAG_HEADER, ...LOCATION_HEADER }, 'Created: store the secret now'),
        ...problemResponses(400, ...STAFF_ONLY, 413, 415, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const created = await app.webhooks.create(request.body)
    reply.header('location', `/v1/webhooks/${created.subscription.id}`)
    return withEtag(reply, created, 201, etagOf(created.subscription))
  })

  app.get('/webhooks', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'listWebhooks',
      summary: 'The webhook subscriptions',
      description: 'Role: admin. Oldest first, without their secrets.',
      security: STAFF_SECURITY,
      querystring: Page,
      response: { 200: withHeaders(Type.Ref('WebhookSubscriptionList'), LINK_HEADER, 'A page of subscriptions'), ...problemResponses(400, ...STAFF_ONLY, ...ALWAYS) },
    },
  }, async (request, reply) => {
    const page = await app.webhooks.list(request.query.limit, request.query.cursor)
    setNextLink(request, reply, page.nextCursor)
    return page
  })

  app.get('/webhooks/:id', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'getWebhook',
      summary: 'One webhook subscription',
      description: 'Role: admin. Without its secret. Its ETag is what PATCH and DELETE take in If-Match.',
      security: STAFF_SECURITY,
      params: WebhookIdParams,
      response: { 200: withHeaders(Type.Ref('WebhookSubscription'), ETAG_HEADER, 'The subscription'), ...problemResponses(400, ...STAFF_ONLY, 404, ...ALWAYS) },
    },
  }, async (request, reply) => withEtag(reply, await app.webhooks.read(request.params.id)))

  app.patch('/webhooks/:id', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'updateWebhook',
      summary: 'Change a webhook subscription',
      description:
        'Role: admin. Needs `If-Match`: 428 without it, 412 if stale. `active: true` switches a subscription back on and clears ' +
        'why it was switched off. Events that happen while a subscription is off are not queued for it; retries it had pending ' +
        'resume. A new `url` is checked as on creation.',
      security: STAFF_SECURITY,
      params: WebhookIdParams,
      headers: IfMatchRequiredHeaders,
      body: WebhookPatchBody,
      response: {
        200: withHeaders(Type.Ref('WebhookSubscription'), ETAG_HEADER, 'Updated'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, 428, ...ALWAYS),
      },
    },
  }, async (request, reply) => withEtag(reply, await app.webhooks.update(request.params.id, request.body, ifMatch(request))))

  app.delete('/webhooks/:id', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook subscription',
      description: 'Role: admin. Its delivery log goes with it; deliveries not yet sent are dropped. `If-Match` is checked when sent.',
      security: STAFF_SECURITY,
      params: WebhookIdParams,
      headers: IfMatchHeaders,
      response: { 204: NoContent, ...problemResponses(400, ...STAFF_ONLY, 404, 412, ...ALWAYS) },
    },
  }, async (request, reply) => {
    await app.webhooks.remove(request.params.id, optionalIfMatch(request))
    return reply.code(204).send(null)
  })

  app.post('/webhooks/:id/rotate-secret', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'rotateWebhookSecret',
      summary: 'Replace a subscription\'s signing secret',
      description: 'Role: admin. The new secret is shown only in this response, and the old one stops signing at once. `If-Match` is checked when sent.',
      security: STAFF_SECURITY,
      params: WebhookIdParams,
      headers: IfMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('WebhookWithSecret'), ETAG_HEADER, 'The subscription and its new secret'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const rotated = await app.webhooks.rotateSecret(request.params.id, optionalIfMatch(request))
    return withEtag(reply, rotated, 200, etagOf(rotated.subscription))
  })

  app.post('/webhooks/:id/ping', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'pingWebhook',
      summary: 'Send a test event',
      description: 'Role: admin. Queues a `webhook.ping` to this subscription, sent and retried like any event; follow it in the delivery log. 409 `webhook_inactive` when the subscription is off.',
      security: STAFF_SECURITY,
      params: WebhookIdParams,
      response: { 202: Type.Ref('WebhookDelivery'), ...problemResponses(400, ...STAFF_ONLY, 404, 409, ...ALWAYS) },
    },
  }, async (request, reply) => reply.code(202).send(await app.webhooks.ping(request.params.id)))

  app.get('/webhooks/:id/deliveries', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'listWebhookDeliveries',
      summary: 'A subscription\'s delivery log',
      description: 'Role: admin. Newest first: event type, status, attempts, the last status code and error, the next retry and when it was delivered.',
      security: STAFF_SECURITY,
      params: WebhookIdParams,
      querystring: Page,
      response: { 200: withHeaders(Type.Ref('WebhookDeliveryList'), LINK_HEADER, 'A page of deliveries'), ...problemResponses(400, ...STAFF_ONLY, 404, ...ALWAYS) },
    },
  }, async (request, reply) => {
    const page = await app.webhooks.deliveries(request.params.id, request.query.limit, request.query.cursor)
    setNextLink(request, reply, page.nextCursor)
    return page
  })

  app.post('/webhooks/:id/deliveries/:deliveryId/redeliver', {
    onRequest: app.requireRole(ADMIN),
    schema: {
      tags: ['webhooks'],
      operationId: 'redeliverWebhook',
      summary: 'Send a delivery\'s event again',
      description: 'Role: admin. A new delivery of the same event, with the same webhook-id (receivers deduplicate on it) and a fresh set of attempts. 409 `webhook_inactive` when the subscription is off.',
      security: STAFF_SECURITY,
      params: WebhookDeliveryParams,
      response: { 202: Type.Ref('WebhookDelivery'), ...problemResponses(400, ...STAFF_ONLY, 404, 409, ...ALWAYS) },
    },
  }, async (request, reply) => reply.code(202).send(await app.webhooks.redeliver(request.params.id, request.params.deliveryId)))
}

export default webhookRoutes
