import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import type { WebhookSettings } from '../../config/config.js'
import { resolveTarget, WebhookTargetError, type ResolvedTarget } from './webhook-targets.js'

/** An outbox row taken for one attempt: the attempt is counted and the row leased when it is claimed. */
export interface ClaimedDelivery {
  id: string
  subscriptionId: string
  eventId: string
  eventType: string
  payload: unknown
  attempts: number
  createdAt: Date
  url: string
  secret: string
}

export interface AttemptOutcome {
  statusCode: number | null
  error: string | null
}

const USER_AGENT = 'acupoint-api-webhooks/1'

/** Exponential backoff with jitter: base × 2^(attempt−1), capped, then 50–100 % of it (so retries of many receivers spread out). */
export function retryDelayMs(attempt: number, settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxMs'>, random = Math.random): number {
  const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling * (0.5 + random() * 0.5))
}

/** Connects to the address that was checked, whatever a second DNS answer would say (no rebinding). */
function pinnedLookup(target: ResolvedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }
}

/**
 * One POST: signed as Standard Webhooks says (webhook-id, webhook-timestamp, webhook-signature), to
 * the checked address, within the timeout, reading at most `maxResponseBytes` of the answer.
 */
export async function sendSigned(
  target: ResolvedTarget,
  delivery: { eventId: string; secret: string; body: string },
  settings: Pick<WebhookSettings, 'timeoutMs' | 'maxResponseBytes'>,
  signal?: AbortSignal,
): Promise<AttemptOutcome> {
  const now = new Date()
  const signature = new Webhook(delivery.secret).sign(delivery.eventId, now, delivery.body)
  const client = target.url.protocol === 'https:' ? https : http
  const timeout = AbortSignal.timeout(settings.timeoutMs)
  return new Promise<AttemptOutcome>((resolve) => {
    const request = client.request(target.url, {
      method: 'POST',
      lookup: pinnedLookup(target),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(delivery.body),
        'user-agent': USER_AGENT,
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
    }, (response) => {
      let received = 0
      const statusCode = response.statusCode ?? 0
      const ok = statusCode >= 200 && statusCode < 300
      const finish = () => resolve({ statusCode, error: ok ? null : `HTTP ${statusCode}` })
      response.on('data', (chunk: Buffer) => {
        received += chunk.length
        // The status is all that counts: a receiver streaming an endless body is cut off here.
        if (received > settings.maxResponseBytes) {
          response.destroy()
          finish()
        }
      })
      response.on('end', finish)
      response.on('error', finish)
    })
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reason = timeout.aborted ? `timed out after ${settings.timeoutMs} ms` : signal?.aborted ? 'cancelled: the server is shutting down' : error.code ?? error.message
      resolve({ statusCode: null, error: reason })
    })
    request.end(delivery.body)
  })
}

/**
 * What both dispatchers (in-process, pg-boss) do to the outbox: claim a row for an attempt, send it,
 * and write down how it went, switching off a subscription that keeps failing. The row is the
 * delivery log whichever of them sends it.
 */
