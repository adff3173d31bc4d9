import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { holdRowLock, moderate, moderationView, submitComment } from '../../helpers/comments.js'

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
  const failed = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids: [...ids, unknown], status: 'approved', force: true } })
  t.equal(failed.statusCode, 404)
  t.match(failed.json().detail, unknown)
  t.equal((await db.one("SELECT count(*)::int AS n FROM comments WHERE status = 'approved'")).n, 1, 'nothing changed (only the seeded comment is approved)')

  const done = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'spam', reason: 'Campaign', force: true } })
  t.equal(done.statusCode, 200)
  t.same(done.json().results.map((result: { outcome: string }) => result.outcome), ['unchanged', 'updated', 'updated', 'updated', 'updated'])
  t.equal((await db.one("SELECT count(*)::int AS n FROM comments WHERE status = 'spam'")).n, 5)
  t.equal((await db.one("SELECT count(*)::int AS n FROM moderation_events WHERE reason = 'Campaign'")).n, 4, 'one event per change')
  const tooMany = await app.inject({
    method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers,
    payload: { ids: Array.from({ length: 101 }, () => unknown), status: 'approved', force: true },
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
  const failed = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'approved', force: true } })
  t.equal(failed.statusCode, 500)
  t.notMatch(failed.body, /injected failure|moderation_events|fail_for_test/, 'no internals leak')
  t.same(await snapshot(), before, 'no status, version or event changed for any id')
  await db.query('DROP TRIGGER fail_for_test ON moderation_events')
  const retried = await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids, status: 'approved', force: true } })
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
  const newest = Object.fromEntries(done.json().results.map((result: { id: string; etag: string }) => [result.id, result.etag]))

  // Without an ETag for every id, nothing happens unless the moderator says force.
  const eventsBeforeForce = (await db.one('SELECT count(*)::int AS n FROM moderation_events')).n
  const unguarded = await bulk({ ids, status: 'spam', etags: { [ids[0]!]: newest[ids[0]!] } })
  t.equal(unguarded.statusCode, 428, 'ids without an ETag need force')
  t.equal(unguarded.json().code, 'precondition_required')
  t.same(unguarded.json().errors.map((issue: { pointer: string }) => issue.pointer).sort(), [`/etags/${ids[1]}`, `/etags/${ids[2]}`].sort(), 'names each id without one')
  t.equal((await bulk({ ids, status: 'spam' })).statusCode, 428, 'no etags at all: 428 too')
  t.equal((await db.one('SELECT count(*)::int AS n FROM moderation_events')).n, eventsBeforeForce, 'and nothing changed')

  const forced = await bulk({ ids, status: 'spam', etags: { [ids[0]!]: newest[ids[0]!] }, force: true })
  t.equal(forced.statusCode, 200, 'force sets the ids without an ETag whatever their version')
  const history = await app.inject({ url: `/v1/comments/${ids[1]}/history`, headers: moderator.headers })
  const last = history.json().items.at(-1)
  t.match(last, { kind: 'decision', toStatus: 'spam', forced: true }, 'the history records the forced decision')
  const checkedOne = await app.inject({ url: `/v1/comments/${ids[0]}/history`, headers: moderator.headers })
  t.match(checkedOne.json().items.at(-1), { toStatus: 'spam', forced: false }, 'an id whose ETag was checked is not forced')
  t.equal((await bulk({ ids, status: 'approved', etags: { [ids[0]!]: newest[ids[0]!] }, force: true })).statusCode, 412, 'an ETag that is given is still checked under force')
})
