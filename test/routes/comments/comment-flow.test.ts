import pg from 'pg'
import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { environmentConfig } from '../../helpers/test-database.js'
import { SEED_SLUG, freshIp, holdRowLock, moderate, moderationView, submitComment } from '../../helpers/comments.js'

const environmentKind = environmentConfig.databaseUrl ? 'external' : 'embedded'

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
  t.same(Object.keys(listed).sort(), ['authorName', 'body', 'createdAt', 'id', 'parentId'], 'public comments carry no personal or moderation data')
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
  for (const star of ['*', `${etag}, *`]) {
    const wildcard = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': star }, payload: { status: 'spam' } })
    t.equal(wildcard.statusCode, 428, `If-Match: ${star} does not skip the version check`)
    t.match(wildcard.json().detail, /If-Match: \*/)
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
  t.same(counts.json(), { pending: 0, approved: 1, rejected: 1, spam: 0 })
})

t.test('two moderators deciding at the same moment: exactly one wins', async (t) => {
  const { app, db } = await buildTestApp(t)
  const first = await staffToken(app, 'moderator', 'First')
  const second = await staffToken(app, 'moderator', 'Second')
  // On PostgreSQL (a pool of 10) both requests read the comment, then queue on a row lock the test
  // holds, and are let go together: both have passed the ETag check, so only the version guard in
  // the UPDATE can stop the second. PGlite is one session, so there the requests take turns.
  const race = async (id: string, statuses: [string, string]) => {
    const { etag } = await moderationView(app, id, first.headers)
    const patch = (who: typeof first, status: string) =>
      app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...who.headers, 'if-match': etag }, payload: { status } })
    if (db.kind === 'embedded') return Promise.all([patch(first, statuses[0]), patch(second, statuses[1])])
    const lock = await holdRowLock(db.url, 'comments', id)
    try {
      const both = Promise.all([patch(first, statuses[0]), patch(second, statuses[1])])
      await lock.waitForWaiters(2)
      await lock.release()
      return await both
    } catch (error) {
      await lock.release().catch(() => {})
      throw error
    }
  }
  const rounds: Array<[string, string]> = [['approved', 'spam'], ['approved', 'approved'], ['rejected', 'rejected'], ['spam', 'approved']]
  for (const [round, statuses] of rounds.entries()) {
    const { id } = (await submitComment(app)).json()
    const [a, b] = await race(id, statuses)
    t.same([a.statusCode, b.statusCode].sort(), [200, 412], `round ${round} (${statuses.join(' vs ')}): one 200 and one 412`)
    const loser = a.statusCode === 412 ? a : b
    t.equal(loser.json().code, 'precondition_failed')
    const history = (await app.inject({ url: `/v1/comments/${id}/history`, headers: first.headers })).json().items
    t.equal(history.length, 2, 'the history has exactly one decision')
    const winner = a.statusCode === 200 ? a : b
    t.equal(history[1].staffMember.id, winner === a ? first.staffMember.id : second.staffMember.id, 'recorded for the winner')
    const now = (await moderationView(app, id, first.headers)).body
    t.equal(now.status, winner.json().status)
    t.equal(now.version, 2, 'one version bump')
  }
})

t.test('bulk moderation is atomic', async (t) => {
  const { app, db } = await buildTestApp(t)
  const moderator = await staffToken(app, 'moderator')
  const ids: string[] = []
  for (let index = 0; index < 5; index++) ids.push((await submitComment(app)).json().id)
  await moderate(app, ids[0]!, 'spam', moderator.headers)

  const unknown = '00000000-0000-4000-8000-000000000000'
  const failed = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids: [...ids, unknown], status: 'approved' } })
  t.equal(failed.statusCode, 404)
  t.match(failed.json().detail, unknown)
  t.equal((await db.one("SELECT count(*)::int AS n FROM comments WHERE status = 'approved'")).n, 1, 'nothing changed (only the seeded comment is approved)')

  const done = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'spam', reason: 'Campaign' } })
  t.equal(done.statusCode, 200)
  t.same(done.json().results.map((result: { outcome: string }) => result.outcome), ['unchanged', 'updated', 'updated', 'updated', 'updated'])
  t.equal((await db.one("SELECT count(*)::int AS n FROM comments WHERE status = 'spam'")).n, 5)
  t.equal((await db.one("SELECT count(*)::int AS n FROM moderation_events WHERE reason = 'Campaign'")).n, 4, 'one event per change')
  const tooMany = await app.inject({
    method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers,
    payload: { ids: Array.from({ length: 101 }, () => unknown), status: 'approved' },
  })
  t.equal(tooMany.statusCode, 400, 'at most 100 ids')
})

