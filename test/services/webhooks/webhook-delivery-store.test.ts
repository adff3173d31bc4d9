import t, { type Test } from 'tap'
import { createDeliveryStore, retryDelayMs } from '../../../src/services/webhooks/webhook-delivery-store.js'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { submitComment } from '../../helpers/comments.js'
import { eventually, startReceiver, WEBHOOK_SERVICE_ENV as ENV } from '../../helpers/webhook-receiver.js'


async function subscribed(t: Test, env: Record<string, string>, respond: () => number | 'hang') {
  const { app, db, config } = await buildTestApp(t, { ...ENV, ...env })
  const admin = await staffToken(app, 'admin')
  const receiver = await startReceiver(t, respond)
  const created = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url: receiver.url, eventTypes: ['comment.submitted'] } })
  t.equal(created.statusCode, 201)
  const id = created.json().subscription.id as string
  const read = async () => (await app.inject({ url: `/v1/webhooks/${id}`, headers: admin.headers })).json()
  return { app, db, config, id, receiver, read }
}

t.test('a subscription failing for longer than WEBHOOK_DISABLE_AFTER_HOURS is switched off at its next failed attempt, and says why', async (t) => {
  const { app, db, id, receiver, read } = await subscribed(t, { WEBHOOK_DISABLE_AFTER_HOURS: '24' }, () => 503)
  // Failing for 25 hours, the latest failure a moment ago.
  await db.query(`UPDATE webhook_subscriptions SET failing_since = now() - interval '25 hours', last_failure_at = now() WHERE id = $1`, [id])
  t.equal((await submitComment(app)).statusCode, 202)
  const off = await eventually(async () => { const current = await read(); return current.active === false && current }, 30_000, 'the subscription to be switched off')
  t.match(off, { consecutiveFailures: 0, disabledReason: /failing for 24 hours without a successful delivery \(last: HTTP 503\)/ }, 'before any delivery failed for good')
  t.equal(receiver.received.length, 1, 'one attempt did it')
  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 1, 'and nothing more is sent')
})

t.test('failing for a while, then a success: the clock starts again; 0 switches the rule off', async (t) => {
  let status = 503
  const { app, db, id, receiver } = await subscribed(t, { WEBHOOK_DISABLE_AFTER_HOURS: '0', WEBHOOK_MAX_ATTEMPTS: '5' }, () => status)
  t.equal((await submitComment(app)).statusCode, 202)
  await eventually(() => receiver.received[0], 30_000, 'the first attempt')
  const failing = await eventually(async () => (await db.one('SELECT failing_since FROM webhook_subscriptions WHERE id = $1', [id])).failing_since as Date | null, 30_000, 'failing_since')
  t.ok(Date.now() - failing!.getTime() < 60_000, 'set at the first failed attempt')
  await db.query(`UPDATE webhook_subscriptions SET failing_since = now() - interval '1000 hours' WHERE id = $1`, [id])
  const seen = receiver.received.length
  await eventually(async () => receiver.received.length > seen && (await db.one(`SELECT last_error FROM webhook_deliveries`)).last_error !== null
    && (await db.one('SELECT last_failure_at > now() - interval \'5 seconds\' AS recent FROM webhook_subscriptions WHERE id = $1', [id])).recent, 30_000, 'one more failed attempt')
  t.match(await db.one('SELECT active, disabled_reason FROM webhook_subscriptions WHERE id = $1', [id]), { active: true, disabled_reason: null },
    'with the rule off, 1,000 hours of failing do not switch it off')
  status = 200
  await eventually(async () => (await db.one('SELECT status::text FROM webhook_deliveries')).status === 'delivered', 30_000, 'the retry to succeed')
  t.match(await db.one('SELECT active, failing_since FROM webhook_subscriptions WHERE id = $1', [id]), { active: true, failing_since: null }, 'the success cleared the clock')
})

t.test('a failure after a quiet spell longer than any retry delay starts a new failing spell', async (t) => {
  const { app, db, id, read } = await subscribed(t, { WEBHOOK_DISABLE_AFTER_HOURS: '24' }, () => 503)
  // Failing 100 hours ago, then nothing to send for 50: the old spell is over.
  await db.query(`UPDATE webhook_subscriptions SET failing_since = now() - interval '100 hours', last_failure_at = now() - interval '50 hours' WHERE id = $1`, [id])
  t.equal((await submitComment(app)).statusCode, 202)
  const row = await eventually(async () => {
    const found = await db.one('SELECT failing_since, last_failure_at FROM webhook_subscriptions WHERE id = $1', [id])
    return Date.now() - (found.last_failure_at as Date).getTime() < 60_000 && found
  }, 30_000, 'the failed attempt')
  t.ok(Date.now() - (row.failing_since as Date).getTime() < 60_000, 'failing_since is now')
  t.equal((await read()).active, true, 'one failure after the gap does not switch it off')
})

