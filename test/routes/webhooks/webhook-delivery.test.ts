import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { SEED_SLUG, moderate, submitComment } from '../../helpers/comments.js'
import { eventually, startReceiver, type ReceivedWebhook } from '../../helpers/webhook-receiver.js'

// Receivers run on 127.0.0.1, so private targets are allowed here; retries are fast, and only
// commits and retry timers start a drain (no poll), so what arrives is what the code sent.
const ENV = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_BASE_MS: '20',
  WEBHOOK_RETRY_MAX_MS: '100',
  WEBHOOK_POLL_INTERVAL_MS: '0',
  COMMENT_FLOOD_SECONDS: '0',
  COMMENT_SPAM_WORDS: 'casino',
}

async function subscribe(app: Awaited<ReturnType<typeof buildTestApp>>['app'], headers: Record<string, string>, url: string, eventTypes: string[]) {
  const response = await app.inject({ method: 'POST', url: '/v1/webhooks', headers, payload: { url, eventTypes } })
  if (response.statusCode !== 201) throw new Error(`subscribe: ${response.statusCode} ${response.body}`)
  return response.json() as { subscription: { id: string }; secret: string }
}

const verify = (secret: string, message: ReceivedWebhook) =>
  new Webhook(secret).verify(message.body, {
    'webhook-id': String(message.headers['webhook-id']),
    'webhook-timestamp': String(message.headers['webhook-timestamp']),
    'webhook-signature': String(message.headers['webhook-signature']),
  })

t.test('a held comment and a moderator\'s decision reach the receiver, signed; spam and personal data never do', async (t) => {
  const { app } = await buildTestApp(t, ENV)
  const admin = await staffToken(app, 'admin')
  const moderator = await staffToken(app, 'moderator', 'Mo Derator')
  const receiver = await startReceiver(t)
  const { subscription, secret } = await subscribe(app, admin.headers, receiver.url, ['comment.submitted', 'comment.status_changed'])

  const spam = await submitComment(app, { payload: { body: 'Best casino in town' } })
  t.equal(spam.statusCode, 202)
  const submitted = await submitComment(app, { ip: '203.0.113.77', payload: { authorEmail: 'secret-reader@example.org', body: 'Does ST36 help?' } })
  t.equal(submitted.statusCode, 202)
  const commentId = submitted.json().id as string

  const first = await eventually(() => receiver.received[0], 30_000, 'comment.submitted')
  t.equal(first.json.type, 'comment.submitted')
  t.same(verify(secret, first), first.json, 'the signature verifies with the subscription\'s secret (standardwebhooks)')
  t.throws(() => verify(`whsec_${Buffer.alloc(24, 1).toString('base64')}`, first), 'and not with another secret')
  t.match(first.json.data, { commentId, articleSlug: SEED_SLUG, status: 'pending', body: 'Does ST36 help?' })

  t.equal((await moderate(app, commentId, 'approved', moderator.headers, 'Helpful question')).statusCode, 200)
  const second = await eventually(() => receiver.received[1], 30_000, 'comment.status_changed')
  t.equal(second.json.type, 'comment.status_changed')
  t.ok(verify(secret, second))
  t.match(second.json.data, { commentId, articleSlug: SEED_SLUG, from: 'pending', to: 'approved', reason: 'Helpful question', by: { id: moderator.staffMember.id, name: 'Mo Derator' } })
  t.not(second.headers['webhook-id'], first.headers['webhook-id'], 'each event has its own webhook-id')

  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 2, 'exactly two deliveries: the spam comment was never announced')
  for (const message of receiver.received) {
    t.notMatch(message.body, /secret-reader|example\.org|203\.0\.113\.77/, `${message.json.type}: no e-mail, no IP address`)
    t.notMatch(message.body, /authorEmail|ipAddress|userAgent/)
  }

  const log = await app.inject({ url: `/v1/webhooks/${subscription.id}/deliveries`, headers: admin.headers })
  t.equal(log.statusCode, 200)
  const items = log.json().items as Array<Record<string, unknown>>
  t.same(items.map((item) => item.eventType), ['comment.status_changed', 'comment.submitted'], 'the log, newest first')
  t.match(items[1], { status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null, eventId: first.headers['webhook-id'] })
  t.ok(items[1]!.deliveredAt)
})