t.test('bulk moderation: a write failing partway leaves every comment as it was', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const ids: string[] = []
  for (let index = 0; index < 5; index++) ids.push((await submitComment(app)).json().id)
  const snapshot = async () => ({
    comments: (await db.query('SELECT id::text, status::text, version, updated_at FROM comments ORDER BY id')).rows,
    events: (await db.one('SELECT count(*)::int AS n FROM moderation_events')).n,
  })
  const before = await snapshot()
  // The fourth comment's event cannot be written: three comments have been updated by then.
  await db.query(`CREATE FUNCTION fail_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.comment_id = '${ids[3]}' THEN RAISE EXCEPTION 'injected failure for %', NEW.comment_id; END IF;
      RETURN NEW;
    END $$`)
  await db.query('CREATE TRIGGER fail_for_test BEFORE INSERT ON moderation_events FOR EACH ROW EXECUTE FUNCTION fail_for_test()')
  const failed = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'approved' } })
  t.equal(failed.statusCode, 500)
  t.notMatch(failed.body, /injected failure|moderation_events|fail_for_test/, 'no internals leak')
  t.same(await snapshot(), before, 'no status, version or event changed for any id')
  await db.query('DROP TRIGGER fail_for_test ON moderation_events')
  const retried = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'approved' } })
  t.equal(retried.statusCode, 200, 'the same request succeeds once the fault is gone')
  t.equal((await db.one('SELECT count(*)::int AS n FROM moderation_events')).n, before.events + 5)
})

t.test('bulk moderation with ETags never overwrites another moderator\'s decision', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const other = await staffToken(app, 'moderator', 'Other')
  const ids: string[] = []
  for (let index = 0; index < 3; index++) ids.push((await submitComment(app)).json().id)
  const etags = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, (await moderationView(app, id, moderator.headers)).etag])))
  // Another moderator rejects the second comment after our view was taken.
  t.equal((await moderate(app, ids[1]!, 'rejected', other.headers)).statusCode, 200)
  const eventsBefore = (await db.one('SELECT count(*)::int AS n FROM moderation_events')).n

  const bulk = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload })
  const refused = await bulk({ ids, status: 'approved', etags })
  t.equal(refused.statusCode, 412)
  t.equal(refused.json().code, 'precondition_failed')
  t.same(refused.json().errors.map((issue: { pointer: string }) => issue.pointer), [`/etags/${ids[1]}`], 'names the stale id only')
  const statuses = await db.query('SELECT id::text, status::text, version FROM comments WHERE id = ANY($1::uuid[])', [ids])
  t.same(Object.fromEntries(statuses.rows.map((row) => [row.id, row.status])), { [ids[0]!]: 'pending', [ids[1]!]: 'rejected', [ids[2]!]: 'pending' },
    'nothing changed: the other moderator\'s rejection stands')
  t.equal((await db.one('SELECT count(*)::int AS n FROM moderation_events')).n, eventsBefore, 'no event was written')

  const sameStatusStale = await bulk({ ids: [ids[1]], status: 'rejected', etags: { [ids[1]!]: etags[ids[1]!] } })
  t.equal(sameStatusStale.statusCode, 412, 'a stale ETag is refused even when the status would not change')

  const stray = await bulk({ ids: [ids[0]], status: 'approved', etags: { [ids[2]!]: etags[ids[2]!] } })
  t.equal(stray.statusCode, 400, 'an ETag for an id not in ids')
  t.equal((await bulk({ ids: [ids[0]], status: 'approved', etags: { 'not-a-uuid': 'x' } })).statusCode, 400, 'keys must be comment ids')

  const fresh = { ...etags, [ids[1]!]: (await moderationView(app, ids[1]!, moderator.headers)).etag }
  const done = await bulk({ ids, status: 'approved', etags: fresh })
  t.equal(done.statusCode, 200, 'with current ETags the request goes through')
  for (const result of done.json().results) {
    t.equal(result.etag, (await moderationView(app, result.id, moderator.headers)).etag, 'each result carries the new ETag')
  }
  t.equal((await bulk({ ids, status: 'approved', etags: fresh })).statusCode, 412, 'and those ETags are now stale')
  const partial = await bulk({ ids, status: 'spam', etags: { [ids[0]!]: done.json().results[0].etag } })
  t.equal(partial.statusCode, 200, 'ETags are optional per id')
})

