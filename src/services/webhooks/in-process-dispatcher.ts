import type { FastifyBaseLogger } from 'fastify'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { WebhookSettings } from '../../config/config.js'
import { createDeliveryStore, retryDelayMs, type ClaimedDelivery } from './webhook-delivery-store.js'
import type { WebhookDispatcher } from './webhook-dispatcher.js'

const BATCH = 10
const DAY_MS = 86_400_000

/**
 * The embedded database's dispatcher (pg-boss cannot run on PGlite beside the app: README,
 * "Webhooks"), also selectable on PostgreSQL with WEBHOOK_DELIVERY=in-process. It drains the outbox
 * itself: rows are claimed with FOR UPDATE SKIP LOCKED and a lease, in one statement that holds no
 * transaction open while the HTTP request runs, so several instances on one database share the work
 * and a crashed instance's rows come back when the lease runs out. It runs when told (after a commit
 * that queued deliveries), when a retry falls due, and every WEBHOOK_POLL_INTERVAL_MS.
 */
export function createInProcessDispatcher(prisma: PrismaClient, settings: WebhookSettings, log: FastifyBaseLogger): WebhookDispatcher {
  const store = createDeliveryStore(prisma, settings)
  const closing = new AbortController()
  let running: Promise<void> | undefined
  let again = false
  let retryTimer: NodeJS.Timeout | undefined
  let pollTimer: NodeJS.Timeout | undefined
  let pruneTimer: NodeJS.Timeout | undefined

  async function send(delivery: ClaimedDelivery) {
    const outcome = await store.attempt(delivery, closing.signal)
    // A 2xx that arrived as shutdown began is a delivery like any other.
    if (outcome.error !== null && closing.signal.aborted) {
      await store.release(delivery).catch(() => {})
      return
    }
    if (outcome.error === null) await store.delivered(delivery, outcome)
    else if (delivery.attempts < settings.maxAttempts) {
      const next = new Date(Date.now() + retryDelayMs(delivery.attempts, settings))
      await store.willRetry(delivery, outcome, next)
      scheduleRetry(next.getTime() - Date.now())
    } else await store.failed(delivery, outcome)
    log.info({ deliveryId: delivery.id, eventType: delivery.eventType, attempt: delivery.attempts, statusCode: outcome.statusCode, error: outcome.error },
      outcome.error === null ? 'webhook delivered' : 'webhook delivery failed')
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
      const batch = await store.claimDue(BATCH)
      if (batch.length === 0) {
        // Wake up for the next row that falls due (a retry, or one another instance holds a lease on).
        const [next] = await prisma.$queryRaw<Array<{ at: Date | null }>>`
          SELECT min(GREATEST(COALESCE(d.next_attempt_at, d.created_at), COALESCE(d.locked_until, d.created_at))) AS at
            FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active
           WHERE d.status = 'pending'`
        if (next?.at) scheduleRetry(next.at.getTime() - Date.now())
        return
      }
      await Promise.all(batch.map(send))
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

  const prune = () => store.prune().catch((error: unknown) => log.warn({ err: error }, 'pruning the webhook delivery log failed'))

  return {
    kind: 'in-process',
    poke,
    async start() {
      if (settings.pollIntervalMs > 0) {
        pollTimer = setInterval(poke, settings.pollIntervalMs)
        pollTimer.unref()
      }
      pruneTimer = setInterval(prune, DAY_MS)
      pruneTimer.unref()
      // Before the app is ready, so that this start-up work never mixes with its first requests.
      await prune()
      try {
        // Rows left by an earlier run (or written while no instance was up) go out now, not at the first poll.
        const [waiting] = await prisma.$queryRaw<Array<{ due: boolean }>>`SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending') AS due`
        if (waiting?.due) poke()
      } catch (error) {
        // The database may be down at boot: the poll (or the next commit) finds the rows.
        log.warn({ err: error }, 'webhook dispatch failed')
      }
    },
    nextAttempts: async () => new Map(),
    async idle(): Promise<void> {
      while (running) await running
    },
    async stop(): Promise<void> {
      closing.abort()
      clearInterval(pollTimer)
      clearInterval(pruneTimer)
      clearTimeout(retryTimer)
      await running
    },
  }
}