t.test('a rolled-back change sends nothing', async (t) => {
  const { app, db } = await buildTestApp(t, ENV)
  const admin = await staffToken(app, 'admin')
  const editor = await staffToken(app, 'editor')
  const receiver = await startReceiver(t)
  await subscribe(app, admin.headers, receiver.url, ['article.published'])
  for (const slug of ['doomed', 'fine']) {
    const created = await app.inject({ method: 'POST', url: '/v1/articles', headers: editor.headers, payload: { slug, title: 'T', summary: 'S', body: 'B', attribution: 'A' } })
    t.equal(created.statusCode, 201)
  }
  // Fails the transaction after the outbox row is written: the publish and its event must both vanish.
  await db.query(`CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.payload->>'articleSlug' = 'doomed' THEN RAISE EXCEPTION 'doomed'; END IF; RETURN NEW; END $$`)
  await db.query('CREATE TRIGGER refuse_doomed AFTER INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION refuse_doomed()')

  const doomed = await app.inject({ method: 'POST', url: '/v1/articles/doomed/publish', headers: editor.headers })
  t.equal(doomed.statusCode, 500, 'the publish fails')
  t.equal((await db.one(`SELECT status::text FROM articles WHERE slug = 'doomed'`)).status, 'draft', 'and is rolled back')
  t.equal(Number((await db.one('SELECT count(*) FROM webhook_deliveries')).count), 0, 'with its outbox row')

  t.equal((await app.inject({ method: 'POST', url: '/v1/articles/fine/publish', headers: editor.headers })).statusCode, 200)
  const message = await eventually(() => receiver.received[0], 30_000, 'article.published')
  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 1, 'only the committed publish is sent')
  t.match(message.json, { type: 'article.published', data: { articleSlug: 'fine', status: 'published' } })

  // The exported recorder follows its caller's transaction too.
  const { recordWebhookEvent } = await import('../../../src/services/webhooks/webhook-events.js')
  await t.rejects(app.prisma.$transaction(async (tx) => {
    t.equal(await recordWebhookEvent(tx, 'article.published', { articleSlug: 'fine' }), 1, 'queued inside the transaction')
    throw new Error('rolled back')
  }))
  t.equal(Number((await db.one('SELECT count(*) FROM webhook_deliveries')).count), 1, 'nothing left from the rolled-back transaction')
  await t.rejects(app.prisma.$transaction((tx) => recordWebhookEvent(tx, 'comment.flagged', { commentId: 'x', authorEmail: 'a@example.org' })),
    /personal data/, 'a payload with an e-mail address is refused')
})

t.test('a receiver that fails three times gets the event once it recovers; redelivery repeats the webhook-id', async (t) => {
  const { app } = await buildTestApp(t, ENV)
  const admin = await staffToken(app, 'admin')
  const receiver = await startReceiver(t, (_message, index) => (index < 3 ? 503 : 200))
  const { subscription, secret } = await subscribe(app, admin.headers, receiver.url, ['comment.submitted'])
  t.equal((await submitComment(app)).statusCode, 202)

  await eventually(() => receiver.received.length >= 4, 30_000, 'the fourth attempt')
  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 4, 'three failures, then one success, then nothing more')
  t.equal(new Set(receiver.received.map((message) => message.headers['webhook-id'])).size, 1, 'every attempt carries the same webhook-id')
  for (const message of receiver.received) t.ok(verify(secret, message), 'each attempt is signed afresh')
  const [delivery] = (await app.inject({ url: `/v1/webhooks/${subscription.id}/deliveries`, headers: admin.headers })).json().items
  t.match(delivery, { status: 'delivered', attempts: 4, lastStatusCode: 200, lastError: null })

  const again = await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/deliveries/${delivery.id}/redeliver`, headers: admin.headers })
  t.equal(again.statusCode, 202)
  t.match(again.json(), { eventId: delivery.eventId, eventType: 'comment.submitted', status: 'pending', attempts: 0 })
  const repeat = await eventually(() => receiver.received[4], 30_000, 'the redelivery')
  t.equal(repeat.headers['webhook-id'], delivery.eventId, 'the same webhook-id, so the receiver can deduplicate')
  t.same(repeat.json.data, receiver.received[3]!.json.data)
  const unknown = await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/deliveries/${subscription.id}/redeliver`, headers: admin.headers })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'delivery_not_found')
})

