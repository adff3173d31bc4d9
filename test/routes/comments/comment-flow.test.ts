import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { SEED_SLUG, freshIp, moderate, moderationView, submitComment } from '../../helpers/comments.js'

t.test('submit → pending → invisible → visible with the receipt → approved → public', async (t) => {
  const { app, db } = await buildTestApp(t)
  const moderator = await staffToken(app, 'moderator')

  const seeded = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  t.equal(seeded.statusCode, 200)
  t.same(seeded.json().items.map((comment: { body: string }) => comment.body), ['I have Bell palsy I would like to know if this will help me'],
    'the seed article\'s reader comment is there, approved')
  t.equal(seeded.json().items[0].createdAt, '2022-08-17T12:00:00.000Z')

  const submitted = await submitComment(app, { payload: { authorName: '  Ada   Lovelace ', authorEmail: 'ADA@Example.org', body: 'Does Yintang help with sleep?\r\n' } })
  t.equal(submitted.statusCode, 202)
  const accepted = submitted.json()
  t.equal(accepted.status, 'pending')
  t.match(accepted.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'ids are random UUIDs')
  t.type(accepted.receiptToken, 'string')
  t.equal(submitted.headers.location, `/v1/comments/${accepted.id}`)

  const publicList = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  t.notOk(publicList.body.includes(accepted.id), 'not in the public listing while pending')
  t.equal((await app.inject({ url: `/v1/comments/${accepted.id}` })).statusCode, 404, 'no token: 404')
  t.equal((await app.inject({ url: `/v1/comments/${accepted.id}`, headers: { 'x-receipt-token': 'wrong' } })).statusCode, 404, 'wrong token: 404')
  const mine = await app.inject({ url: `/v1/comments/${accepted.id}`, headers: { 'x-receipt-token': accepted.receiptToken } })
  t.equal(mine.statusCode, 200, 'the author sees their held comment')
  t.equal(mine.json().status, 'pending')
  t.equal(mine.json().authorName, 'Ada Lovelace', 'the name was trimmed and spaces collapsed')
  t.equal(mine.json().body, 'Does Yintang help with sleep?', 'the body was trimmed')
  t.notOk('authorEmail' in mine.json())

  const other = (await submitComment(app)).json()
  t.equal((await app.inject({ url: `/v1/comments/${accepted.id}`, headers: { 'x-receipt-token': other.receiptToken } })).statusCode, 404,
    'a receipt opens only its own comment')

  const queue = await app.inject({ url: '/v1/moderation/comments?status=pending', headers: moderator.headers })
  const held = queue.json().items.find((comment: { id: string }) => comment.id === accepted.id)
  t.equal(held.authorEmail, 'ada@example.org', 'moderators see the (normalised) e-mail')
  t.equal(held.ipAddress !== null, true)
  t.equal(held.history.length, 1)

  const approved = await moderate(app, accepted.id, 'approved', moderator.headers, 'On topic')
  t.equal(approved.statusCode, 200)
  t.equal(approved.json().status, 'approved', 'written as approved, read back as approved')

  const after = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  const listed = after.json().items.find((comment: { id: string }) => comment.id === accepted.id)
  t.ok(listed, 'public once approved')
  t.same(Object.keys(listed).sort(), ['authorName', 'body', 'createdAt', 'id', 'parentId', 'withdrawn'], 'public comments carry no personal or moderation data')
  t.equal((await app.inject({ url: `/v1/comments/${accepted.id}` })).statusCode, 200, 'anyone can read an approved comment')
  const article = await app.inject({ url: `/v1/articles/${SEED_SLUG}` })
  t.equal(article.json().approvedCommentCount, 2)

  const history = await app.inject({ url: `/v1/comments/${accepted.id}/history`, headers: moderator.headers })
  t.same(history.json().items.map((event: { fromStatus: string | null; toStatus: string }) => [event.fromStatus, event.toStatus]),
    [[null, 'pending'], ['pending', 'approved']])
  t.equal(history.json().items[1].staffMember.id, moderator.staffMember.id, 'who decided is recorded')
  t.equal(history.json().items[1].reason, 'On topic')

  const reply = await submitComment(app, { payload: { parentId: accepted.id } })
  t.equal(reply.statusCode, 202, 'a reply to an approved comment')
  const replyToPending = await submitComment(app, { payload: { parentId: other.id } })
  t.equal(replyToPending.statusCode, 400, 'no replies to held comments')
  t.equal(replyToPending.json().code, 'invalid_parent')

  const stored = await db.one('SELECT count(*)::int AS n FROM comments')
  t.equal(stored.n, 4)
})

t.test('bodies are stored as given and come back inert', async (t) => {
  const { app } = await buildTestApp(t)
  const moderator = await staffToken(app, 'moderator')
  const payload = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \'single\''
  const submitted = (await submitComment(app, { payload: { body: payload, authorName: '<b>bold</b>' } })).json()
  await moderate(app, submitted.id, 'approved', moderator.headers)
  const response = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  t.match(response.headers['content-type'], /^application\/json/, 'served as JSON, never HTML')
  t.equal(response.headers['x-content-type-options'], 'nosniff')
  const comment = response.json().items.find((item: { id: string }) => item.id === submitted.id)
  t.equal(comment.body, payload, 'unchanged: escaping is the client\'s job')
  t.equal(comment.authorName, '<b>bold</b>')
})

