import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { buildTestApp, checkEveryResponse, staffToken } from '../helpers/build-test-app.js'
import { SEED_SLUG, moderationView, submitComment } from '../helpers/comments.js'

// Two app instances on one database, as behind a load balancer: A takes the writes, B serves the
// reads from its cache. What A commits reaches B as a PostgreSQL notification (LISTEN/NOTIFY), and
// B's next read shows it. On PGlite both instances live in the process that owns the database.
t.test('two instances on one database', async (t) => {
  const queriesOnB: string[] = []
  const { app: a, config, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const b = await buildApp(config, { loggerInstance: pino({ level: 'silent' }), onQuery: (sql) => queriesOnB.push(sql) })
  await b.ready()
  checkEveryResponse(b, (message, extra) => t.fail(message, extra))
  t.teardown(() => b.close())
  t.ok(a.changeListener.listening && b.changeListener.listening, 'both instances are subscribed once ready')

  const moderator = await staffToken(a, 'moderator')
  const editor = await staffToken(a, 'editor')

  /** Waits until B has received `count` more notices than `before`; returns how long it took. */
  async function noticeOnB(before: number, count = 1) {
    const started = performance.now()
    while (b.changeListener.received < before + count) {
      if (performance.now() - started > 5_000) throw new Error(`B received no notice within 5 s (${b.changeListener.received - before} of ${count})`)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    return performance.now() - started
  }

  t.test('a moderation decision on A is on B\'s next read, page and 304 included', async (t) => {
    const url = `/v1/articles/${SEED_SLUG}/comments?limit=100`
    const held = await submitComment(a)
    t.equal(held.statusCode, 202)
    const id = held.json().id as string

    const before = await b.inject({ url })
    t.equal(before.statusCode, 200)
    t.notOk(before.json().items.some((item: { id: string }) => item.id === id), 'a held comment is not public')
    queriesOnB.length = 0
    const cached = await b.inject({ url, headers: { 'if-none-match': String(before.headers.etag) } })
    t.equal(cached.statusCode, 304, 'B answers a 304 for its cached page')
    t.equal(queriesOnB.length, 0, 'with no query')

    const received = b.changeListener.received
    const { etag } = await moderationView(a, id, moderator.headers)
    const decided = await a.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'approved' } })
    t.equal(decided.statusCode, 200)
    const latency = await noticeOnB(received)
    t.ok(latency < 2_000, `B heard of it in ${latency.toFixed(1)} ms`)

    const stale = await b.inject({ url, headers: { 'if-none-match': String(before.headers.etag) } })
    t.equal(stale.statusCode, 200, 'the old ETag no longer gets a 304 from B')
    t.ok(stale.json().items.some((item: { id: string }) => item.id === id), 'B lists the approved comment')
    t.not(stale.headers.etag, before.headers.etag)

    // And back: a rejection hides it on B again, with its replies.
    const reply = await submitComment(a, { payload: { parentId: id } })
    t.equal(reply.statusCode, 202)
    const replyId = reply.json().id as string
    const replyEtag = (await moderationView(a, replyId, moderator.headers)).etag
    const approvedAt = b.changeListener.received
    t.equal((await a.inject({ method: 'PATCH', url: `/v1/comments/${replyId}`, headers: { ...moderator.headers, 'if-match': replyEtag }, payload: { status: 'approved' } })).statusCode, 200)
    await noticeOnB(approvedAt)
    const current = (await b.inject({ url })).json().items.map((item: { id: string }) => item.id)
    t.ok(current.includes(replyId), 'the approved reply is public on B')
    const received2 = b.changeListener.received
    const parentEtag = (await moderationView(a, id, moderator.headers)).etag
    t.equal((await a.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': parentEtag }, payload: { status: 'rejected' } })).statusCode, 200)
    await noticeOnB(received2)
    const after = (await b.inject({ url })).json().items.map((item: { id: string }) => item.id)
    t.notOk(after.includes(id), 'the rejected comment is gone from B')
    t.notOk(after.includes(replyId), 'and so is its reply')
    t.equal((await b.inject({ url: `/v1/comments/${replyId}` })).statusCode, 404, 'the reply is not public on its own either')
  })

  t.test('an editor\'s change on A is on B at once', async (t) => {
    const before = await b.inject({ url: '/v1/acupoints/LI20' })
    t.equal(before.statusCode, 200)
    queriesOnB.length = 0
    t.equal((await b.inject({ url: '/v1/acupoints/LI20' })).statusCode, 200)
    t.equal(queriesOnB.length, 0, 'B serves the point from its cache')
    const received = b.changeListener.received
    const renamed = await a.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': String(before.headers.etag) }, payload: { englishName: 'Welcome Fragrance (edited on A)' },
    })
    t.equal(renamed.statusCode, 200)
    const latency = await noticeOnB(received)
    const after = await b.inject({ url: '/v1/acupoints/LI20' })
    t.equal(after.json().englishName, 'Welcome Fragrance (edited on A)', `B shows the edit (notice after ${latency.toFixed(1)} ms)`)
  })

  t.test('two moderators, on A and on B, decide the same comment at once: exactly one wins', async (t) => {
    for (let round = 0; round < 5; round++) {
      const held = await submitComment(a)
      const id = held.json().id as string
      const { etag } = await moderationView(a, id, moderator.headers)
      const decide = (app: FastifyInstance, status: string) =>
        app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status } })
      const outcomes = await Promise.all([decide(a, 'approved'), decide(b, 'rejected')])
      const statuses = outcomes.map((response) => response.statusCode).sort()
      t.same(statuses, [200, 412], `round ${round}: one decision, one 412`)
      const history = (await moderationView(a, id, moderator.headers)).body.history as Array<{ kind: string }>
      t.equal(history.filter((event) => event.kind === 'decision').length, 1, 'one decision recorded')
    }
  })

  t.test('a lost listener connection is re-opened, and the caches are cleared when it is', { skip: db.kind === 'embedded' && 'PGlite has no second backend to terminate' }, async (t) => {
    const subscriptions = b.changeListener.subscriptions
    const admin = new pg.Client({ connectionString: config.databaseUrl })
    await admin.connect()
    t.teardown(() => admin.end())
    // Every LISTENing session of this database: A's and B's.
    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN acupoint_api_changes'`)
    t.ok((rowCount ?? 0) >= 2, `the listeners were terminated (${rowCount})`)
    const started = performance.now()
    while (b.changeListener.subscriptions === subscriptions || !b.changeListener.listening) {
      if (performance.now() - started > 10_000) throw new Error('B did not re-subscribe within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    t.pass(`B re-subscribed after ${(performance.now() - started).toFixed(0)} ms`)

    const before = await b.inject({ url: '/v1/acupoints/ST36' })
    const received = b.changeListener.received
    const renamed = await a.inject({
      method: 'PATCH', url: '/v1/acupoints/ST36', headers: { ...editor.headers, 'if-match': String(before.headers.etag) }, payload: { englishName: 'Leg Three Miles (after reconnect)' },
    })
    t.equal(renamed.statusCode, 200)
    await noticeOnB(received)
    t.equal((await b.inject({ url: '/v1/acupoints/ST36' })).json().englishName, 'Leg Three Miles (after reconnect)', 'notices flow again')
  })
})
