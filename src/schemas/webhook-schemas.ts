import { Type } from 'typebox'
import { listOf } from './common-schemas.js'
import { WEBHOOK_EVENT_TYPES } from '../services/webhooks/webhook-events.js'

const Uuid = Type.String({ format: 'uuid' })
const SUBSCRIPTION_ID = '7c1e4b2a-5d3f-4a8e-9b6c-2f1d0e3a4b5c'
const DELIVERY_ID = '0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d'
const EVENT_ID = '4e3d2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f'

export const WebhookEventTypeSchema = Type.Unsafe<(typeof WEBHOOK_EVENT_TYPES)[number]>({
  $id: 'WebhookEventType',
  title: 'WebhookEventType',
  type: 'string',
  enum: [...WEBHOOK_EVENT_TYPES],
  description:
    'comment.submitted: a comment is held for moderation (never for spam); comment.status_changed: a moderator decided; ' +
    'comment.flagged, comment.edited: a reader flagged, or an author edited, a comment; article.published, article.unpublished. ' +
    'Payloads never carry a commenter\'s e-mail or IP address.',
})

const WebhookUrl = Type.String({
  minLength: 1, maxLength: 2048, pattern: '^https?://',
  description: 'Where to POST events: http(s). Refused (400 `webhook_target_refused`) if it resolves to a loopback, private or link-local address, unless the server allows it (WEBHOOK_ALLOW_PRIVATE_TARGETS)',
  examples: ['https://hooks.example.org/acupoint'],
})
const EventTypes = Type.Array(Type.Unsafe<(typeof WEBHOOK_EVENT_TYPES)[number]>({ type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }), { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length * 2, description: 'The events to send; repeats are ignored', examples: [['comment.submitted', 'comment.status_changed']] })
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: 'A note for admins', examples: ['Moderators\' chat channel'] })

export const WebhookCreateBody = Type.Object(
  {
    url: WebhookUrl,
    eventTypes: EventTypes,
    description: Type.Optional(Description),
    active: Type.Optional(Type.Boolean({ default: true, description: 'false: keep it, but send nothing' })),
  },
  { additionalProperties: false },
)

export const WebhookPatchBody = Type.Object(
  {
    url: Type.Optional(WebhookUrl),
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    active: Type.Optional(Type.Boolean({ description: 'true also clears disabledReason and the failure count of a subscription that was switched off' })),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const WebhookIdParams = Type.Object({ id: { ...Uuid, examples: [SUBSCRIPTION_ID] } }, { additionalProperties: false })
export const WebhookDeliveryParams = Type.Object(
  { id: { ...Uuid, examples: [SUBSCRIPTION_ID] }, deliveryId: { ...Uuid, examples: [DELIVERY_ID] } },
  { additionalProperties: false },
)

const SUBSCRIPTION_EXAMPLE = {
  id: SUBSCRIPTION_ID,
  url: 'https://hooks.example.org/acupoint',
  eventTypes: ['comment.submitted', 'comment.status_changed'],
  description: 'Moderators\' chat channel',
  active: true,
  disabledReason: null,
  disabledAt: null,
  consecutiveFailures: 0,
  version: 1,
  createdAt: '2026-12-02T11:00:00.000Z',
  updatedAt: '2026-12-02T11:00:00.000Z',
}

export const WebhookSubscriptionSchema = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    eventTypes: Type.Array(Type.Ref('WebhookEventType')),
    description: Type.Union([Type.String(), Type.Null()]),
    active: Type.Boolean({ description: 'false: nothing is sent (switched off by an admin, or automatically: see disabledReason)' }),
    disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'Why the server switched it off (deliveries failing in a row); null otherwise' }),
    disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    consecutiveFailures: Type.Integer({ minimum: 0, description: 'Deliveries in a row that failed for good; a success resets it' }),
    version: Type.Integer({ minimum: 1 }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'WebhookSubscription', title: 'WebhookSubscription', description: 'Never shows the secret', examples: [SUBSCRIPTION_EXAMPLE] },
)

export const WebhookWithSecretSchema = Type.Object(
  {
    subscription: Type.Ref('WebhookSubscription'),
    secret: Type.String({
      pattern: '^whsec_[A-Za-z0-9+/=]+$',
      description: 'The signing secret (Standard Webhooks, `whsec_` + base64). Shown only in this response: store it now',
    }),
  },
  {
    $id: 'WebhookWithSecret', title: 'WebhookWithSecret',
    examples: [{ subscription: SUBSCRIPTION_EXAMPLE, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
  },
)

export const WebhookSubscriptionListSchema = listOf(Type.Ref('WebhookSubscription'), 'WebhookSubscriptionList', 'Subscriptions, oldest first')

export const WebhookDeliverySchema = Type.Object(
  {
    id: Uuid,
    subscriptionId: Uuid,
    eventId: Type.String({ format: 'uuid', description: 'Sent as webhook-id; a redelivery repeats it' }),
    eventType: Type.String({ description: 'A WebhookEventType, or webhook.ping', examples: ['comment.submitted'] }),
    status: Type.Unsafe<'pending' | 'delivered' | 'failed'>({ type: 'string', enum: ['pending', 'delivered', 'failed'], description: 'failed: every attempt failed' }),
    attempts: Type.Integer({ minimum: 0 }),
    lastStatusCode: Type.Union([Type.Integer({ minimum: 0, maximum: 999 }), Type.Null()], { description: 'The receiver\'s last HTTP status; null if it was not reached' }),
    lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed' }),
    nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When it is tried next (null once delivered or failed)' }),
    deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  {
    $id: 'WebhookDelivery', title: 'WebhookDelivery',
    examples: [{
      id: DELIVERY_ID, subscriptionId: SUBSCRIPTION_ID, eventId: EVENT_ID, eventType: 'comment.submitted', status: 'pending', attempts: 2,
      lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: '2026-12-02T11:00:20.000Z', deliveredAt: null, createdAt: '2026-12-02T11:00:00.000Z',
    }],
  },
)

export const WebhookDeliveryListSchema = listOf(Type.Ref('WebhookDelivery'), 'WebhookDeliveryList', 'A subscription\'s deliveries, newest first')

export const WEBHOOK_SCHEMAS = [
  WebhookEventTypeSchema, WebhookSubscriptionSchema, WebhookWithSecretSchema, WebhookSubscriptionListSchema, WebhookDeliverySchema, WebhookDeliveryListSchema,
]
