import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { fromPrisma, PgBoss, type JobWithMetadata } from 'pg-boss'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import type { WebhookSettings } from '../../config/config.js'
import { createDeliveryStore, retryDelayMs } from './webhook-delivery-store.js'
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
  boss.on('warning', (warning) => log.warn({ warning }, 'pg-boss warning'))
  let deliveryWorker: string | undefined
  let started = false
  let setup: Promise<void> | undefined
  let relaying: Promise<void> | undefined
  let again = false
  let stopping = false

  /**
   * Queues up to RELAY_BATCH unqueued rows: their jobs are inserted by the transaction that locks the
   * rows and stores the job ids. `sweep` also takes pending rows whose job has ended or vanished
   * without finishing them (its last retry failed without a verdict, pg-boss's retention deleted it).
   */
  async function relayOnce(sweep: boolean): Promise<number> {
    return prisma.$transaction(async (tx) => {
      const orphaned = sweep
        ? Prisma.sql`OR NOT EXISTS (SELECT 1 FROM ${Prisma.raw(SCHEMA)}.job j
                                     WHERE j.name = ${DELIVERY_QUEUE} AND j.id = d.job_id AND j.state IN ('created', 'retry', 'active'))`
        : Prisma.empty
      const rows = await tx.$queryRaw<Array<{ id: string; nextAttemptAt: Date | null }>>`
        SELECT d.id::text AS id, d.next_attempt_at AS "nextAttemptAt"
          FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active
         WHERE d.status = 'pending' AND (d.job_id IS NULL ${orphaned})
         ORDER BY d.created_at LIMIT ${RELAY_BATCH} FOR UPDATE OF d SKIP LOCKED`
      if (rows.length === 0) return 0
      const now = Date.now()
      // A row handed back with a retry time (below) keeps it.
      const jobs = rows.map((row) => ({
        id: randomUUID(),
        data: { deliveryId: row.id } satisfies DeliveryJob,
        ...(row.nextAttemptAt && row.nextAttemptAt.getTime() > now ? { startAfter: row.nextAttemptAt } : {}),
      }))
      await boss.insert(DELIVERY_QUEUE, jobs, { db: fromPrisma(tx) })
      await tx.$executeRaw`
        UPDATE webhook_deliveries d SET job_id = j.job_id
          FROM unnest(${rows.map((row) => row.id)}::uuid[], ${jobs.map((job) => job.id)}::uuid[]) AS j(id, job_id)
         WHERE d.id = j.id`
      return rows.length
    })
  }

  /**
   * Whether a sweep has anything to queue, asked on pg-boss's own connections: the cron job and the
   * start then cost the app's pool nothing while the outbox is quiet, which it mostly is.
   */
  async function sweepHasWork(): Promise<boolean> {
    const { rows } = await boss.getDb().executeSql(`
      SELECT EXISTS (SELECT 1 FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active
                      WHERE d.status = 'pending'
                        AND (d.job_id IS NULL OR NOT EXISTS (SELECT 1 FROM ${SCHEMA}.job j
                                                              WHERE j.name = $1 AND j.id = d.job_id AND j.state IN ('created', 'retry', 'active')))) AS work`, [DELIVERY_QUEUE])
    return rows[0]?.work === true
  }

  async function relay(sweep: boolean): Promise<void> {
    if (sweep && !(await sweepHasWork())) return
    let queued = 0
    for (let batch = RELAY_BATCH; batch === RELAY_BATCH; queued += batch) batch = await relayOnce(sweep)
    // This instance's worker fetches at once; others hear of it through pg-boss's NOTIFY.
    if (queued > 0 && deliveryWorker) boss.notifyWorker(deliveryWorker)
  }

  /** Hands the row back to the relay (no job), to be queued again: at once, or at `nextAttemptAt`. */
  const handBack = (deliveryId: string, jobId: string) => prisma.$executeRaw`
    UPDATE webhook_deliveries SET job_id = NULL WHERE id = ${deliveryId}::uuid AND job_id = ${jobId}::uuid AND status = 'pending'`

  async function deliver(job: JobWithMetadata<DeliveryJob>): Promise<void> {
    const { deliveryId } = job.data
    const delivery = await store.claimOne(deliveryId)
    if (!delivery) {
      const [row] = await prisma.$queryRaw<Array<{ pending: boolean; mine: boolean; active: boolean }>>`
        SELECT d.status = 'pending' AS pending, d.job_id IS NOT DISTINCT FROM ${job.id}::uuid AS mine, s.active
          FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ${deliveryId}::uuid`
      // Sent, failed for good or deleted; or another job carries the row now: nothing to do.
      if (!row?.pending || !row.mine) return
      // Switched off meanwhile: the relay queues the row again once the subscription is active.
      if (!row.active) {
        await handBack(deliveryId, job.id)
        return
      }
      // Held by an attempt still in flight (or by a crashed one whose lease has not run out): later.
      throw new DeliveryAttemptFailed(null, 'the delivery is held by another attempt')
    }
    const outcome = await store.attempt(delivery, closing.signal)
    // Cut short by shutdown: not an attempt. The row goes back to the relay (a 2xx that arrived meanwhile counts).
    if (outcome.error !== null && closing.signal.aborted) {
      await store.release(delivery)
      return
    }
    log.info({ deliveryId, eventType: delivery.eventType, attempt: delivery.attempts, statusCode: outcome.statusCode, error: outcome.error },
      outcome.error === null ? 'webhook delivered' : 'webhook delivery failed')
    if (outcome.error === null) return store.delivered(delivery, outcome)
    // The row counts the attempts (a row may have had several jobs): it decides when to give up.
    if (delivery.attempts >= settings.maxAttempts) return store.failed(delivery, outcome)
    if (job.retryCount >= job.retryLimit) {
      // pg-boss has no retry left for this job but the row has attempts: a new job, after the same backoff.
      await store.willRetry(delivery, outcome, new Date(Date.now() + retryDelayMs(delivery.attempts, settings)))
      await handBack(deliveryId, job.id)
      poke()
      return
    }
    await store.willRetry(delivery, outcome, null)
    // Thrown so that pg-boss retries the job, with exponential backoff and jitter.
    throw new DeliveryAttemptFailed(outcome.statusCode, outcome.error)
  }

  let sweepRequested = false
  /** Runs the relay now, or once more after the one running; `sweep` as relayOnce says. */
  function poke(sweep = false): void {
    if (!started || stopping) return
    sweepRequested ||= sweep
    if (relaying) {
      again = true
      return
    }
    relaying = (async () => {
      do {
        again = false
        const withSweep = sweepRequested
        sweepRequested = false
        try {
          await relay(withSweep)
        } catch (error) {
          // The database may be away: the next commit, or the relay's cron job, tries again.
          if (!stopping) log.warn({ err: error }, 'queueing webhook deliveries failed')
        }
      } while (again && !stopping)
    })().finally(() => {
      relaying = undefined
    })
  }

  return {
    kind: 'pg-boss',
    poke: () => poke(),

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
          // Queued jobs outlive every retry they may wait for (the relay's sweep re-queues a row whose job is gone anyway).
          [DELIVERY_QUEUE, { ...retries, expireInSeconds, notify: true, retentionSeconds: Math.max(14 * 86_400, seconds(settings.maxAttempts * settings.retryMaxMs) + 86_400) }],
          [RELAY_QUEUE, { retryLimit: 0, expireInSeconds: 300 }],
          [PRUNE_QUEUE, { retryLimit: 0, expireInSeconds: 3_600 }],
        ] as const) {
          await boss.createQueue(name, options)
          // Settings may have changed since the queue was made (createQueue leaves an existing queue alone).
          await boss.updateQueue(name, options)
        }
        await boss.schedule(RELAY_QUEUE, '* * * * *')
        await boss.schedule(PRUNE_QUEUE, '17 3 * * *')
        await boss.work(RELAY_QUEUE, async () => relay(true))
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
        // Rows written while no instance was up, or left unqueued by a crash, go out now (before the
        // app is ready, so that this start-up work never mixes with its first requests).
        await relay(true).catch((error: unknown) => log.warn({ err: error }, 'queueing webhook deliveries failed'))
      })().catch((error: unknown) => {
        if (!stopping) log.error({ err: error }, 'webhook delivery through pg-boss did not start')
      })
      // Normally ready in well under a second; a database that is down delays the boot by this much at most.
      await Promise.race([setup, new Promise((resolve) => setTimeout(resolve, START_WAIT_MS).unref())])
    },

    async nextAttempts(deliveries) {
      const jobIds = deliveries.flatMap((delivery) => (delivery.jobId ? [delivery.jobId] : []))
      if (!started || jobIds.length === 0) return new Map()
      const jobs = await prisma.$queryRaw<Array<{ id: string; startAfter: Date }>>`
        SELECT id::text AS id, start_after AS "startAfter" FROM ${Prisma.raw(SCHEMA)}.job
         WHERE name = ${DELIVERY_QUEUE} AND id = ANY (${jobIds}::uuid[]) AND state IN ('created', 'retry')`
      const byJob = new Map(jobs.map((job) => [job.id, job.startAfter]))
      return new Map(deliveries.flatMap((delivery) => (delivery.jobId && byJob.has(delivery.jobId) ? [[delivery.id, byJob.get(delivery.jobId)!] as const] : [])))
    },

    async idle() {
      await setup
      if (!started) return
      for (;;) {
        while (relaying) await relaying
        const [{ busy }] = await prisma.$queryRaw<[{ busy: boolean }]>`
          SELECT EXISTS (SELECT 1 FROM ${Prisma.raw(SCHEMA)}.job WHERE name = ${DELIVERY_QUEUE}
                          AND (state = 'active' OR (state IN ('created', 'retry') AND start_after <= now()))) AS busy`
        if (!busy && !relaying) return
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },

    async stop() {
      stopping = true
      while (relaying) await relaying
      if (!setup) return
      // No new attempts from here; those in flight are cancelled and hand their rows back (deliver()).
      if (deliveryWorker) await boss.offWork(DELIVERY_QUEUE, { wait: false }).catch(() => {})
      closing.abort()
      await boss.stop({ graceful: true, timeout: 5_000, close: true })
      await setup
    },
  }
}
