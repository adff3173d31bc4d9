import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { fromPrisma, PgBoss, type JobWithMetadata } from 'pg-boss'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { WebhookSettings } from '../../config/config.js'
import { createDeliveryStore } from './webhook-delivery-store.js'
import type { WebhookDispatcher } from './webhook-dispatcher.js'

/** One job per attempt series of one outbox row. */
export const DELIVERY_QUEUE = 'webhook-delivery'
/** Hands outbox rows nobody has queued yet to DELIVERY_QUEUE: after each commit, and every minute for what a crash left behind. */
const RELAY_QUEUE = 'webhook-outbox-relay'
const PRUNE_QUEUE = 'webhook-delivery-prune'
const RELAY_BATCH = 100
const SCHEMA = 'pgboss'
const START_WAIT_MS = 3_000

interface DeliveryJob {
  deliveryId: string
}

/** An attempt that failed: thrown so that pg-boss records it and retries the job (or, at the limit, fails it). */
class DeliveryAttemptFailed extends Error {
  constructor(readonly statusCode: number | null, reason: string) {
    super(reason)
    this.name = 'DeliveryAttemptFailed'
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))
/** Retries fall due in pg-boss's table, and a worker finds them when it polls: every 0.5–2 s, WEBHOOK_POLL_INTERVAL_MS within that (0: the fastest). */
const pollingSeconds = (ms: number) => Math.min(2, Math.max(0.5, ms / 1000))

/**
 * Delivery through pg-boss, on PostgreSQL. The outbox row is still written by the change's own
 * transaction; a relay then queues one pg-boss job per row, in one transaction that inserts the job
 * (through the same Prisma transaction: pg-boss's `db` option) and stores its id on the row, so a row
 * is queued exactly once. pg-boss does the rest: fetching with SKIP LOCKED across instances, retries
 * with exponential backoff and jitter up to WEBHOOK_MAX_ATTEMPTS, expiry of a crashed worker's job,
 * LISTEN/NOTIFY to wake workers, and the cron schedule of the relay and the log's pruning. The row
 * stays the delivery log (attempts, status code, error) that the admin API shows.
 */
