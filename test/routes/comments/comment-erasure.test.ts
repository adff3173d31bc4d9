import pg from 'pg'
import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { environmentConfig } from '../../helpers/test-database.js'
import { SEED_SLUG, moderate, submitComment } from '../../helpers/comments.js'

const environmentKind = environmentConfig.databaseUrl ? 'external' : 'embedded'

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