t.test('deliveries that keep failing are given up after the attempt limit, and the subscription is switched off', async (t) => {
  const { app } = await buildTestApp(t, { ...ENV, WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_DISABLE_AFTER_FAILURES: '2' })
  const admin = await staffToken(app, 'admin')
  const receiver = await startReceiver(t, () => 500)
  const { subscription } = await subscribe(app, admin.headers, receiver.url, ['comment.submitted'])
  const read = async () => (await app.inject({ url: `/v1/webhooks/${subscription.id}`, headers: admin.headers })).json()

  t.equal((await submitComment(app)).statusCode, 202)
  await eventually(async () => (await read()).consecutiveFailures === 1, 30_000, 'the first delivery to fail for good')
  t.equal(receiver.received.length, 2, 'two attempts, the limit')
  t.equal((await read()).active, true, 'one failed delivery does not switch it off')

  t.equal((await submitComment(app)).statusCode, 202)
  const off = await eventually(async () => { const current = await read(); return current.active === false && current }, 30_000, 'the subscription to be switched off')
  t.match(off, { consecutiveFailures: 2, disabledReason: /2 deliveries in a row failed.*HTTP 500/ })
  t.ok(off.disabledAt)
  const log = (await app.inject({ url: `/v1/webhooks/${subscription.id}/deliveries`, headers: admin.headers })).json().items
  t.match(log, [{ status: 'failed', attempts: 2, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: null }, { status: 'failed' }])

  t.equal((await submitComment(app)).statusCode, 202)
  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 4, 'nothing is sent to a switched-off subscription')
  const ping = await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/ping`, headers: admin.headers })
  t.equal(ping.statusCode, 409)
  t.equal(ping.json().code, 'webhook_inactive')

  const etag = (await app.inject({ url: `/v1/webhooks/${subscription.id}`, headers: admin.headers })).headers.etag as string
  const on = await app.inject({ method: 'PATCH', url: `/v1/webhooks/${subscription.id}`, headers: { ...admin.headers, 'if-match': etag }, payload: { active: true } })
  t.match(on.json(), { active: true, disabledReason: null, disabledAt: null, consecutiveFailures: 0 }, 'switched back on, the reason cleared')
  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 4, 'what happened while it was off was not queued for it')
  t.equal((await submitComment(app)).statusCode, 202)
  await eventually(() => receiver.received.length >= 5, 30_000, 'a new event to go once switched on')
})

t.test('ping goes through the same path; a hung receiver times out; a huge answer is cut off', async (t) => {
  const { app } = await buildTestApp(t, { ...ENV, WEBHOOK_TIMEOUT_MS: '300', WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_MAX_RESPONSE_BYTES: '1024' })
  const admin = await staffToken(app, 'admin')
  const pinged = await startReceiver(t)
  const { subscription, secret } = await subscribe(app, admin.headers, pinged.url, ['article.published'])
  const ping = await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/ping`, headers: admin.headers })
  t.equal(ping.statusCode, 202)
  t.match(ping.json(), { eventType: 'webhook.ping', status: 'pending' })
  const message = await eventually(() => pinged.received[0], 30_000, 'the ping')
  t.match(message.json, { type: 'webhook.ping', data: { subscriptionId: subscription.id } })
  t.ok(verify(secret, message))

  const hung = await startReceiver(t, () => 'hang')
  const slow = await subscribe(app, admin.headers, hung.url, ['article.published'])
  const started = Date.now()
  t.equal((await app.inject({ method: 'POST', url: `/v1/webhooks/${slow.subscription.id}/ping`, headers: admin.headers })).statusCode, 202)
  const [timedOut] = await eventually(async () => {
    const items = (await app.inject({ url: `/v1/webhooks/${slow.subscription.id}/deliveries`, headers: admin.headers })).json().items
    return items[0]?.status === 'failed' && items
  }, 30_000, 'the hung delivery to fail')
  t.match(timedOut, { lastStatusCode: null, lastError: 'timed out after 300 ms' })
  t.ok(Date.now() - started < 5_000, 'within the timeout, not the receiver\'s pace')

  // A receiver that streams far more than the cap: its 200 counts, the rest is not read.
  const http = await import('node:http')
  let bytesSent = 0
  const flood = http.createServer((request, response) => {
    request.resume()
    response.writeHead(200)
    const chunk = Buffer.alloc(16_384, 120)
    const pump = () => {
      let flowing = true
      while (bytesSent < 50_000_000 && flowing) {
        bytesSent += chunk.length
        flowing = response.write(chunk)
      }
      if (bytesSent < 50_000_000) response.once('drain', pump)
      else response.end()
    }
    pump()
  })
  await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { flood.closeAllConnections(); flood.close(() => resolve()) }))
  const address = flood.address() as { port: number }
  const big = await subscribe(app, admin.headers, `http://127.0.0.1:${address.port}/`, ['article.published'])
  t.equal((await app.inject({ method: 'POST', url: `/v1/webhooks/${big.subscription.id}/ping`, headers: admin.headers })).statusCode, 202)
  const [delivered] = await eventually(async () => {
    const items = (await app.inject({ url: `/v1/webhooks/${big.subscription.id}/deliveries`, headers: admin.headers })).json().items
    return items[0]?.status !== 'pending' && items
  }, 30_000, 'the flooding receiver\'s delivery to finish')
  t.match(delivered, { status: 'delivered', lastStatusCode: 200 })
  t.ok(bytesSent > 0 && bytesSent < 50_000_000, `the answer was cut off (${bytesSent} bytes written before the connection closed)`)
})

