import t from 'tap'
import { WHO_1991_SOURCE_ID } from '../../../src/seed/seed-database.js'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'

const NEW_POINT = {
  code: 'EX-HN5',
  pinyin: 'Taiyang',
  hanziTraditional: '太陽',
  hanziSimplified: '太阳',
  englishName: 'Sun',
  region: 'head',
  standardSourceId: WHO_1991_SOURCE_ID,
}

t.test('editing acupoints', async (t) => {
  const { app, db } = await buildTestApp(t)
  const editor = await staffToken(app, 'editor')
  const admin = await staffToken(app, 'admin')
  const moderator = await staffToken(app, 'moderator')

  t.test('only editors and admins may write', async (t) => {
    const attempts = [
      { method: 'POST' as const, url: '/v1/acupoints', payload: NEW_POINT },
      { method: 'PATCH' as const, url: '/v1/acupoints/LI20', payload: { englishName: 'x' } },
      { method: 'DELETE' as const, url: '/v1/acupoints/LI20' },
      { method: 'POST' as const, url: '/v1/acupoints/LI20/claims', payload: { kind: 'health_benefit', text: 'x', sourceId: WHO_1991_SOURCE_ID } },
    ]
    for (const attempt of attempts) {
      t.equal((await app.inject(attempt)).statusCode, 401, `${attempt.method} ${attempt.url} without a token`)
      t.equal((await app.inject({ ...attempt, headers: moderator.headers })).statusCode, 403, `${attempt.method} ${attempt.url} as moderator`)
    }
    t.equal((await db.one('SELECT count(*)::int AS n FROM acupoints')).n, 362, 'nothing was written')
  })

  t.test('create, then read back', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/v1/acupoints', headers: editor.headers, payload: NEW_POINT })
    t.equal(created.statusCode, 201)
    t.equal(created.headers.location, '/v1/acupoints/EX-HN5')
    t.equal(created.json().channel, null)
    const read = await app.inject({ url: '/v1/acupoints/ex-hn5' })
    t.equal(read.statusCode, 200)
    t.equal(read.headers.etag, created.headers.etag, 'the ETag of the write is the ETag of the read')
    const duplicate = await app.inject({ method: 'POST', url: '/v1/acupoints', headers: editor.headers, payload: NEW_POINT })
    t.equal(duplicate.statusCode, 409)
    const badSource = await app.inject({
      method: 'POST', url: '/v1/acupoints', headers: editor.headers,
      payload: { ...NEW_POINT, code: 'EX-HN6', standardSourceId: '00000000-0000-4000-8000-000000000000' },
    })
    t.equal(badSource.statusCode, 400)
    t.equal(badSource.json().code, 'unknown_source')
    const half = await app.inject({ method: 'POST', url: '/v1/acupoints', headers: editor.headers, payload: { ...NEW_POINT, code: 'EX-HN7', channel: 'LI' } })
    t.equal(half.statusCode, 400, 'channel without number')
    const last = await app.inject({ url: '/v1/acupoints?limit=100&q=taiyang' })
    t.same(last.json().items.map((point: { code: string }) => point.code), ['EX-HN5'])
  })

  t.test('PATCH needs a current If-Match', async (t) => {
    const read = await app.inject({ url: '/v1/acupoints/LI20' })
    const etag = read.headers.etag as string
    const missing = await app.inject({ method: 'PATCH', url: '/v1/acupoints/LI20', headers: editor.headers, payload: { englishName: 'Welcome Fragrance (edited)' } })
    t.equal(missing.statusCode, 428)
    const updated = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': etag }, payload: { englishName: 'Welcome Fragrance (edited)' },
    })
    t.equal(updated.statusCode, 200)
    t.equal(updated.json().englishName, 'Welcome Fragrance (edited)')
    t.not(updated.headers.etag, etag, 'the write changed the ETag')
    const stale = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...admin.headers, 'if-match': etag }, payload: { englishName: 'Lost update' },
    })
    t.equal(stale.statusCode, 412, 'a second editor with the old ETag is refused')
    t.equal((await app.inject({ url: '/v1/acupoints/LI20' })).json().englishName, 'Welcome Fragrance (edited)', 'and changed nothing')
    t.equal((await app.inject({ url: '/v1/acupoints/LI20', headers: { 'if-none-match': etag } })).statusCode, 200, 'readers holding the old ETag get the new version')
    const empty = await app.inject({ method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': updated.headers.etag as string }, payload: {} })
    t.equal(empty.statusCode, 400, 'an empty patch is a validation error')
    const code = await app.inject({ method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': updated.headers.etag as string }, payload: { code: 'LI21' } })
    t.equal(code.statusCode, 400, 'the code cannot change')

    // A location and its note are the editors' to change; search follows at once (its columns are generated).
    const located = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': updated.headers.etag as string },
      payload: { location: 'Beside the wing of the nose, in the nasolabial groove (edited).', locationNote: 'Checked by a second editor: quincunx.' },
    })
    t.equal(located.statusCode, 200)
    t.equal(located.json().locationNote, 'Checked by a second editor: quincunx.')
    t.same(located.json().facts.find((fact: { attribute: string }) => fact.attribute === 'location').value, 'Beside the wing of the nose, in the nasolabial groove (edited).')
    t.same((await app.inject({ url: '/v1/acupoints?q=quincunx' })).json().items.map((point: { code: string }) => point.code), ['LI20'], 'the note\'s words are searchable')
    const cleared = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': located.headers.etag as string }, payload: { locationNote: null },
    })
    t.equal(cleared.json().locationNote, null, 'and a note can be removed')
    t.same((await app.inject({ url: '/v1/acupoints?q=quincunx' })).json().items, [], 'and leaves the search with it')
  })

  t.test('a claim added to a point changes the point\'s ETag', async (t) => {
    const before = await app.inject({ url: '/v1/acupoints/ST36' })
    const created = await app.inject({
      method: 'POST', url: '/v1/acupoints/st36/claims', headers: editor.headers,
      payload: { kind: 'health_benefit', text: 'Said to support digestion.', keyword: 'Digestion', sourceId: WHO_1991_SOURCE_ID },
    })
    t.equal(created.statusCode, 201)
    t.equal(created.json().keyword, 'digestion')
    const after = await app.inject({ url: '/v1/acupoints/ST36', headers: { 'if-none-match': before.headers.etag as string } })
    t.equal(after.statusCode, 200, 'the cached copy is no longer current')
    t.equal(after.json().claims.length, 1)
  })

  t.test('deleting something still referenced is a 409 that changes nothing', async (t) => {
    const response = await app.inject({ method: 'DELETE', url: '/v1/acupoints/LI20', headers: editor.headers })
    t.equal(response.statusCode, 409)
    t.equal(response.json().code, 'still_referenced')
    t.equal((await app.inject({ url: '/v1/acupoints/LI20' })).statusCode, 200)
    const claims = await db.one("SELECT count(*)::int AS n FROM claims c JOIN acupoints a ON a.id = c.acupoint_id WHERE a.code = 'LI20'")
    t.equal(claims.n, 4, 'its claims are all still there')
  })

  t.test('codes and alternate codes never clash, and a point made extra sorts after the channels', async (t) => {
    const clash = await app.inject({ method: 'POST', url: '/v1/acupoints', headers: editor.headers, payload: { ...NEW_POINT, code: 'EX-HN99', alternateCodes: ['gv29'] } })
    t.equal(clash.statusCode, 409, "another point's alternate code")
    t.equal(clash.json().code, 'duplicate_acupoint')
    const read = await app.inject({ url: '/v1/acupoints/EX-HN5' })
    const patch = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/EX-HN5', headers: { ...editor.headers, 'if-match': read.headers.etag as string }, payload: { alternateCodes: ['LI20'] },
    })
    t.equal(patch.statusCode, 409, "another point's code")
    t.same((await app.inject({ url: '/v1/acupoints/li20' })).json().code, 'LI20', 'the lookup is unchanged')

    const li19 = await app.inject({ url: '/v1/acupoints/LI19' })
    const toExtra = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI19', headers: { ...editor.headers, 'if-match': li19.headers.etag as string }, payload: { channel: null, number: null },
    })
    t.equal(toExtra.statusCode, 200)
    const liCodes = (await app.inject({ url: '/v1/acupoints?channel=LI&limit=100' })).json().items.map((item: { code: string }) => item.code)
    t.notOk(liCodes.includes('LI19'))
    const order = await db.query<{ code: string }>("SELECT code FROM acupoints WHERE code IN ('LI19', 'CV24', 'EX-HN3') ORDER BY sort_key")
    t.same(order.rows.map((row) => row.code), ['CV24', 'EX-HN3', 'LI19'], 'after every channel point and the earlier extra points')
  })

  t.test('deleting an unreferenced point', async (t) => {
    const read = await app.inject({ url: '/v1/acupoints/EX-HN5' })
    const stale = await app.inject({ method: 'DELETE', url: '/v1/acupoints/EX-HN5', headers: { ...editor.headers, 'if-match': '"stale"' } })
    t.equal(stale.statusCode, 412)
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/acupoints/EX-HN5', headers: { ...editor.headers, 'if-match': read.headers.etag as string } })
    t.equal(deleted.statusCode, 204)
    t.equal((await app.inject({ url: '/v1/acupoints/EX-HN5' })).statusCode, 404)
  })
})