export function createPgBossDispatcher(
  prisma: PrismaClient,
  settings: WebhookSettings,
  connectionString: string,
  log: FastifyBaseLogger,
): WebhookDispatcher {
  const store = createDeliveryStore(prisma, settings)
  const closing = new AbortController()
  const boss = new PgBoss({
    connectionString,
    schema: SCHEMA,
    application_name: 'acupoint-api-webhooks',
    max: 3,
    useListenNotify: true,
  })
  // pg-boss reports trouble it recovers from (a dropped connection, a slow maintenance query) as events.
  boss.on('error', (error) => log.warn({ err: error }, 'pg-boss'))
  let deliveryWorker: string | undefined
  let started = false
  let setup: Promise<void> | undefined
  let relaying: Promise<void> | undefined
  let again = false

  async function relayOnce(): Promise<number> {
    return prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT d.id::text AS id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active
         WHERE d.status = 'pending' AND d.job_id IS NULL
         ORDER BY d.created_at LIMIT ${RELAY_BATCH} FOR UPDATE OF d SKIP LOCKED`
      if (rows.length === 0) return 0
      const jobs = rows.map((row) => ({ id: randomUUID(), data: { deliveryId: row.id } satisfies DeliveryJob }))
      await boss.insert(DELIVERY_QUEUE, jobs, { db: fromPrisma(tx) })
      await tx.$executeRaw`
        UPDATE webhook_deliveries d SET job_id = j.job_id
          FROM unnest(${rows.map((row) => row.id)}::uuid[], ${jobs.map((job) => job.id)}::uuid[]) AS j(id, job_id)
         WHERE d.id = j.id`
      return rows.length
    })
  }

  async function relay(): Promise<void> {
    let queued = 0
    for (let batch = RELAY_BATCH; batch === RELAY_BATCH; queued += batch) batch = await relayOnce()
    // This instance's worker fetches at once; others hear of it through pg-boss's NOTIFY.
    if (queued > 0 && deliveryWorker) boss.notifyWorker(deliveryWorker)
  }

  async function deliver(job: JobWithMetadata<DeliveryJob>): Promise<void> {
    const delivery = await store.claimOne(job.data.deliveryId)
    if (!delivery) {
      // Already sent, failed or deleted; or its subscription was switched off meanwhile: then the row
      // goes back to the relay, which queues it again once the subscription is active.
      await prisma.$executeRaw`
        UPDATE webhook_deliveries d SET job_id = NULL FROM webhook_subscriptions s
         WHERE d.id = ${job.data.deliveryId}::uuid AND d.job_id = ${job.id}::uuid AND d.status = 'pending'
           AND s.id = d.subscription_id AND NOT s.active`
      return
    }
    const outcome = await store.attempt(delivery, closing.signal)
    if (closing.signal.aborted) {
      await store.release(delivery).catch(() => {})
      throw new DeliveryAttemptFailed(null, 'cancelled: the server is shutting down')
    }
    log.info({ deliveryId: delivery.id, eventType: delivery.eventType, attempt: delivery.attempts, statusCode: outcome.statusCode, error: outcome.error },
      outcome.error === null ? 'webhook delivered' : 'webhook delivery failed')
    if (outcome.error === null) return store.delivered(delivery, outcome)
    if (job.retryCount >= job.retryLimit) await store.failed(delivery, outcome)
    else await store.willRetry(delivery, outcome, null)
    throw new DeliveryAttemptFailed(outcome.statusCode, outcome.error)
  }

  function poke(): void {
    if (!started || closing.signal.aborted) return
    if (relaying) {
      again = true
      return
    }
    relaying = (async () => {
      do {
        again = false
        try {
          await relay()
        } catch (error) {
          // The database may be away: the next commit, or the relay's cron job, tries again.
          if (!closing.signal.aborted) log.warn({ err: error }, 'queueing webhook deliveries failed')
        }
      } while (again && !closing.signal.aborted)
    })().finally(() => {
      relaying = undefined
    })
  }

  return {
    kind: 'pg-boss',
    poke,

    async start() {
      setup = (async () => {
        // A database that is down at boot does not stop the app: pg-boss keeps trying (1 s, doubling to 30 s).
        await boss.start({ attempts: Number.MAX_SAFE_INTEGER })
        const retries = {
          retryLimit: settings.maxAttempts - 1,
          retryDelay: seconds(settings.retryBaseMs),
          retryBackoff: true,
          retryDelayMax: seconds(settings.retryMaxMs),
        }
        // An attempt never outlives its lease; past it, pg-boss counts the job as failed and retries it.
        const expireInSeconds = seconds(store.leaseMs)
        for (const [name, options] of [
          [DELIVERY_QUEUE, { ...retries, expireInSeconds, notify: true }],
          [RELAY_QUEUE, { retryLimit: 0, expireInSeconds: 300 }],
          [PRUNE_QUEUE, { retryLimit: 0, expireInSeconds: 3_600 }],
        ] as const) {
          await boss.createQueue(name, options)
          // Settings may have changed since the queue was made (createQueue leaves an existing queue alone).
          await boss.updateQueue(name, options)
        }
        await boss.schedule(RELAY_QUEUE, '* * * * *')
        await boss.schedule(PRUNE_QUEUE, '17 3 * * *')
        await boss.work(RELAY_QUEUE, async () => relay())
        await boss.work(PRUNE_QUEUE, async () => {
          const pruned = await store.prune()
          log.info({ pruned }, 'pruned the webhook delivery log')
        })
        // NOTIFY wakes the workers for new jobs, not for retries falling due: those are found by polling.
        const polling = pollingSeconds(settings.pollIntervalMs)
        deliveryWorker = await boss.work<DeliveryJob, void, { includeMetadata: true; localConcurrency: number; pollingIntervalSeconds: number; notifyPollingIntervalSeconds: number }>(DELIVERY_QUEUE,
          { includeMetadata: true, localConcurrency: 4, pollingIntervalSeconds: polling, notifyPollingIntervalSeconds: polling },
          async ([job]) => deliver(job!))
        started = true
        // Rows written while no instance was up, or left unqueued by a crash, go out now.
        poke()
      })().catch((error: unknown) => {
        if (!closing.signal.aborted) log.error({ err: error }, 'webhook delivery through pg-boss did not start')
      })
      // Normally ready in well under a second; a database that is down delays the boot by this much at most.
      await Promise.race([setup, new Promise((resolve) => setTimeout(resolve, START_WAIT_MS).unref())])
    },

    async nextAttempts(deliveries) {
      if (!started) return new Map()
      const found = await Promise.all(deliveries.filter((delivery) => delivery.jobId).map(async (delivery) => {
        const [job] = await boss.findJobs(DELIVERY_QUEUE, { id: delivery.jobId! }).catch(() => [])
        return job && (job.state === 'created' || job.state === 'retry') ? [delivery.id, job.startAfter] as const : undefined
      }))
      return new Map(found.filter((entry) => entry !== undefined))
    },

    async idle() {
      await setup
      if (!started) return
      for (;;) {
        while (relaying) await relaying
        const [{ busy }] = await prisma.$queryRawUnsafe<[{ busy: boolean }]>(
          `SELECT EXISTS (SELECT 1 FROM ${SCHEMA}.job WHERE name = $1
                           AND (state = 'active' OR (state IN ('created', 'retry') AND start_after <= now()))) AS busy`, DELIVERY_QUEUE)
        if (!busy && !relaying) return
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },

    async stop() {
      closing.abort()
      while (relaying) await relaying
      if (!setup) return
      // Graceful: the attempts in flight were just cancelled, so their handlers end at once and hand the
      // jobs back to pg-boss for a retry.
      await boss.stop({ graceful: true, timeout: 5_000, close: true })
      await setup
    },
  }
}