t.test('a bulk decision sends one comment.status_changed per comment it changed, none for those already there', async (t) => {
  const { app } = await buildTestApp(t, ENV)
  const admin = await staffToken(app, 'admin')
  const moderator = await staffToken(app, 'moderator', 'Bulk Mod')
  const receiver = await startReceiver(t)
  await subscribe(app, admin.headers, receiver.url, ['comment.status_changed'])
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push((await submitComment(app)).json().id)
  t.equal((await moderate(app, ids[0]!, 'rejected', moderator.headers)).statusCode, 200)
  await eventually(() => receiver.received[0], 30_000, 'the single decision')

  const bulk = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'rejected', force: true, reason: 'Off topic' } })
  t.equal(bulk.statusCode, 200)
  await eventually(() => receiver.received.length >= 3, 30_000, 'the bulk decisions')
  await app.webhookDispatcher.idle()
  t.equal(receiver.received.length, 3, 'one for the PATCH, one for each comment the bulk decision changed')
  const bulkEvents = receiver.received.slice(1).map((message) => message.json.data)
  t.same(bulkEvents.map((data) => data.commentId).sort(), ids.slice(1).sort())
  for (const data of bulkEvents) t.match(data, { from: 'pending', to: 'rejected', reason: 'Off topic', by: { id: moderator.staffMember.id, name: 'Bulk Mod' } })
  t.equal(new Set(receiver.received.map((message) => message.headers['webhook-id'])).size, 3, 'each its own event')
})

