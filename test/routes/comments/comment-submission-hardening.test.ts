/**
 * Issue 11: names that are blank to the eye or that reorder text, duplicates that differ in case
 * and spacing, and bursts of submissions that exhausted the pool (116 × 500 in the attack run).
 */
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { refingerprintComments } from '../../../src/services/comment-fingerprints.js'
import { FINGERPRINT_VERSION } from '../../../src/services/comment-policy.js'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { environmentConfig } from '../../helpers/test-database.js'
import { SEED_SLUG, freshIp, holdRowLock, moderationView, submitComment } from '../../helpers/comments.js'

t.test('names', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const before = (await db.one('SELECT count(*)::int AS n FROM comments')).n

  for (const [name, what] of [
    ['\u200B', 'a zero-width space'], ['\u200B\u200C\u200D', 'zero-width characters'], ['\u2060 \uFEFF', 'a word joiner and a BOM'],
    ['\u3164', 'a Hangul filler'], ['\u00AD\u034F', 'a soft hyphen and a combining grapheme joiner'], ['\u2800', 'a Braille blank'],
    [' \u200B \u180E ', 'invisible characters between spaces'],
  ] as const) {
    const response = await submitComment(app, { payload: { authorName: name } })
    t.equal(response.statusCode, 400, `a name of only ${what} is blank`)
    t.match(response.json().errors, [{ pointer: '/authorName', message: 'is blank' }])
  }
  t.equal((await submitComment(app, { payload: { body: '\u200B\u2060' } })).statusCode, 400, 'so is such a body')

  for (const control of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C']) {
    const response = await submitComment(app, { payload: { authorName: `Ada${control}moc.elpmaxe` } })
    t.equal(response.statusCode, 400, `U+${control.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} in a name is refused`)
    t.match(response.json().errors, [{ pointer: '/authorName', message: /bidirectional/ }])
  }
  t.equal((await db.one('SELECT count(*)::int AS n FROM comments')).n, before, 'none of them was stored')

  const family = await submitComment(app, { payload: { authorName: 'Sam 👩‍👩‍👧' } })
  t.equal(family.statusCode, 202, 'a joiner inside an emoji is a visible name')
  t.equal((await submitComment(app, { payload: { authorName: 'רות', body: 'שלום\u200F עולם' } })).statusCode, 202, 'right-to-left text is fine, and a mark in a body too')
})

t.test('a refusal that needs no transaction opens none', async (t) => {
  const statements: string[] = []
  const { app } = await buildTestApp(t, {}, { onQuery: (sql) => statements.push(sql) })
  const ip = freshIp()
  const payload = { authorName: 'Pat', authorEmail: `pat-${randomBytes(3).toString('hex')}@example.org`, body: 'Once only' }
  t.equal((await submitComment(app, { ip, payload })).statusCode, 202)

  statements.length = 0
  const flood = await submitComment(app, { ip })
  t.equal(flood.statusCode, 429, 'the flood check refuses')
  t.equal(flood.json().code, 'comment_flood')
  t.notOk(statements.some((sql) => /\bBEGIN\b|pg_advisory_xact_lock/i.test(sql)), `no transaction, no lock: ${statements.length} statement(s)`)

  const second = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' }, { onQuery: (sql) => statements.push(sql) })
  t.equal((await submitComment(second.app, { payload })).statusCode, 202)
  statements.length = 0
  const repeat = await submitComment(second.app, { ip: freshIp(), payload: { ...payload, authorEmail: payload.authorEmail.toUpperCase() } })
  t.equal(repeat.statusCode, 409, 'the duplicate check refuses')
  t.notOk(statements.some((sql) => /\bBEGIN\b|pg_advisory_xact_lock/i.test(sql)), `no transaction, no lock: ${statements.length} statement(s)`)
})

t.test('a burst of 400 submissions from 40 addresses, 10 each, all at once', async (t) => {
  // The attack run's burst, on this database with its default pool and flood control on.
  const { app, db } = await buildTestApp(t)
  const addresses = Array.from({ length: 40 }, () => freshIp())
  const responses = await Promise.all(addresses.flatMap((ip) => Array.from({ length: 10 }, () => submitComment(app, { ip }).then((response) => ({ ip, response })))))
  const counts: Record<number, number> = {}
  for (const { response } of responses) counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1
  t.comment(`statuses: ${JSON.stringify(counts)}`)
  const refusals = responses.filter(({ response }) => response.statusCode !== 202).map(({ response }) => response.json().code as string)
  t.comment(`refusals: ${JSON.stringify(Object.fromEntries([...new Set(refusals)].map((code) => [code, refusals.filter((c) => c === code).length])))}`)
  t.notOk(counts[500], 'no 500')
  t.same(Object.keys(counts).filter((status) => !['202', '429', '503'].includes(status)), [], 'every answer is 202, 429 or 503')
  for (const { response } of responses.filter(({ response }) => response.statusCode === 429 || response.statusCode === 503)) {
    if (!(Number(response.headers['retry-after']) > 0)) t.fail(`a ${response.statusCode} without Retry-After: ${response.body}`)
  }
  const accepted = responses.filter(({ response }) => response.statusCode === 202)
  t.ok(accepted.length > 0, `${accepted.length} accepted`)
  const perAddress = new Map<string, number>()
  for (const { ip } of accepted) perAddress.set(ip, (perAddress.get(ip) ?? 0) + 1)
  t.ok([...perAddress.values()].every((n) => n === 1), 'flood control held: at most one comment per address')
  const ids = accepted.map(({ response }) => response.json().id as string)
  const stored = await db.query<{ id: string }>('SELECT id::text AS id FROM comments WHERE id = ANY($1::uuid[])', [ids])
  t.equal(stored.rowCount, ids.length, 'every 202 is stored')
})

