/**
 * Issue 11: values that passed validation but that PostgreSQL refuses became 500s. Each example
 * from the attack run, and its relatives, must now be a 400 problem before any SQL runs. Runs on
 * PGlite and (with DATABASE_URL) on PostgreSQL.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { isCursorId, isCursorInt4, isCursorTimestamp } from '../../src/http/pagination.js'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { SEED_SLUG, freshIp, submitComment } from '../helpers/comments.js'

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const id = '0f8fad5b-d9cb-469f-a165-70867728950e'

/** Other spellings of a UUID: Ajv's `uuid` format let the first through; PostgreSQL parses some of the rest, but none is ours. */
export const OTHER_UUID_SPELLINGS = [
  `urn:uuid:${id}`,
  `URN:UUID:${id}`,
  `{${id}}`,
  id.replaceAll('-', ''),
  `${id.slice(0, 8)}${id.slice(9)}`,
  ` ${id}`,
  `${id}\n`,
  '-'.repeat(36),
  `${id.slice(0, 35)}g`,
]

t.test('cursor values are range-checked', async (t) => {
  t.ok(isCursorTimestamp(new Date().toISOString()))
  t.ok(isCursorTimestamp('0001-01-01T00:00:00.000Z'), 'year 1 is inside PostgreSQL\'s range')
  t.ok(isCursorTimestamp('9999-12-31T23:59:59.999Z'))
  for (const bad of ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2021-02-30T00:00:00.000Z',
    '2021-01-01', '2021-01-01T00:00:00Z', 'Sat, 01 Jan 2000 00:00:00 GMT', '10000', 10000]) {
    t.notOk(isCursorTimestamp(bad), `not a timestamp: ${JSON.stringify(bad)}`)
  }
  t.ok(isCursorInt4(2_147_483_647))
  t.ok(isCursorInt4(-2_147_483_648))
  for (const bad of [2_147_483_648, -2_147_483_649, 2 ** 53 - 1, 1.5, '1', Number.NaN]) t.notOk(isCursorInt4(bad), `not an int4: ${bad}`)
  t.ok(isCursorId(id))
  t.ok(isCursorId(id.toUpperCase()))
  for (const bad of OTHER_UUID_SPELLINGS) t.notOk(isCursorId(bad), `not an id: ${JSON.stringify(bad)}`)
})

t.test('each value from the attack run is a 400 problem, never a database error', async (t) => {
  const { app } = await buildTestApp(t)
  const moderator = await staffToken(app, 'admin')
  const expect400 = async (what: string, response: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }, code?: string) => {
    t.equal(response.statusCode, 400, what)
    t.match(response.headers['content-type'], /application\/problem\+json/)
    if (code) t.equal(response.json().code, code, `${what}: ${code}`)
  }

  t.test('cursors', async () => {
    const dashes = cursor({ t: new Date().toISOString(), id: '-'.repeat(36) })
    await expect400('a comment cursor whose id is 36 dashes', await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?cursor=${dashes}` }), 'invalid_cursor')
    await expect400('the same in the moderation queue', await app.inject({ url: `/v1/moderation/comments?cursor=${dashes}`, headers: moderator.headers }), 'invalid_cursor')
    for (const p of ['+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z']) {
      await expect400(`an article cursor at ${p}`, await app.inject({ url: `/v1/articles?cursor=${cursor({ p, id })}` }), 'invalid_cursor')
      await expect400(`a comment cursor at ${p}`, await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?cursor=${cursor({ t: p, id })}` }), 'invalid_cursor')
    }
    for (const k of [2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1]) {
      await expect400(`an acupoint cursor k=${k}`, await app.inject({ url: `/v1/acupoints?cursor=${cursor({ k })}` }), 'invalid_cursor')
    }
    await expect400('a source cursor with a braced id', await app.inject({ url: `/v1/sources?cursor=${cursor({ id: `{${id}}` })}` }), 'invalid_cursor')
    // And the edges that are valid still work.
    t.equal((await app.inject({ url: `/v1/acupoints?cursor=${cursor({ k: 2 ** 31 - 1 })}` })).statusCode, 200, 'k at the top of int4 is a valid (empty) page')
    t.equal((await app.inject({ url: `/v1/articles?cursor=${cursor({ p: '0001-01-01T00:00:00.000Z', id })}` })).statusCode, 200, 'year 1 is a valid (empty) page')
  })

  t.test('other spellings of an id, everywhere an id goes', async () => {
    const [source] = (await app.inject({ url: '/v1/sources?limit=1' })).json().items
    for (const spelling of OTHER_UUID_SPELLINGS) {
      const encoded = encodeURIComponent(spelling)
      await expect400(`GET /v1/comments/${spelling}`, await app.inject({ url: `/v1/comments/${encoded}` }))
      await expect400(`GET /v1/sources/${spelling}`, await app.inject({ url: `/v1/sources/${encoded}` }))
      await expect400(`PATCH /v1/comments/${spelling}`, await app.inject({
        method: 'PATCH', url: `/v1/comments/${encoded}`, headers: { ...moderator.headers, 'if-match': '"c1-x"' }, payload: { status: 'approved' },
      }))
      await expect400(`parentId ${spelling}`, await submitComment(app, { payload: { parentId: spelling } }))
      await expect400(`bulk ids [${spelling}]`, await app.inject({
        method: 'POST', url: '/v1/moderation/comments/bulk', headers: moderator.headers, payload: { ids: [spelling], status: 'approved' },
      }))
      await expect400(`a claim's sourceId ${spelling}`, await app.inject({
        method: 'POST', url: '/v1/acupoints/LI20/claims', headers: moderator.headers,
        payload: { kind: 'health_benefit', text: 'x', sourceId: spelling },
      }))
    }
    t.equal((await app.inject({ url: `/v1/sources/${String(source.id).toUpperCase()}` })).statusCode, 200, 'upper-case hex is the same id')
  })

  t.test('nothing was written by any of it', async () => {
    const accepted = await submitComment(app, { ip: freshIp() })
    t.equal(accepted.statusCode, 202, 'the app still works')
    t.equal((await app.inject({ url: `/v1/comments/${randomUUID()}` })).statusCode, 404)
  })
})
