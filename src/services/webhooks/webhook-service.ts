import { randomBytes, randomUUID } from 'node:crypto'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import type { WebhookSettings } from '../../config/config.js'
import { ConflictError, NotFoundError } from '../../errors/app-errors.js'
import { decodeCursor, encodeCursor, isCursorId, isCursorTimestamp, toPage } from '../../http/pagination.js'
import { PING_EVENT_TYPE, type WebhookEventType } from './webhook-events.js'
import { assertAcceptableTarget } from './webhook-targets.js'
import type { WebhookDispatcher } from './webhook-dispatcher.js'

export interface WebhookInput {
  url: string
  eventTypes: WebhookEventType[]
  description?: string | null | undefined
  active?: boolean | undefined
}

type SubscriptionRow = Prisma.WebhookSubscriptionGetPayload<object>
type DeliveryRow = Prisma.WebhookDeliveryGetPayload<object>

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64 (the spec asks for 24 to 64). */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`

/** The subscription without its secret: the secret is shown only when it is made (create, rotate). */
export function presentSubscription(row: SubscriptionRow) {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes as WebhookEventType[],
    description: row.description,
    active: row.active,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    consecutiveFailures: row.consecutiveFailures,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
export type SubscriptionView = ReturnType<typeof presentSubscription>

export function presentDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    nextAttemptAt: row.status === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }
}

const isDeliveryCursor = (value: Record<string, unknown>): value is { t: string; id: string } =>
  isCursorTimestamp(value.t) && isCursorId(value.id) && Object.keys(value).length === 2

const uniqueTypes = (types: WebhookEventType[]) => [...new Set(types)]

export function createWebhookService(prisma: PrismaClient, settings: WebhookSettings, dispatcher: Pick<WebhookDispatcher, 'poke' | 'nextAttempts'>) {
  const onOutbox = () => dispatcher.poke()
  async function find(id: string, client: Prisma.TransactionClient = prisma) {
    const row = await client.webhookSubscription.findUnique({ where: { id } })
    if (!row) throw new NotFoundError(`No webhook subscription has the id ${id}.`, 'webhook_not_found')
    return row
  }

  /** A change under a row lock, after the caller's If-Match check on the representation it replaces. */
  async function mutate<T>(id: string, check: (current: SubscriptionView) => void, change: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    await find(id)
    return prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM webhook_subscriptions WHERE id = ${id}::uuid FOR UPDATE`
      check(presentSubscription(await find(id, tx)))
      return change(tx)
    })
  }

  return {
    async create(input: WebhookInput) {
      await assertAcceptableTarget(input.url, settings.allowPrivateTargets)
      const secret = newWebhookSecret()
      const row = await prisma.webhookSubscription.create({
        data: { url: input.url, eventTypes: uniqueTypes(input.eventTypes), description: input.description ?? null, active: input.active ?? true, secret },
      })
      return { subscription: presentSubscription(row), secret }
    },

    async list(limit: number, cursor?: string) {
      const after = decodeCursor(cursor, isDeliveryCursor)
      const rows = await prisma.webhookSubscription.findMany({
        where: after ? { OR: [{ createdAt: { gt: new Date(after.t) } }, { createdAt: new Date(after.t), id: { gt: after.id } }] } : {},
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit + 1,
      })
      return toPage(rows, limit, presentSubscription, (row) => encodeCursor({ t: row.createdAt.toISOString(), id: row.id }))
    },

    read: async (id: string) => presentSubscription(await find(id)),

    /** Turning a subscription back on clears why it was turned off, and its failure count. */
    async update(id: string, patch: Partial<WebhookInput>, check: (current: SubscriptionView) => void) {
      if (patch.url !== undefined) await assertAcceptableTarget(patch.url, settings.allowPrivateTargets)
      const row = await mutate(id, check, (tx) => tx.webhookSubscription.update({
        where: { id },
        data: {
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.eventTypes !== undefined ? { eventTypes: uniqueTypes(patch.eventTypes) } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
          ...(patch.active === true ? { disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null } : {}),
          version: { increment: 1 },
        },
      }))
      // Retries it had pending when it was switched off may now go.
      if (patch.active === true) onOutbox()
      return presentSubscription(row)
    },

    async remove(id: string, check: (current: SubscriptionView) => void) {
      await mutate(id, check, (tx) => tx.webhookSubscription.delete({ where: { id } }))
    },

    /** The old secret stops working at once: receivers must take the new one before the next delivery. */
    async rotateSecret(id: string, check: (current: SubscriptionView) => void) {
      const secret = newWebhookSecret()
      const row = await mutate(id, check, (tx) => tx.webhookSubscription.update({ where: { id }, data: { secret, version: { increment: 1 } } }))
      return { subscription: presentSubscription(row), secret }
    },

    /** A webhook.ping through the outbox and the dispatcher, like any event, to this subscription only. */
    async ping(id: string) {
      const subscription = await find(id)
      if (!subscription.active) throw new ConflictError('The subscription is inactive: activate it (PATCH active: true) first.', 'webhook_inactive')
      const row = await prisma.webhookDelivery.create({
        data: { subscriptionId: id, eventId: randomUUID(), eventType: PING_EVENT_TYPE, payload: { subscriptionId: id } },
      })
      onOutbox()
      return presentDelivery(row)
    },

    async deliveries(id: string, limit: number, cursor?: string) {
      await find(id)
      const after = decodeCursor(cursor, isDeliveryCursor)
      // Newest first: the log is read to see what just happened.
      const rows = await prisma.webhookDelivery.findMany({
        where: {
          subscriptionId: id,
          ...(after ? { OR: [{ createdAt: { lt: new Date(after.t) } }, { createdAt: new Date(after.t), id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
      })
      // pg-boss, not the row, knows when a queued retry is due.
      const next = await dispatcher.nextAttempts(rows.filter((row) => row.status === 'pending'))
      const withNext = rows.map((row) => (next.has(row.id) ? { ...row, nextAttemptAt: next.get(row.id)! } : row))
      return toPage(withNext, limit, presentDelivery, (row) => encodeCursor({ t: row.createdAt.toISOString(), id: row.id }))
    },

    /** Sends an event again as a new delivery with the same webhook-id, so a receiver can tell it is a repeat. */
    async redeliver(id: string, deliveryId: string) {
      const subscription = await find(id)
      const original = await prisma.webhookDelivery.findFirst({ where: { id: deliveryId, subscriptionId: id } })
      if (!original) throw new NotFoundError(`The subscription has no delivery with the id ${deliveryId}.`, 'delivery_not_found')
      if (!subscription.active) throw new ConflictError('The subscription is inactive: activate it (PATCH active: true) first.', 'webhook_inactive')
      const row = await prisma.webhookDelivery.create({
        data: { subscriptionId: id, eventId: original.eventId, eventType: original.eventType, payload: original.payload as Prisma.InputJsonValue },
      })
      onOutbox()
      return presentDelivery(row)
    },
  }
}

export type WebhookService = ReturnType<typeof createWebhookService>