t.test('the delivery log keeps finished deliveries for WEBHOOK_DELIVERY_RETENTION_DAYS; pending ones stay whatever their age', async (t) => {
  const { app, db, config, id } = await subscribed(t, { WEBHOOK_DELIVERY_RETENTION_DAYS: '30' }, () => 200)
  for (const [status, age] of [['delivered', '40 days'], ['failed', '40 days'], ['pending', '40 days'], ['delivered', '1 day']] as const) {
    await db.query(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, status, next_attempt_at, created_at, updated_at)
                    VALUES (gen_random_uuid(), $1, gen_random_uuid(), 'comment.submitted', '{}', $2, NULL, now() - $3::interval, now())`, [id, status, age])
  }
  // Not through the dispatcher: the old pending row would be sent (and become recent history) meanwhile.
  const store = createDeliveryStore(app.prisma, config.webhooks)
  t.equal(await store.prune(), 2, 'the two finished deliveries older than 30 days')
  t.same((await db.query(`SELECT status::text, created_at < now() - interval '30 days' AS old FROM webhook_deliveries ORDER BY created_at`)).rows,
    [{ status: 'pending', old: true }, { status: 'delivered', old: false }])
  t.equal(await createDeliveryStore(app.prisma, { ...config.webhooks, retentionDays: 0 }).prune(), 0, '0 keeps everything')
})

t.test('a claimed row is held by its lease; an attempt cut short by shutdown does not count and frees the row at once', async (t) => {
  const { app, db, config, id } = await subscribed(t, {}, () => 200)
  await app.webhookDispatcher.stop()
  await db.query(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, updated_at)
                  VALUES (gen_random_uuid(), $1, gen_random_uuid(), 'comment.submitted', '{}', now())`, [id])
  const { id: deliveryId } = await db.one('SELECT id::text FROM webhook_deliveries')
  const store = createDeliveryStore(app.prisma, config.webhooks)
  t.notOk(await store.claimOne('00000000-0000-4000-8000-000000000000'), 'an unknown row is not claimed')
  const claimed = await store.claimOne(deliveryId)
  t.match(claimed, { id: deliveryId, subscriptionId: id, attempts: 1 })
  t.notOk(await store.claimOne(deliveryId), 'held: nobody else takes it')
  t.same(await store.claimDue(10), [], 'not even a drain')
  await store.release(claimed!)
  t.match(await db.one('SELECT attempts, locked_until, job_id FROM webhook_deliveries'), { attempts: 0, locked_until: null, job_id: null })
  t.match(await store.claimOne(deliveryId), { attempts: 1 }, 'free again')
})

t.test('shutdown cancels an attempt in flight: it does not count, and the row is free for the next instance', async (t) => {
  const { app, db, receiver } = await subscribed(t, { WEBHOOK_TIMEOUT_MS: '60000' }, () => 'hang')
  t.equal((await submitComment(app)).statusCode, 202)
  await eventually(() => receiver.received[0], 30_000, 'the attempt to reach the receiver')
  const stopped = performance.now()
  await app.webhookDispatcher.stop()
  t.ok(performance.now() - stopped < 10_000, 'stopping does not wait out the 60 s timeout')
  t.match(await db.one('SELECT status::text, attempts, locked_until, job_id FROM webhook_deliveries'), { status: 'pending', attempts: 0, locked_until: null, job_id: null })
  if (app.webhookDispatcher.kind === 'pg-boss') {
    t.match(await db.one(`SELECT state, retry_count FROM pgboss.job WHERE name = 'webhook-delivery'`), { state: 'completed', retry_count: 0 },
      'the job ends without using a retry; the relay queues the row afresh')
  }
})

t.test('retry delays double from the base, with 50–100 % jitter, up to the maximum', async (t) => {
  const settings = { retryBaseMs: 1_000, retryMaxMs: 60_000 }
  t.equal(retryDelayMs(1, settings, () => 1), 1_000, 'attempt 1: the base')
  t.equal(retryDelayMs(1, settings, () => 0), 500, 'jitter halves it at most')
  t.equal(retryDelayMs(4, settings, () => 1), 8_000, 'attempt 4: 2³ × base')
  t.equal(retryDelayMs(20, settings, () => 1), 60_000, 'capped')
  t.equal(retryDelayMs(20, settings, () => 0), 30_000)
  for (let attempt = 1; attempt <= 10; attempt++) {
    const delay = retryDelayMs(attempt, settings)
    const ceiling = Math.min(60_000, 1_000 * 2 ** (attempt - 1))
    t.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay} ms within [${ceiling / 2}, ${ceiling}]`)
  }
})
