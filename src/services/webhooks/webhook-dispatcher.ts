import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { Webhook } from 'standardwebhooks'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { WebhookSettings } from '../../config/config.js'
import { resolveTarget, WebhookTargetError, type ResolvedTarget } from './webhook-targets.js'

interface ClaimedDelivery {
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

const BATCH = 10
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
 * Drains the outbox (webhook_deliveries). Rows are claimed with FOR UPDATE SKIP LOCKED and a lease,
 * in one statement that holds no transaction open while the HTTP request runs; so several instances
 * on one PostgreSQL share the work, and a crashed instance's rows come back when the lease runs out.
 * It runs when told (after a commit that queued deliveries), when a retry falls due, and every
 * WEBHOOK_POLL_INTERVAL_MS.
 */
export function createWebhookDispatcher(prisma: PrismaClient, settings: WebhookSettings, log: FastifyBaseLogger) {
  const closing = new AbortController()
  let running: Promise<void> | undefined
  let again = false
  let retryTimer: NodeJS.Timeout | undefined
  let pollTimer: NodeJS.Timeout | undefined
  // The lease outlasts an attempt (DNS and the request), so no second instance sends it meanwhile.
  const leaseMs = settings.timeoutMs + 10_000

  async function claim(): Promise<ClaimedDelivery[]> {
    return prisma.$queryRaw<ClaimedDelivery[]>`
      UPDATE webhook_deliveries d
         SET locked_until = CURRENT_TIMESTAMP + make_interval(secs => ${leaseMs / 1000}), attempts = d.attempts + 1, updated_at = CURRENT_TIMESTAMP
        FROM webhook_subscriptions s
       WHERE s.id = d.subscription_id
         AND d.id IN (SELECT q.id FROM webhook_deliveries q JOIN webhook_subscriptions qs ON qs.id = q.subscription_id AND qs.active
                       WHERE q.status = 'pending' AND q.next_attempt_at <= CURRENT_TIMESTAMP
                         AND (q.locked_until IS NULL OR q.locked_until < CURRENT_TIMESTAMP)
                       ORDER BY q.next_attempt_at LIMIT ${BATCH} FOR UPDATE OF q SKIP LOCKED)
      RETURNING d.id::text AS id, d.subscription_id::text AS "subscriptionId", d.event_id::text AS "eventId", d.event_type AS "eventType",
                d.payload, d.attempts, d.created_at AS "createdAt", s.url, s.secret`
  }

  async function attempt(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    const body = JSON.stringify({ type: delivery.eventType, timestamp: delivery.createdAt.toISOString(), data: delivery.payload })
    let target: ResolvedTarget
    try {
      // Checked again on every delivery, after resolution: DNS may have changed since the subscription was made.
      target = await resolveTarget(delivery.url, settings.allowPrivateTargets)
    } catch (error) {
      if (error instanceof WebhookTargetError) return { statusCode: null, error: `refused: ${error.message}` }
      throw error
    }
    return sendSigned(target, { eventId: delivery.eventId, secret: delivery.secret, body }, settings, closing.signal)
  }

  async function record(delivery: ClaimedDelivery, outcome: AttemptOutcome) {
    const error = outcome.error?.slice(0, 500) ?? null
    if (outcome.error === null) {
      await prisma.$transaction([
        prisma.$executeRaw`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = CURRENT_TIMESTAMP, last_status_code = ${outcome.statusCode},
                                 last_error = NULL, next_attempt_at = NULL, locked_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = ${delivery.id}::uuid`,
        prisma.$executeRaw`UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE id = ${delivery.subscriptionId}::uuid AND consecutive_failures <> 0`,
      ])
      return
    }
    if (delivery.attempts < settings.maxAttempts) {
      const next = new Date(Date.now() + retryDelayMs(delivery.attempts, settings))
      await prisma.$executeRaw`UPDATE webhook_deliveries SET last_status_code = ${outcome.statusCode}, last_error = ${error}, next_attempt_at = ${next},
                                      locked_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = ${delivery.id}::uuid`
      scheduleRetry(next.getTime() - Date.now())
      return
    }
    // Failed for good: a subscription that fails delivery after delivery is switched off, and says why.
    const reason = `Deactivated after ${settings.disableAfterFailures} deliveries in a row failed (last: ${error})`
    await prisma.$transaction([
      prisma.$executeRaw`UPDATE webhook_deliveries SET status = 'failed', last_status_code = ${outcome.statusCode}, last_error = ${error}, next_attempt_at = NULL,
                               locked_until = NULL, updated_at = CURRENT_TIMESTAMP WHERE id = ${delivery.id}::uuid`,
      prisma.$executeRaw`UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1,
                               active = CASE WHEN consecutive_failures + 1 >= ${settings.disableAfterFailures} THEN false ELSE active END,
                               disabled_reason = CASE WHEN active AND consecutive_failures + 1 >= ${settings.disableAfterFailures} THEN ${reason} ELSE disabled_reason END,
                               disabled_at = CASE WHEN active AND consecutive_failures + 1 >= ${settings.disableAfterFailures} THEN CURRENT_TIMESTAMP ELSE disabled_at END
                         WHERE id = ${delivery.subscriptionId}::uuid`,
    ])
  }

  // One timer, for the earliest retry due: a later one must not push an earlier one back (the
  // drain it starts claims every row due by then, and schedules the next).
  let retryAt = Infinity
  function scheduleRetry(inMs: number) {
    if (closing.signal.aborted) return
    const at = Date.now() + Math.max(0, inMs) + 5
    if (at >= retryAt && Date.now() < retryAt) return
    clearTimeout(retryTimer)
    retryAt = at
    retryTimer = setTimeout(() => {
      retryAt = Infinity
      poke()
    }, at - Date.now())
    retryTimer.unref()
  }

  async function drain(): Promise<void> {
    for (;;) {
      const batch = await claim()
      if (batch.length === 0) {
        // Wake up for the next row that falls due (a retry, or one another instance holds a lease on).
        const [next] = await prisma.$queryRaw<Array<{ at: Date | null }>>`
          SELECT min(GREATEST(d.next_attempt_at, COALESCE(d.locked_until, d.next_attempt_at))) AS at
            FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active
           WHERE d.status = 'pending'`
        if (next?.at) scheduleRetry(next.at.getTime() - Date.now())
        return
      }
      await Promise.all(batch.map(async (delivery) => {
        const outcome = await attempt(delivery)
        if (closing.signal.aborted) return
        await record(delivery, outcome)
        log.info({ deliveryId: delivery.id, eventType: delivery.eventType, attempt: delivery.attempts, statusCode: outcome.statusCode, error: outcome.error },
          outcome.error === null ? 'webhook delivered' : 'webhook delivery failed')
      }))
      if (closing.signal.aborted) return
    }
  }

  /** Starts a drain, or asks the running one to look again when it is done. */
  function poke(): void {
    if (closing.signal.aborted) return
    if (running) {
      again = true
      return
    }
    running = (async () => {
      do {
        again = false
        try {
          await drain()
        } catch (error) {
          // The database may be away: the poll (or the next commit) tries again.
          if (!closing.signal.aborted) log.warn({ err: error }, 'webhook dispatch failed')
        }
      } while (again && !closing.signal.aborted)
    })().finally(() => {
      running = undefined
    })
  }

  return {
    poke,
    start() {
      if (settings.pollIntervalMs > 0) {
        pollTimer = setInterval(poke, settings.pollIntervalMs)
        pollTimer.unref()
      }
    },
    /** Resolves when no drain is running (tests wait on it). */
    async idle(): Promise<void> {
      while (running) await running
    },
    /** Stops polling and cancels requests in flight; their rows are sent again after the lease. */
    async stop(): Promise<void> {
      closing.abort()
      clearInterval(pollTimer)
      clearTimeout(retryTimer)
      await running
    },
  }
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>
