import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { SEED_SLUG, freshIp, moderate, moderationView, submitComment } from '../../helpers/comments.js'

const flag = (app: FastifyInstance, id: string, ip: string, payload: Record<string, unknown> = { reason: 'spam' }) =>
  app.inject({ method: 'POST', url: `/v1/comments/${id}/flags`, remoteAddress: ip, payload })

async function approved(app: FastifyInstance, headers: Record<string, string>, payload: Record<string, unknown> = {}) {
  const response = await submitComment(app, { payload })
  const { id } = response.json()
  const decided = await moderate(app, id, 'approved', headers)
  if (decided.statusCode !== 200) throw new Error(decided.body)
  return id as string
}

const publicIds = async (app: FastifyInstance) =>
  ((await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })).json().items as Array<{ id: string }>).map((item) => item.id)

t.test('three distinct flags send an approved comment back to the queue and off the public page', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const id = await approved(app, moderator.headers, { body: 'Buy my miracle oil' })
  const reply = await submitComment(app, { payload: { parentId: id } })
  t.equal((await moderate(app, reply.json().id, 'approved', moderator.headers)).statusCode, 200)
  const page = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })
  t.ok(page.json().items.some((item: { id: string }) => item.id === id))

  const [first, second, third] = [freshIp(), freshIp(), freshIp()]
  const one = await flag(app, id, first, { reason: 'spam', note: 'Advertises a shop.' })
  t.equal(one.statusCode, 202)
  t.same(one.json(), { commentId: id, counted: true })
  t.equal((await flag(app, id, second, { reason: 'off_topic' })).statusCode, 202)
  t.ok((await publicIds(app)).includes(id), 'two flags: still public')
  t.equal((await moderationView(app, id, moderator.headers)).body.status, 'approved')

  t.equal((await flag(app, id, third, { reason: 'spam' })).statusCode, 202)
  const ids = await publicIds(app)
  t.notOk(ids.includes(id), 'the third flag takes it off the public page')
  t.notOk(ids.includes(reply.json().id), 'with its reply')
  const revalidated = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100`, headers: { 'if-none-match': page.headers.etag as string } })
  t.equal(revalidated.statusCode, 200, 'the page\'s ETag changed')
  t.equal((await app.inject({ url: `/v1/comments/${id}` })).statusCode, 404, 'not readable by the public')

  const view = (await moderationView(app, id, moderator.headers)).body
  t.match(view, { status: 'pending', needsAttention: true })
  t.same(view.flags.reasons, { spam: 2, abuse: 0, off_topic: 1, other: 0 })
  t.equal(view.flags.count, 3)
  t.same(view.flags.notes.map((note: { reason: string; note: string }) => [note.reason, note.note]), [['spam', 'Advertises a shop.']])
  t.match(view.history.at(-1), { kind: 'flagged', fromStatus: 'approved', toStatus: 'pending', staffMember: null })
  for (const ip of [first, second, third]) t.notOk(JSON.stringify(view).includes(ip), 'never the flagger\'s address')
  const stored = await db.query('SELECT client_hash FROM comment_flags WHERE comment_id = $1', [id])
  t.equal(stored.rowCount, 3)
  t.notOk(JSON.stringify(stored.rows).includes(first), 'stored hashed, not as the address')

  // No longer public: a further flag is 404.
  t.equal((await flag(app, id, freshIp())).statusCode, 404)

  // The moderator dismisses the flags (recorded) and approves it again.
  const dismissed = await app.inject({
    method: 'POST', url: `/v1/moderation/comments/${id}/flags/dismiss`, headers: { ...moderator.headers, 'if-match': view.etag }, payload: { reason: 'Satire' },
  })
  t.equal(dismissed.statusCode, 200, dismissed.body)
  t.match(dismissed.json(), { status: 'pending', flags: { count: 0 } })
  t.match(dismissed.json().history.at(-1), { kind: 'flags_dismissed', staffMember: { id: moderator.staffMember.id }, reason: '3 flag(s) dismissed: Satire' })
  t.equal(dismissed.headers.etag, dismissed.json().etag)
  const stale = await app.inject({ method: 'POST', url: `/v1/moderation/comments/${id}/flags/dismiss`, headers: { ...moderator.headers, 'if-match': view.etag }, payload: {} })
  t.equal(stale.statusCode, 412, 'a stale If-Match: 412')
  t.equal((await moderate(app, id, 'approved', moderator.headers)).statusCode, 200)
  t.ok((await publicIds(app)).includes(id), 'approved again: public again')
  // The dismissed flags no longer count, and their clients cannot flag it again.
  t.equal((await flag(app, id, first)).statusCode, 200, 'an earlier flagger is answered idempotently')
  t.equal((await flag(app, id, freshIp())).statusCode, 202)
  t.equal((await flag(app, id, freshIp())).statusCode, 202)
  t.ok((await publicIds(app)).includes(id), 'two new flags after the dismissal: below the threshold')
})

t.test('one client counts once, however often it flags; an IPv6 /64 is one client', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_FLAG_THRESHOLD: '2', COMMENT_RATE_LIMIT_PER_MINUTE: '1000' })
  const moderator = await staffToken(app, 'moderator')
  const id = await approved(app, moderator.headers)
  const ip = freshIp()
  const answers = []
  for (const reason of ['spam', 'abuse', 'spam', 'other']) answers.push((await flag(app, id, ip, { reason })).statusCode)
  t.same(answers, [202, 200, 200, 200], 'the first flag is counted, the repeats are answered 200')
  const repeat = await flag(app, id, ip)
  t.same(repeat.json(), { commentId: id, counted: false })
  t.equal((await db.one('SELECT flag_count FROM comments WHERE id = $1', [id])).flag_count, 1, 'counted once')
  t.equal((await db.one('SELECT count(*)::int AS n FROM comment_flags WHERE comment_id = $1', [id])).n, 1)
  t.ok((await publicIds(app)).includes(id), 'one client cannot reach a threshold of two')

  // Two addresses in one IPv6 /64 are one client too.
  const other = await approved(app, moderator.headers)
  t.equal((await flag(app, other, '2001:db8:1:2::1')).statusCode, 202)
  t.equal((await flag(app, other, '2001:db8:1:2::ffff')).statusCode, 200, 'the same /64')
  t.ok((await publicIds(app)).includes(other))
  // The same client's hash differs from one comment to the next (salted with the comment).
  const hashes = await db.query('SELECT DISTINCT client_hash FROM comment_flags')
  t.equal(hashes.rowCount, 2)
})

t.test('only public comments can be flagged; the body is checked; flags are rate-limited', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_RATE_LIMIT_PER_MINUTE: '3' })
  const moderator = await staffToken(app, 'moderator')
  const held = await submitComment(app)
  t.equal((await flag(app, held.json().id, freshIp())).statusCode, 404, 'pending: 404')
  const rejected = (await submitComment(app)).json().id
  await moderate(app, rejected, 'rejected', moderator.headers)
  t.equal((await flag(app, rejected, freshIp())).statusCode, 404, 'rejected: 404')
  t.equal((await flag(app, '00000000-0000-4000-8000-000000000000', freshIp())).statusCode, 404, 'unknown: 404')
  const withdrawn = await submitComment(app)
  await moderate(app, withdrawn.json().id, 'approved', moderator.headers)
  await app.inject({ method: 'DELETE', url: `/v1/comments/${withdrawn.json().id}`, headers: { 'x-receipt-token': withdrawn.json().receiptToken } })
  t.equal((await flag(app, withdrawn.json().id, freshIp())).statusCode, 404, 'withdrawn: 404')

  const id = await approved(app, moderator.headers)
  for (const payload of [{}, { reason: 'boring' }, { reason: 'spam', note: 'x'.repeat(501) }, { reason: 'spam', extra: 1 }, { reason: 'spam', note: 'bell \u0007' }]) {
    t.equal((await flag(app, id, freshIp(), payload)).statusCode, 400, `refused: ${JSON.stringify(payload).slice(0, 60)}`)
  }
  const ip = freshIp()
  const statuses = []
  for (let index = 0; index < 4; index++) statuses.push((await flag(app, id, ip)).statusCode)
  t.same(statuses, [202, 200, 200, 429], 'the fourth flag in a minute from one client is refused')
})

t.test('approved again without dismissing: further flags do not send it back one by one', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_FLAG_THRESHOLD: '2' })
  const moderator = await staffToken(app, 'moderator')
  const id = await approved(app, moderator.headers)
  for (let index = 0; index < 2; index++) t.equal((await flag(app, id, freshIp())).statusCode, 202)
  t.equal((await moderationView(app, id, moderator.headers)).body.status, 'pending', 'the threshold sends it back')
  t.equal((await moderate(app, id, 'approved', moderator.headers)).statusCode, 200)
  t.equal((await flag(app, id, freshIp())).statusCode, 202, 'a third client flags it')
  const view = (await moderationView(app, id, moderator.headers)).body
  t.equal(view.status, 'approved', 'still approved: the moderator decided with the flags in view')
  t.equal(view.flags.count, 3, 'the flag is counted and shown')
  t.equal(view.history.filter((event: { kind: string }) => event.kind === 'flagged').length, 1)
})