t.test('right to erasure', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const admin = await staffToken(app, 'admin')
  const moderator = await staffToken(app, 'moderator')
  const email = 'erase.me@example.org'
  const ids = [
    (await submitComment(app, { payload: { authorEmail: email, authorName: 'Eve', body: 'First' } })).json().id,
    (await submitComment(app, { payload: { authorEmail: email, authorName: 'Eve', body: 'Second' } })).json().id,
  ]
  const keep = (await submitComment(app)).json().id
  await moderate(app, ids[0], 'approved', moderator.headers)

  t.equal((await app.inject({ method: 'POST', url: '/v1/moderation/erasures', headers: moderator.headers, payload: { email } })).statusCode, 403, 'admins only')
  const erased = await app.inject({ method: 'POST', url: '/v1/moderation/erasures', headers: admin.headers, payload: { email: 'Erase.Me@example.org' } })
  t.equal(erased.statusCode, 200)
  t.equal(erased.json().erasedComments, 2)
  const rows = await db.query('SELECT author_name, author_email, ip_address, client_key, user_agent, body FROM comments WHERE id = ANY($1::uuid[]) ORDER BY body', [ids])
  t.same(rows.rows, [
    { author_name: 'Anonymous', author_email: null, ip_address: null, client_key: null, user_agent: null, body: 'First' },
    { author_name: 'Anonymous', author_email: null, ip_address: null, client_key: null, user_agent: null, body: 'Second' },
  ], 'name, e-mail, IP (and its flood-control key) and user agent are gone; the bodies stay')
  t.not((await db.one('SELECT author_email FROM comments WHERE id = $1', [keep])).author_email, null, 'other commenters are untouched')
  const record = await db.one('SELECT email_hash, comment_count, staff_member_id FROM erasures')
  t.equal(record.comment_count, 2)
  t.equal(record.staff_member_id, admin.staffMember.id)
  t.notMatch(JSON.stringify(record), /erase\.me/, 'the record keeps no address')
  const publicView = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  t.ok(publicView.json().items.some((comment: { authorName: string; body: string }) => comment.authorName === 'Anonymous' && comment.body === 'First'))
  for (const [index, id] of ids.entries()) {
    const history = (await app.inject({ url: `/v1/comments/${id}/history`, headers: moderator.headers })).json().items
    const last = history.at(-1)
    t.match(last, { kind: 'erasure', erasureId: erased.json().id, staffMember: { id: admin.staffMember.id }, fromStatus: index === 0 ? 'approved' : 'pending' },
      'the erasure shows in each affected comment\'s history')
    t.equal(last.toStatus, last.fromStatus, 'and leaves the status as it was')
    t.same(history.map((event: { kind: string }) => event.kind), index === 0 ? ['submission', 'decision', 'erasure'] : ['submission', 'erasure'])
  }
  const untouched = (await app.inject({ url: `/v1/comments/${keep}/history`, headers: moderator.headers })).json().items
  t.same(untouched.map((event: { kind: string }) => event.kind), ['submission'])
})

t.test('an erasure waits for a submission in flight with the same address', { skip: environmentKind === 'embedded' && 'PGlite is one session' }, async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const admin = await staffToken(app, 'admin')
  const email = 'late@example.org'
  // A submission's transaction, held open: it has the address's lock and an uncommitted comment.
  const submitter = new pg.Client({ connectionString: db.url })
  await submitter.connect()
  t.teardown(() => submitter.end())
  await submitter.query('BEGIN')
  await submitter.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`email:${email}`])
  await submitter.query(`INSERT INTO comments (id, article_id, author_name, author_email, body, fingerprint, receipt_token_hash, updated_at)
    SELECT gen_random_uuid(), id, 'Late', $1, 'In flight', 'fp-in-flight', '\\x00', now() FROM articles WHERE slug = $2`, [email, SEED_SLUG])
  const erasing = app.inject({ method: 'POST', url: '/v1/moderation/erasures', headers: admin.headers, payload: { email } })
  const { pid } = (await submitter.query('SELECT pg_backend_pid() AS pid')).rows[0]
  for (let tries = 0; ; tries++) {
    await submitter.query('SELECT pg_stat_clear_snapshot()')
    const { n } = (await submitter.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid])).rows[0]
    if (n > 0) break
    if (tries > 500) throw new Error('the erasure never waited for the submission')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await submitter.query('COMMIT')
  const erased = await erasing
  t.equal(erased.statusCode, 200)
  t.equal(erased.json().erasedComments, 1, 'the comment committed while the erasure waited is erased too')
  t.same((await db.one("SELECT author_email, author_name FROM comments WHERE body = 'In flight'")), { author_email: null, author_name: 'Anonymous' })
})

t.test('every moderation route needs a moderator or admin', async (t) => {
  const { app } = await buildTestApp(t)
  const editor = await staffToken(app, 'editor')
  const { id } = (await submitComment(app, { ip: freshIp() })).json()
  const routes = [
    { method: 'GET' as const, url: '/v1/moderation/comments' },
    { method: 'GET' as const, url: '/v1/moderation/comments/counts' },
    { method: 'GET' as const, url: `/v1/moderation/comments/${id}` },
    { method: 'POST' as const, url: '/v1/moderation/comments/bulk', payload: { ids: [id], status: 'approved' } },
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
