import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { eventually, startReceiver } from '../../helpers/webhook-receiver.js'

const SECRET_FORM = /^whsec_[A-Za-z0-9+/]{32}$/

t.test('the secret is shown once; PATCH needs the current ETag; delete', async (t) => {
  const { app } = await buildTestApp(t, { WEBHOOK_POLL_INTERVAL_MS: '0' })
  const admin = await staffToken(app, 'admin')
  const created = await app.inject({
    method: 'POST', url: '/v1/webhooks', headers: admin.headers,
    payload: { url: 'https://hooks.example.org/acupoint', eventTypes: ['comment.submitted', 'comment.submitted', 'article.published'], description: 'Chat' },
  })
  t.equal(created.statusCode, 201)
  t.equal(created.headers['cache-control'], 'no-store', 'a secret is never cached')
  const { subscription, secret } = created.json()
  t.match(secret, SECRET_FORM, 'a Standard Webhooks secret: whsec_ and 24 random bytes')
  t.doesNotThrow(() => new Webhook(secret), 'that standardwebhooks accepts')
  t.same(subscription.eventTypes, ['comment.submitted', 'article.published'], 'repeats dropped')
  t.match(subscription, { active: true, disabledReason: null, consecutiveFailures: 0, version: 1 })
  t.equal(created.headers.location, `/v1/webhooks/${subscription.id}`)

  const read = await app.inject({ url: `/v1/webhooks/${subscription.id}`, headers: admin.headers })
  t.equal(read.statusCode, 200)
  t.same(read.json(), subscription)
  t.equal(read.headers.etag, created.headers.etag, 'the ETag of the create answer is the subscription\'s')
  const list = await app.inject({ url: '/v1/webhooks', headers: admin.headers })
  t.same(list.json().items.map((item: { id: string }) => item.id), [subscription.id])
  for (const response of [read, list]) {
    t.notOk(response.body.includes(secret.slice(6)), 'reading never shows the secret again')
    t.notMatch(response.body, /whsec_|"secret"/)
  }

  const patch = (headers: Record<string, string>, payload: Record<string, unknown> = { description: 'Edited' }) =>
    app.inject({ method: 'PATCH', url: `/v1/webhooks/${subscription.id}`, headers: { ...admin.headers, ...headers }, payload })
  t.equal((await patch({})).statusCode, 428, 'no If-Match: 428')
  t.equal((await patch({ 'if-match': '"stale"' })).statusCode, 412, 'a stale ETag: 412')
  const edited = await patch({ 'if-match': read.headers.etag as string })
  t.equal(edited.statusCode, 200)
  t.match(edited.json(), { description: 'Edited', version: 2 })
  t.equal((await patch({ 'if-match': read.headers.etag as string })).statusCode, 412, 'the old ETag is stale now')
  t.equal((await patch({ 'if-match': edited.headers.etag as string }, { eventTypes: ['nonsense.event'] })).statusCode, 400, 'unknown event types are refused')

  const rotated = await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/rotate-secret`, headers: admin.headers })
  t.equal(rotated.statusCode, 200)
  t.match(rotated.json().secret, SECRET_FORM)
  t.not(rotated.json().secret, secret, 'a new secret')
  t.equal((await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/rotate-secret`, headers: { ...admin.headers, 'if-match': edited.headers.etag as string } })).statusCode, 412)

  t.equal((await app.inject({ method: 'DELETE', url: `/v1/webhooks/${subscription.id}`, headers: { ...admin.headers, 'if-match': '"stale"' } })).statusCode, 412)
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/webhooks/${subscription.id}`, headers: admin.headers })).statusCode, 204)
  const gone = await app.inject({ url: `/v1/webhooks/${subscription.id}`, headers: admin.headers })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'webhook_not_found')
  t.equal((await app.inject({ url: `/v1/webhooks/${subscription.id}/deliveries`, headers: admin.headers })).statusCode, 404)
})

t.test('targets on the internal network are refused unless the server allows them, at creation and at delivery', async (t) => {
  const { app, db } = await buildTestApp(t, { WEBHOOK_POLL_INTERVAL_MS: '0', WEBHOOK_MAX_ATTEMPTS: '1' })
  const admin = await staffToken(app, 'admin')
  const create = (url: string) => app.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url, eventTypes: ['article.published'] } })
  for (const url of [
    'http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://172.16.5.5/',
    'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://2130706433/',
  ]) {
    const response = await create(url)
    t.equal(response.statusCode, 400, `${url}: 400`)
    t.equal(response.json().code, 'webhook_target_refused', url)
  }
  for (const url of ['ftp://files.example.org/', 'https://user:pass@hooks.example.org/']) {
    t.equal((await create(url)).statusCode, 400, `${url}: 400`)
  }
  const publicTarget = await create('https://8.8.8.8/hook')
  t.equal(publicTarget.statusCode, 201, 'a public address is accepted')
  const { subscription } = publicTarget.json()
  const etag = publicTarget.headers.etag as string
  const moved = await app.inject({ method: 'PATCH', url: `/v1/webhooks/${subscription.id}`, headers: { ...admin.headers, 'if-match': etag }, payload: { url: 'http://127.0.0.1/' } })
  t.equal(moved.statusCode, 400, 'and checked again on PATCH')
  t.equal(moved.json().code, 'webhook_target_refused')

  // A name that resolved to a public address when subscribed may resolve to a private one later:
  // the dispatcher checks again before each delivery.
  const receiver = await startReceiver(t)
  await db.query('UPDATE webhook_subscriptions SET url = $1 WHERE id = $2', [receiver.url.replace('127.0.0.1', 'localhost'), subscription.id])
  t.equal((await app.inject({ method: 'POST', url: `/v1/webhooks/${subscription.id}/ping`, headers: admin.headers })).statusCode, 202)
  const [refused] = await eventually(async () => {
    const items = (await app.inject({ url: `/v1/webhooks/${subscription.id}/deliveries`, headers: admin.headers })).json().items
    return items[0]?.status === 'failed' && items
  }, 10_000, 'the refused delivery')
  t.match(refused, { lastStatusCode: null, lastError: /^refused: localhost resolves to (127\.0\.0\.1|::1)/ })
  t.equal(receiver.received.length, 0, 'nothing reached the internal receiver')
})

t.test('with WEBHOOK_ALLOW_PRIVATE_TARGETS=true a loopback receiver is accepted', async (t) => {
  const { app } = await buildTestApp(t, { WEBHOOK_POLL_INTERVAL_MS: '0', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })
  const admin = await staffToken(app, 'admin')
  const receiver = await startReceiver(t)
  const created = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: admin.headers, payload: { url: receiver.url.replace('127.0.0.1', 'localhost'), eventTypes: ['article.published'] } })
  t.equal(created.statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: `/v1/webhooks/${created.json().subscription.id}/ping`, headers: admin.headers })).statusCode, 202)
  await eventually(() => receiver.received[0], 10_000, 'the ping')
})
