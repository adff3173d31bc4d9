import { randomUUID } from 'node:crypto'
import { Prisma } from '../../generated/prisma/client.js'

/** What a subscription can ask for. `webhook.ping` is not here: it is sent only on request, to one subscription. */
export const WEBHOOK_EVENT_TYPES = [
  'comment.submitted',
  'comment.status_changed',
  'comment.flagged',
  'comment.edited',
  'article.published',
  'article.unpublished',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]
export const PING_EVENT_TYPE = 'webhook.ping'

/**
 * Keys that name a commenter's personal data. A payload goes to a third party's server: none of
 * these may be in it, at any depth (recordWebhookEvent refuses it, so a caller's mistake fails loudly).
 */
const PERSONAL_KEYS = new Set(['authoremail', 'email', 'ipaddress', 'ip', 'clientkey', 'useragent'])

export function assertNoPersonalData(value: unknown, path = ''): void {
  if (Array.isArray(value)) return value.forEach((item, index) => assertNoPersonalData(item, `${path}/${index}`))
  if (typeof value !== 'object' || value === null) return
  for (const [key, inner] of Object.entries(value)) {
    if (PERSONAL_KEYS.has(key.toLowerCase())) throw new Error(`A webhook payload must not carry personal data (${path}/${key}).`)
    assertNoPersonalData(inner, `${path}/${key}`)
  }
}

/**
 * The outbox insert: one delivery per active subscription that wants `type`, for each row of `from`
 * (a FROM item: a table, a CTE, a join). As a statement of its own or as a CTE of a bigger one, it is
 * part of the transaction that makes the change, so the event exists exactly when the change does.
 */
export function outboxInsertSql(type: string, eventId: Prisma.Sql, payload: Prisma.Sql, from: Prisma.Sql = Prisma.sql`(SELECT 1) AS one`) {
  return Prisma.sql`
    INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, next_attempt_at, created_at, updated_at)
    SELECT gen_random_uuid(), s.id, ${eventId}, ${type}, ${payload}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
      FROM ${from} JOIN webhook_subscriptions s ON s.active AND ${type} = ANY (s.event_types)`
}

/**
 * Records an event inside the caller's transaction (`tx`): it is sent once that transaction commits,
 * and never if it rolls back. Returns how many deliveries it queued. After the commit, call
 * `app.webhooks.poke()` to send them at once; otherwise the next poll (WEBHOOK_POLL_INTERVAL_MS) does.
 */
export async function recordWebhookEvent(tx: Prisma.TransactionClient, type: WebhookEventType, payload: Record<string, unknown>): Promise<number> {
  assertNoPersonalData(payload)
  return tx.$executeRaw(outboxInsertSql(type, Prisma.sql`${randomUUID()}::uuid`, Prisma.sql`${JSON.stringify(payload)}::jsonb`))
}

/**
 * Personal data leaves the outbox with the comment: deliveries not yet sent (retries, a switched-off
 * subscription's backlog) and sent ones that could be redelivered keep their payloads, so a withdrawal
 * or an erasure rewrites them in its own transaction. Only keys a payload has are replaced.
 */
export function scrubCommentPayloads(tx: Prisma.TransactionClient, commentIds: string[], replacement: { authorName: string; body?: string }) {
  if (commentIds.length === 0) return Promise.resolve(0)
  const name = Prisma.sql`jsonb_set(payload, '{authorName}', to_jsonb(${replacement.authorName}::text), false)`
  const scrubbed = replacement.body === undefined
    ? name
    : Prisma.sql`jsonb_set(jsonb_set(${name}, '{body}', to_jsonb(${replacement.body}::text), false), '{previousBody}', 'null'::jsonb, false)`
  return tx.$executeRaw`
    UPDATE webhook_deliveries SET payload = ${scrubbed}, updated_at = CURRENT_TIMESTAMP
     WHERE payload->>'commentId' = ANY (${commentIds}::text[])`
}