t.test('a saturated pool answers 503 with Retry-After, not 500', { skip: !environmentConfig.databaseUrl && 'needs a second session to hold a lock: PGlite is one session' }, async (t) => {
  const { app, db } = await buildTestApp(t, { DB_POOL_MAX: '1', DB_CONNECT_TIMEOUT_MS: '300', COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const { id } = (await submitComment(app)).json()
  const { etag } = await moderationView(app, id, moderator.headers)
  // The app's only connection waits on a row lock held elsewhere, inside a moderation decision.
  const lock = await holdRowLock(db.url, 'comments', id)
  const blocked = app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'approved' } })
  await lock.waitForWaiters(1)

  const submission = await submitComment(app)
  t.equal(submission.statusCode, 503, 'a submission that cannot get a connection')
  t.equal(submission.json().code, 'database_busy')
  t.ok(Number(submission.headers['retry-after']) > 0, 'with Retry-After')
  const read = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  t.equal(read.statusCode, 503, 'a read too')
  const decision = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'rejected' } })
  t.equal(decision.statusCode, 503, 'and a second decision (a transaction that cannot start: P2028)')
  t.equal(decision.json().code, 'database_busy')

  await lock.release()
  t.equal((await blocked).statusCode, 200, 'the blocked decision completes once the lock goes')
  t.equal((await submitComment(app)).statusCode, 202, 'and the app serves again')
})

t.test('comments stored under the old duplicate rule are re-fingerprinted', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const { id: articleId } = await db.one<{ id: string }>('SELECT id::text AS id FROM articles WHERE slug = $1', [SEED_SLUG])
  // As the previous release stored them: a bare SHA-256 over the normalised body, case kept.
  const oldFingerprint = (email: string, name: string, body: string) =>
    createHash('sha256').update(`${articleId}\u0000${email}\u0000${name.toLowerCase()}\u0000${body}`).digest('hex')
  const insert = (email: string, body: string) => db.query(
    `INSERT INTO comments (id, article_id, author_name, author_email, body, fingerprint, receipt_token_hash, updated_at)
     VALUES (gen_random_uuid(), $1, 'Old Reader', $2, $3, $4, '\\x00', now()) RETURNING id`, [articleId, email, body, oldFingerprint(email, 'Old Reader', body)])
  await insert('old@example.org', 'Written Before')
  // Two comments the old rule told apart and the new one does not: both must survive.
  await insert('twins@example.org', 'Hello there')
  await insert('twins@example.org', 'HELLO   there')
  const erased = await db.one<{ id: string }>(`INSERT INTO comments (id, article_id, author_name, author_email, body, fingerprint, receipt_token_hash, updated_at)
     VALUES (gen_random_uuid(), $1, 'Anonymous', NULL, 'x', encode(sha256('erased:x'), 'hex'), '\\x00', now()) RETURNING id::text AS id`, [articleId])

  const payload = { authorName: 'Old Reader', authorEmail: 'old@example.org', body: 'written   before' }
  t.equal((await submitComment(app, { payload })).statusCode, 202, 'before the back-fill, the old row is not seen as the same comment')
  await db.query(`DELETE FROM moderation_events WHERE comment_id IN (SELECT id FROM comments WHERE body = 'written   before')`)
  await db.query(`DELETE FROM comments WHERE body = 'written   before'`)

  t.equal(await refingerprintComments(db), 3, 'three comments re-fingerprinted (not the erased one)')
  t.equal(await refingerprintComments(db), 0, 'idempotent')
  const rows = (await db.query<{ fingerprint: string }>(`SELECT fingerprint FROM comments WHERE author_email IN ('old@example.org', 'twins@example.org')`)).rows
  t.ok(rows.every((row) => row.fingerprint.startsWith(FINGERPRINT_VERSION)), 'every one on the current rule')
  t.equal(new Set(rows.map((row) => row.fingerprint)).size, 3, 'the twins stay two rows with distinct fingerprints')
  t.equal((await db.one('SELECT fingerprint FROM comments WHERE id = $1', [erased.id])).fingerprint.length, 64, 'an erased comment keeps its erased fingerprint')
  t.equal((await submitComment(app, { payload })).statusCode, 409, 'after it, a repeat of the old comment in another case and spacing is a 409')
  t.equal((await submitComment(app, { payload: { authorName: 'Old Reader', authorEmail: 'twins@example.org', body: 'hello there' } })).statusCode, 409)
})
