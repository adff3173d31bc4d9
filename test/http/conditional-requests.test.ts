/**
 * Issue 11's smaller holes: If-Match carries exactly one entity tag on every write that reads it;
 * comment ETags cannot be guessed; bulk moderation refuses an id given twice; a 401 without
 * credentials carries no error code.
 */
import { createHash, randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { moderationView, submitComment } from '../helpers/comments.js'

// One app for every subtest: building one is the slow part on a loaded machine.
t.test('the smaller holes of issue 11', async (t) => {
const { app, db } = await buildTestApp(t)

t.test('If-Match is exactly one entity tag, everywhere', async (t) => {
  const editor = await staffToken(app, 'admin')
  const point = await app.inject({ url: '/v1/acupoints/ST36' })
  const etag = point.headers.etag as string
  const patch = (ifMatch: string) => app.inject({ method: 'PATCH', url: '/v1/acupoints/ST36', headers: { ...editor.headers, 'if-match': ifMatch }, payload: { location: 'Below the knee' } })

  for (const value of [`${etag}, "other"`, `"other", ${etag}`, `${etag},${etag}`, 'not-quoted', `W/${etag}, ${etag}`]) {
    const response = await patch(value)
    t.equal(response.statusCode, 400, `If-Match: ${value}`)
    t.equal(response.json().code, 'invalid_if_match')
  }
  t.equal((await patch('*')).statusCode, 428, '* is refused like a missing tag: it proves nothing about what the editor read')
  t.equal((await patch(`W/${etag}`)).statusCode, 412, 'a weak tag never matches (strong comparison)')
  t.equal((await app.inject({ url: '/v1/acupoints/ST36' })).headers.etag, etag, 'none of that changed the point')
  t.equal((await patch(etag)).statusCode, 200, 'the one current tag works')

  const source = (await app.inject({ url: '/v1/sources?limit=1' })).json().items[0]
  const del = await app.inject({ method: 'DELETE', url: `/v1/sources/${source.id}`, headers: { ...editor.headers, 'if-match': '"a", "b"' } })
  t.equal(del.statusCode, 400, 'the optional If-Match of a DELETE follows the same rule')
  const publish = await app.inject({ method: 'POST', url: '/v1/articles/facial-acupuncture-six-points/publish', headers: { ...editor.headers, 'if-match': '"a", "b"' } })
  t.equal(publish.statusCode, 400, 'and of a state change')
})

t.test('comment ETags cannot be guessed from the id and a version count', async (t) => {
  const moderator = await staffToken(app, 'moderator')
  const { id } = (await submitComment(app)).json()
  const { etag, body } = await moderationView(app, id, moderator.headers)
  t.equal(body.version, 1)
  t.notOk(etag.includes(id), 'the tag does not contain the id')
  t.not(etag, '"c1-' + id + '"', 'nor is it the old "c<version>-<id>"')
  t.not(etag, `"${createHash('sha256').update(`${id}:1`).digest('base64url').slice(0, 27)}"`, 'nor a hash of id and version alone')
  for (const guess of [`"c1-${id}"`, `"c2-${id}"`]) {
    const response = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': guess }, payload: { status: 'approved' } })
    t.equal(response.statusCode, 412, `a guessed tag ${guess} is refused`)
  }
  const decided = await app.inject({ method: 'PATCH', url: `/v1/comments/${id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'approved' } })
  t.equal(decided.statusCode, 200)
  t.equal(decided.headers.etag, (await moderationView(app, id, moderator.headers)).etag, 'the tag a decision answers is the one a read gives')
})

t.test('bulk moderation refuses an id given twice, in any letter case', async (t) => {
  const moderator = await staffToken(app, 'moderator')
  const [a, b] = [(await submitComment(app)).json().id as string, (await submitComment(app)).json().id as string]
  const bulk = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload })

  const cased = await bulk({ ids: [a, b, a.toUpperCase()], status: 'approved' })
  t.equal(cased.statusCode, 400, 'the same id in another letter case')
  t.equal(cased.json().code, 'duplicate_ids')
  t.match(cased.json().errors, [{ pointer: '/ids/2' }])
  t.equal((await bulk({ ids: [a, a], status: 'approved' })).statusCode, 400, 'the same id twice')
  const { etag } = await moderationView(app, a, moderator.headers)
  const etags = await bulk({ ids: [a], status: 'approved', etags: { [a]: '"stale"', [a.toUpperCase()]: etag } })
  t.equal(etags.statusCode, 400, 'an ETag given twice for one id: the old code used the last one')
  t.equal(etags.json().code, 'duplicate_ids')
  t.equal((await db.one("SELECT count(*)::int AS n FROM comments WHERE status = 'approved' AND id = ANY($1::uuid[])", [[a, b]])).n, 0, 'nothing changed')
  t.equal((await bulk({ ids: [a, b.toUpperCase()], status: 'approved', force: true })).statusCode, 200, 'distinct ids, in any case, work')
})

t.test('a 401 without credentials carries no error code (RFC 6750 §3.1)', async (t) => {
  const none = await app.inject({ url: '/v1/staff/me' })
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer realm="acupoint-api"', 'no token: the bare challenge')
  const basic = await app.inject({ url: '/v1/staff/me', headers: { authorization: 'Basic Zm9vOmJhcg==' } })
  t.equal(basic.headers['www-authenticate'], 'Bearer realm="acupoint-api"', 'another scheme is no bearer credentials either')
  const bad = await app.inject({ url: '/v1/staff/me', headers: { authorization: `Bearer acp_${randomUUID()}` } })
  t.equal(bad.headers['www-authenticate'], 'Bearer realm="acupoint-api", error="invalid_token"', 'a bad token: invalid_token')
})
})