export function createDeliveryStore(prisma: PrismaClient, settings: WebhookSettings) {
  // The lease outlasts an attempt (DNS and the request), so no other worker sends the row meanwhile.
  const leaseMs = settings.timeoutMs + 10_000
  const claimed = (where: Prisma.Sql) => prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE webhook_deliveries d
         SET locked_until = CURRENT_TIMESTAMP + make_interval(secs => ${leaseMs / 1000}), attempts = d.attempts + 1, updated_at = CURRENT_TIMESTAMP
        FROM webhook_subscriptions s
       WHERE s.id = d.subscription_id AND ${where}
      RETURNING d.id::text AS id, d.subscription_id::text AS "subscriptionId", d.event_id::text AS "eventId", d.event_type AS "eventType",
                d.payload, d.attempts, d.created_at AS "createdAt", s.url, s.secret`

  // A failing delivery is tried again at most retryMaxMs (plus an attempt's lease) after the last
  // failure: a longer quiet spell since then means the subscription was not failing meanwhile.
  const spellGapSeconds = (settings.retryMaxMs + leaseMs) / 1000
  const failingSince = Prisma.sql`CASE WHEN last_failure_at IS NULL OR last_failure_at < CURRENT_TIMESTAMP - make_interval(secs => ${spellGapSeconds})
                                       THEN CURRENT_TIMESTAMP ELSE COALESCE(failing_since, CURRENT_TIMESTAMP) END`

  /** A failed attempt counts against the subscription: `final` when the delivery has no attempt left. */
  function subscriptionFailed(delivery: ClaimedDelivery, error: string | null, final: boolean) {
    const failures = final ? 1 : 0
    const tooMany = Prisma.sql`consecutive_failures + ${failures} >= ${settings.disableAfterFailures}`
    const tooLong = Prisma.sql`(${settings.disableAfterHours} > 0 AND ${failingSince} < CURRENT_TIMESTAMP - make_interval(hours => ${settings.disableAfterHours}))`
    const byCount = `Deactivated after ${settings.disableAfterFailures} deliveries in a row failed (last: ${error})`
    const byTime = `Deactivated after failing for ${settings.disableAfterHours} hours without a successful delivery (last: ${error})`
    // UPDATE reads the row as it was: every expression below sees the old failing_since and last_failure_at.
    return prisma.$executeRaw`
      UPDATE webhook_subscriptions
         SET consecutive_failures = consecutive_failures + ${failures},
             failing_since = ${failingSince},
             last_failure_at = CURRENT_TIMESTAMP,
             active = CASE WHEN ${tooMany} OR ${tooLong} THEN false ELSE active END,
             disabled_reason = CASE WHEN NOT active THEN disabled_reason WHEN ${tooMany} THEN ${byCount} WHEN ${tooLong} THEN ${byTime} ELSE disabled_reason END,
             disabled_at = CASE WHEN active AND (${tooMany} OR ${tooLong}) THEN CURRENT_TIMESTAMP ELSE disabled_at END
       WHERE id = ${delivery.subscriptionId}::uuid`
  }

  return {
    leaseMs,

    /** Up to `limit` due rows of active subscriptions that nobody holds (FOR UPDATE SKIP LOCKED: instances share the work). */
    claimDue: (limit: number) => claimed(Prisma.sql`
         d.id IN (SELECT q.id FROM webhook_deliveries q JOIN webhook_subscriptions qs ON qs.id = q.subscription_id AND qs.active
                   WHERE q.status = 'pending' AND COALESCE(q.next_attempt_at, q.created_at) <= CURRENT_TIMESTAMP
                     AND (q.locked_until IS NULL OR q.locked_until < CURRENT_TIMESTAMP)
                   ORDER BY COALESCE(q.next_attempt_at, q.created_at) LIMIT ${limit} FOR UPDATE OF q SKIP LOCKED)`),

    /** This row, if it still waits to be sent, its subscription is active and nobody holds it. */
    async claimOne(id: string): Promise<ClaimedDelivery | undefined> {
      const [row] = await claimed(Prisma.sql`
         d.id = ${id}::uuid AND d.status = 'pending' AND s.active AND (d.locked_until IS NULL OR d.locked_until < CURRENT_TIMESTAMP)`)
      return row
    },

    /** Resolves and checks the target again (DNS may have changed since the subscription was made), then sends. */
    async attempt(delivery: ClaimedDelivery, signal?: AbortSignal): Promise<AttemptOutcome> {
      const body = JSON.stringify({ type: delivery.eventType, timestamp: delivery.createdAt.toISOString(), data: delivery.payload })
      let target: ResolvedTarget
      try {
        target = await resolveTarget(delivery.url, settings.allowPrivateTargets)
      } catch (error) {
        if (error instanceof WebhookTargetError) return { statusCode: null, error: `refused: ${error.message}` }
        throw error
      }
      return sendSigned(target, { eventId: delivery.eventId, secret: delivery.secret, body }, settings, signal)
    },

    async delivered(delivery: ClaimedDelivery, outcome: AttemptOutcome) {
      await prisma.$transaction([
        prisma.$executeRaw`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = CURRENT_TIMESTAMP, last_status_code = ${outcome.statusCode},
                                 last_error = NULL, next_attempt_at = NULL, locked_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = ${delivery.id}::uuid`,
        prisma.$executeRaw`UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since = NULL
                            WHERE id = ${delivery.subscriptionId}::uuid AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
      ])
    },

    /** A failed attempt with more to come, at `nextAttemptAt` (null: pg-boss's job decides when; due at once for the in-process dispatcher). */
    async willRetry(delivery: ClaimedDelivery, outcome: AttemptOutcome, nextAttemptAt: Date | null) {
      const error = outcome.error?.slice(0, 500) ?? null
      await prisma.$transaction([
        prisma.$executeRaw`UPDATE webhook_deliveries SET last_status_code = ${outcome.statusCode}, last_error = ${error}, next_attempt_at = ${nextAttemptAt},
                                 locked_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = ${delivery.id}::uuid`,
        subscriptionFailed(delivery, error, false),
      ])
    },

    /** The last attempt failed: the row is `failed`, and the subscription may be switched off (it says why). */
    async failed(delivery: ClaimedDelivery, outcome: AttemptOutcome) {
      const error = outcome.error?.slice(0, 500) ?? null
      await prisma.$transaction([
        prisma.$executeRaw`UPDATE webhook_deliveries SET status = 'failed', last_status_code = ${outcome.statusCode}, last_error = ${error}, next_attempt_at = NULL,
                                 locked_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = ${delivery.id}::uuid`,
        subscriptionFailed(delivery, error, true),
      ])
    },

    /**
     * An attempt cut short by shutdown: it does not count, and the row is free again at once, with no
     * job (pg-boss mode), so that the relay of whichever instance runs next queues it afresh.
     */
    async release(delivery: ClaimedDelivery) {
      await prisma.$executeRaw`UPDATE webhook_deliveries SET locked_until = NULL, attempts = attempts - 1, job_id = NULL, updated_at = CURRENT_TIMESTAMP
                                WHERE id = ${delivery.id}::uuid AND status = 'pending'`
    },

    /** Deletes finished deliveries older than the retention (the log is for recent trouble, not an archive). */
    async prune(): Promise<number> {
      if (settings.retentionDays === 0) return 0
      return prisma.$executeRaw`DELETE FROM webhook_deliveries
                                 WHERE status IN ('delivered', 'failed') AND created_at < CURRENT_TIMESTAMP - make_interval(days => ${settings.retentionDays})`
    },
  }
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>
