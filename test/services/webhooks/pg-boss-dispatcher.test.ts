import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { buildTestApp, checkEveryResponse, staffToken } from '../../helpers/build-test-app.js'
import { submitComment } from '../../helpers/comments.js'
import { environmentConfig } from '../../helpers/test-database.js'
import { eventually, startReceiver, WEBHOOK_SERVICE_ENV as ENV } from '../../helpers/webhook-receiver.js'

// pg-boss runs on PostgreSQL only (README, "Webhooks": it cannot share the embedded PGlite); the
// embedded run covers the in-process dispatcher through the same route tests.

t.test('pg-boss delivery', { skip: environmentConfig.databaseUrl ? false : 'pg-boss needs PostgreSQL (DATABASE_URL); the embedded database uses the in-process dispatcher' }, async (t) => {
  t.test('is the default on PostgreSQL; each outbox row becomes one pg-boss job, and the log shows when pg-boss retries', async (t) => {
    const { app, db } = await buildTestApp(t, { ...ENV, WEBHOOK_RETRY_BASE_MS: '60000', WEBHOOK_RETRY_MAX_MS: '60000' })
    t.equal(app.webhookDispatcher.kind, 'pg-boss')
    const admin = await staffToken(app, 'admin')
    const receiver = await startReceiver(t, () => 503)
    const created = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url: receiver.url, eventTypes: ['comment.submitted'] } })
    const subscriptionId = created.json().subscription.id as string
    t.equal((await submitComment(app)).statusCode, 202)
    await eventually(() => receiver.received[0], 30_000, 'the first attempt')

    const row = await eventually(async () => {
      const found = await db.one(`SELECT d.job_id::text AS "jobId", d.attempts, d.last_error AS "lastError", j.state, j.retry_count AS "retryCount", j.retry_limit AS "retryLimit", j.start_after AS "startAfter"
                                    FROM webhook_deliveries d JOIN pgboss.job j ON j.id = d.job_id`)
      return found.state === 'retry' && found
    }, 30_000, 'the job to wait for its retry')
    // pg-boss counts a retry when it starts it: none has started yet.
    t.match(row, { attempts: 1, lastError: 'HTTP 503', retryCount: 0, retryLimit: 7 }, 'WEBHOOK_MAX_ATTEMPTS 8: pg-boss retries 7 times')
    const [item] = (await app.inject({ url: `/v1/webhooks/${subscriptionId}/deliveries`, headers: admin.headers })).json().items
    t.equal(item.status, 'pending')
    t.equal(item.nextAttemptAt, row.startAfter.toISOString(), 'the log\'s next attempt is pg-boss\'s start_after for the job')
    const inSeconds = (row.startAfter.getTime() - Date.now()) / 1000
    t.ok(inSeconds > 30 && inSeconds <= 120, `the retry is 60–120 s away (backoff with jitter): ${inSeconds.toFixed(1)} s`)
    t.equal(receiver.received.length, 1, 'and not sent again meanwhile')
  })

  t.test('outbox rows nobody queued (the instance died after the commit) or whose job is gone are queued when an instance starts', async (t) => {
    const { app, config, db } = await buildTestApp(t, ENV)
    const admin = await staffToken(app, 'admin')
    const receiver = await startReceiver(t)
    const created = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url: receiver.url, eventTypes: ['comment.submitted'] } })
    const subscriptionId = created.json().subscription.id as string
    await app.close()
    // As the transaction of a submission would have left it, with nobody alive to relay it; and a row
    // whose job is gone (pg-boss's retention deleted it, or it ended without a verdict).
    for (const [commentId, jobId] of [['left-behind', null], ['job-gone', '8f0e2b1c-0000-4000-8000-000000000001']]) {
      await db.query(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, job_id, updated_at)
                      VALUES (gen_random_uuid(), $1, gen_random_uuid(), 'comment.submitted', json_build_object('commentId', $2::text), $3, now())`, [subscriptionId, commentId, jobId])
    }
    const next = await buildApp(config, { loggerInstance: pino({ level: 'silent' }) })
    t.teardown(() => next.close())
    await next.ready()
    await eventually(() => receiver.received.length >= 2, 30_000, 'both events')
    t.same(receiver.received.map((message) => message.json.data.commentId).sort(), ['job-gone', 'left-behind'])
    await next.webhookDispatcher.idle()
    t.equal(receiver.received.length, 2)
    t.same((await db.query(`SELECT d.status::text, d.attempts, j.state FROM webhook_deliveries d JOIN pgboss.job j ON j.id = d.job_id`)).rows,
      [{ status: 'delivered', attempts: 1, state: 'completed' }, { status: 'delivered', attempts: 1, state: 'completed' }], 'each with a job of its own')
  })

  t.test('two instances share the queue: every event is sent once', async (t) => {
    const { app: a, config, db } = await buildTestApp(t, ENV)
    const b = await buildApp(config, { loggerInstance: pino({ level: 'silent' }) })
    t.teardown(() => b.close())
    await b.ready()
    checkEveryResponse(b, (message, extra) => t.fail(message, extra))
    const admin = await staffToken(a, 'admin')
    const receiver = await startReceiver(t)
    t.equal((await a.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url: receiver.url, eventTypes: ['comment.submitted'] } })).statusCode, 201)

    const submitted = await Promise.all(Array.from({ length: 30 }, (_, index) =>
      submitComment(index % 2 ? a : b, { ip: `198.51.100.${index + 1}`, payload: { body: `Comment number ${index}` } })))
    t.same([...new Set(submitted.map((response) => response.statusCode))], [202])
    await eventually(() => receiver.received.length >= 30, 30_000, 'thirty deliveries')
    await Promise.all([a.webhookDispatcher.idle(), b.webhookDispatcher.idle()])
    t.equal(receiver.received.length, 30, 'no event twice')
    t.equal(new Set(receiver.received.map((message) => message.headers['webhook-id'])).size, 30)
    t.match(await db.one(`SELECT count(*)::int AS jobs, count(DISTINCT d.id)::int AS rows FROM webhook_deliveries d JOIN pgboss.job j ON j.id = d.job_id`), { jobs: 30, rows: 30 },
      'one job per row, whichever instance relayed it')
  })

  t.test('a job for a switched-off subscription hands its row back; switched on, the row is queued again', async (t) => {
    const { app, db } = await buildTestApp(t, ENV)
    const admin = await staffToken(app, 'admin')
    const receiver = await startReceiver(t)
    const created = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url: receiver.url, eventTypes: ['comment.submitted'] } })
    const subscriptionId = created.json().subscription.id as string
    // Switched off behind the app's back, between the relay and the worker.
    await db.query(`CREATE FUNCTION switch_off() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.job_id IS NOT NULL AND OLD.job_id IS NULL THEN UPDATE webhook_subscriptions SET active = false; END IF; RETURN NEW; END $$`)
    await db.query('CREATE TRIGGER switch_off AFTER UPDATE ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION switch_off()')
    t.equal((await submitComment(app)).statusCode, 202)
    await eventually(async () => (await db.one(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook-delivery' AND state = 'completed'`)).n === 1, 30_000, 'the job to finish')
    t.match(await db.one('SELECT status::text, attempts, job_id FROM webhook_deliveries'), { status: 'pending', attempts: 0, job_id: null }, 'nothing sent, the row waits unqueued')
    t.equal(receiver.received.length, 0)
    await db.query('DROP TRIGGER switch_off ON webhook_deliveries')

    const etag = (await app.inject({ url: `/v1/webhooks/${subscriptionId}`, headers: admin.headers })).headers.etag as string
    t.equal((await app.inject({ method: 'PATCH', url: `/v1/webhooks/${subscriptionId}`, headers: { ...admin.headers, 'if-match': etag }, payload: { active: true } })).statusCode, 200)
    await eventually(() => receiver.received[0], 30_000, 'the delivery once switched on')
  })
})