t.test('an author\'s edit and readers\' flags reach the receiver, signed, without the flaggers or the author\'s address', async (t) => {
  const { app, db } = await buildTestApp(t, { ...ENV, COMMENT_FLAG_THRESHOLD: '2' })
  const admin = await staffToken(app, 'admin')
  const moderator = await staffToken(app, 'moderator')
  const receiver = await startReceiver(t)
  const { secret } = await subscribe(app, admin.headers, receiver.url, ['comment.edited', 'comment.flagged'])

  const submitted = await submitComment(app, { ip: '203.0.113.78', payload: { authorEmail: 'editor-reader@example.org', body: 'First wording' } })
  const { id, receiptToken } = submitted.json() as { id: string; receiptToken: string }
  t.equal((await moderate(app, id, 'approved', moderator.headers)).statusCode, 200)

  const etag = (await app.inject({ url: `/v1/comments/${id}`, headers: { 'x-receipt-token': receiptToken } })).headers.etag as string
  const edited = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}/by-author`, headers: { 'x-receipt-token': receiptToken, 'if-match': etag }, payload: { body: 'Second wording' } })
  t.equal(edited.statusCode, 200)
  const edit = await eventually(() => receiver.received[0], 30_000, 'comment.edited')
  t.ok(verify(secret, edit))
  t.match(edit.json, { type: 'comment.edited', data: { commentId: id, articleSlug: SEED_SLUG, body: 'Second wording', previousBody: 'First wording', from: 'approved', to: 'pending' } })

  // Approved again, then flagged by two readers: each counted flag is an event; the second re-queues it.
  t.equal((await moderate(app, id, 'approved', moderator.headers)).statusCode, 200)
  const flaggers = ['198.51.100.21', '198.51.100.22']
  const flag = (ip: string, note: string) => app.inject({ method: 'POST', url: `/v1/comments/${id}/flags`, remoteAddress: ip, payload: { reason: 'abuse', note } })
  t.equal((await flag(flaggers[0]!, 'note 0')).statusCode, 202)
  t.equal((await flag(flaggers[0]!, 'again')).statusCode, 200, 'a repeat is not counted')
  t.equal((await flag(flaggers[1]!, 'note 1')).statusCode, 202)
  await eventually(() => receiver.received[2], 30_000, 'two comment.flagged')
  await app.webhookDispatcher.idle()
  const flags = receiver.received.slice(1).map((message) => message.json)
  t.equal(flags.length, 2, 'one event per counted flag, none for the repeat')
  t.match(flags[0], { type: 'comment.flagged', data: { commentId: id, reason: 'abuse', note: 'note 0', flagCount: 1, threshold: 2, requeued: false, status: 'approved' } })
  t.match(flags[1], { type: 'comment.flagged', data: { commentId: id, flagCount: 2, requeued: true, status: 'pending' } })
  for (const message of receiver.received) {
    t.ok(verify(secret, message))
    t.notMatch(message.body, /editor-reader|example\.org|203\.0\.113\.78|198\.51\.100/, `${message.json.type}: no e-mail, no address`)
  }

  // Withdrawn: the outbox keeps no text or name of it, so no retry or redelivery can send them later.
  const withdrawn = await app.inject({ method: 'DELETE', url: `/v1/comments/${id}`, headers: { 'x-receipt-token': receiptToken } })
  t.equal(withdrawn.statusCode, 204)
  const stored = await db.query<{ payload: Record<string, unknown> }>(`SELECT payload FROM webhook_deliveries WHERE payload->>'commentId' = $1`, [id])
  t.equal(stored.rows.length, 3)
  for (const { payload } of stored.rows) {
    t.notMatch(JSON.stringify(payload), /wording|Second|First/, 'no text of the comment is left in the outbox')
    t.match(payload, { authorName: '', body: '' })
    if ('previousBody' in payload) t.equal(payload.previousBody, null)
  }
  t.match(stored.rows.find((row) => 'note' in row.payload)?.payload, { note: 'note 0', reason: 'abuse' }, 'the flaggers\' own notes and reasons stay')
})

t.test('an erasure renames the commenter in the outbox too', async (t) => {
  const { app, db } = await buildTestApp(t, ENV)
  const admin = await staffToken(app, 'admin')
  const receiver = await startReceiver(t)
  await subscribe(app, admin.headers, receiver.url, ['comment.submitted'])
  const submitted = await submitComment(app, { payload: { authorName: 'Ada Quietly', authorEmail: 'ada.quietly@example.org', body: 'Is LI4 safe?' } })
  const id = submitted.json().id as string
  await eventually(() => receiver.received[0], 30_000, 'comment.submitted')
  t.equal((await app.inject({ method: 'POST', url: '/v1/moderation/erasures', headers: admin.headers, payload: { email: 'ada.quietly@example.org' } })).statusCode, 200)
  const { payload } = await db.one<{ payload: Record<string, unknown> }>(`SELECT payload FROM webhook_deliveries WHERE payload->>'commentId' = $1`, [id])
  t.equal(payload.authorName, 'Anonymous')
  t.equal(payload.body, 'Is LI4 safe?', 'bodies stay, as in the comment itself')
})