t.test('validation', async (t) => {
  const { app, db } = await buildTestApp(t)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['an unknown field', { isAdmin: true }],
    ['a bad e-mail', { authorEmail: 'not-an-email' }],
    ['an empty body', { body: '' }],
    ['a blank body', { body: '   \n  ' }],
    ['a body over 5000 characters', { body: 'x'.repeat(5001) }],
    ['a name over 100 characters', { authorName: 'x'.repeat(101) }],
    ['a NUL byte', { body: 'hello\u0000world' }],
    ['a parentId that is not a UUID', { parentId: '1 OR 1=1' }],
  ]
  for (const [label, payload] of cases) {
    const response = await submitComment(app, { payload })
    t.equal(response.statusCode, 400, label)
    t.match(response.headers['content-type'], /problem\+json/)
  }
  t.equal((await submitComment(app, { slug: 'no-such-article' })).statusCode, 404)
  t.equal((await db.one('SELECT count(*)::int AS n FROM comments')).n, 1, 'only the seeded comment: nothing was stored')
  t.equal((await app.inject({ url: '/v1/comments/not-a-uuid' })).statusCode, 400)
  t.equal((await app.inject({ url: `/v1/comments/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}` })).statusCode, 404)
})

t.test('moderation: ETags, idempotence and history', async (t) => {
  const { app } = await buildTestApp(t)
  const moderator = await staffToken(app, 'moderator')
  const { id } = (await submitComment(app)).json()
  const { etag } = await moderationView(app, id, moderator.headers)

  const missing = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: moderator.headers, payload: { status: 'approved' } })
  t.equal(missing.statusCode, 428)
  const wildcard = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': '*' }, payload: { status: 'spam' } })
  t.equal(wildcard.statusCode, 428, 'If-Match: * does not skip the version check')
  t.match(wildcard.json().detail, /If-Match: \*/)
  // Issue 11: a list of every possible ETag got past the refusal of `*`.
  for (const list of [`${etag}, *`, `"a", ${etag}`, `${etag}, ${etag}`]) {
    const listed = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': list }, payload: { status: 'spam' } })
    t.equal(listed.statusCode, 400, `If-Match: ${list} is not one entity tag`)
    t.equal(listed.json().code, 'invalid_if_match')
  }
  t.equal((await moderationView(app, id, moderator.headers)).body.status, 'pending', 'and changed nothing')
  const first = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'rejected' } })
  t.equal(first.statusCode, 200)
  t.not(first.headers.etag, etag)
  const stale = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'approved' } })
  t.equal(stale.statusCode, 412, 'a decision made on an old view is refused')
  const same = await app.inject({
    method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': first.headers.etag as string }, payload: { status: 'rejected' },
  })
  t.equal(same.statusCode, 200, 'setting the status it already has is a 200')
  t.equal(same.headers.etag, first.headers.etag, 'and changes nothing')
  const bad = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': first.headers.etag as string }, payload: { status: 'approve' } })
  t.equal(bad.statusCode, 400, '"approve" is not a status: write what you read')
  const history = (await app.inject({ url: `/v1/comments/${id}/history`, headers: moderator.headers })).json().items
  t.equal(history.length, 2, 'the submission and one decision; the no-op left no event')

  const counts = await app.inject({ url: '/v1/moderation/comments/counts', headers: moderator.headers })
  t.same(counts.json(), { pending: 0, approved: 1, rejected: 1, spam: 0, needsAttention: 0, flagged: 0 })
})

t.test('every moderation route needs a moderator or admin', async (t) => {
  const { app } = await buildTestApp(t)
  const editor = await staffToken(app, 'editor')
  const { id } = (await submitComment(app, { ip: freshIp() })).json()
  const routes = [
    { method: 'GET' as const, url: '/v1/moderation/comments' },
    { method: 'GET' as const, url: '/v1/moderation/comments/counts' },
    { method: 'GET' as const, url: `/v1/moderation/comments/${id}` },
    { method: 'POST' as const, url: '/v1/moderation/comments/bulk', payload: { ids: [id], status: 'approved', force: true } },
    { method: 'PATCH' as const, url: `/v1/comments/${id}`, payload: { status: 'approved' } },
    { method: 'GET' as const, url: `/v1/comments/${id}/history` },
    { method: 'POST' as const, url: '/v1/moderation/erasures', payload: { email: 'a@b.example' } },
  ]
  for (const route of routes) {
    t.equal((await app.inject(route)).statusCode, 401, `${route.method} ${route.url} without a token`)
    t.equal((await app.inject({ ...route, headers: { authorization: 'Bearer acp_0123456789abcdef_' + 'x'.repeat(43) } })).statusCode, 401, 'unknown token')
    t.equal((await app.inject({ ...route, headers: editor.headers })).statusCode, 403, `${route.method} ${route.url} as an editor`)
  }
})
