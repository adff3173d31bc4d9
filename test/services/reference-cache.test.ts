import t from 'tap'
import { createReferenceCache, invalidating } from '../../src/services/reference-cache.js'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { SEED_SLUG, moderate, submitComment } from '../helpers/comments.js'

t.test('the cache', async (t) => {
  let clock = 0
  const cache = createReferenceCache({ ttlMs: 1_000, maxEntries: 3, now: () => clock })
  let loads = 0
  const load = async () => ++loads

  t.test('keeps a value until it expires', async (t) => {
    t.equal(await cache.get('a', load), 1)
    t.equal(await cache.get('a', load), 1, 'a hit')
    clock += 1_001
    t.equal(await cache.get('a', load), 2, 'expired: loaded again')
  })

  t.test('shares one load between concurrent misses and keeps no failure', async (t) => {
    const before = loads
    const [x, y] = await Promise.all([cache.get('b', load), cache.get('b', load)])
    t.equal(x, y)
    t.equal(loads, before + 1)
    await t.rejects(cache.get('c', async () => { throw new Error('outage') }))
    t.equal(await cache.get('c', async () => 'recovered'), 'recovered', 'a failed load is not cached')
  })

  t.test('forgets the oldest entries beyond its bound', async (t) => {
    for (const key of ['k1', 'k2', 'k3', 'k4']) await cache.get(key, load)
    t.equal(cache.size, 3)
    const before = loads
    await cache.get('k1', load)
    t.equal(loads, before + 1, 'k1 was dropped')
  })

  t.test('clears everything, or by key prefix, after a write', async (t) => {
    await cache.get('article:x', load)
    await cache.get('acupoint:LI20', load)
    cache.clear('article:')
    const before = loads
    await cache.get('acupoint:LI20', load)
    t.equal(loads, before, 'other keys stay')
    await cache.get('article:x', load)
    t.equal(loads, before + 1, 'the prefix was cleared')
    await t.rejects(invalidating(cache, async () => { throw new Error('write failed') }))
    t.equal(cache.size, 0, 'cleared even when the write failed')
  })

  t.test('is off with a zero lifetime', async (t) => {
    const off = createReferenceCache({ ttlMs: 0 })
    let n = 0
    await off.get('a', async () => ++n)
    t.equal(await off.get('a', async () => ++n), 2)
    t.equal(off.size, 0)
  })
})

// Through the app, with the default cache lifetime: every write is visible to the very next read.
t.test('writes are visible immediately', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const editor = await staffToken(app, 'editor')
  const moderator = await staffToken(app, 'moderator')
  const read = async (url: string) => app.inject({ url })

  t.test('an editor changes a point', async (t) => {
    const before = await read('/v1/acupoints/LI20')
    t.equal((await read('/v1/acupoints/LI20')).headers.etag, before.headers.etag, 'cached: same representation')
    const patched = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': before.headers.etag as string },
      payload: { englishName: 'Welcome Fragrance (edited)' },
    })
    t.equal(patched.statusCode, 200)
    const after = await read('/v1/acupoints/LI20')
    t.equal(after.json().englishName, 'Welcome Fragrance (edited)', 'the detail shows the edit')
    t.not(after.headers.etag, before.headers.etag)
    t.equal((await app.inject({ url: '/v1/acupoints/LI20', headers: { 'if-none-match': before.headers.etag as string } })).statusCode, 200, 'the old ETag no longer gives 304')
    const list = (await read('/v1/acupoints?channel=LI&limit=100')).json()
    t.equal(list.items.find((point: { code: string }) => point.code === 'LI20').englishName, 'Welcome Fragrance (edited)', 'so does the list')
    const article = (await read(`/v1/articles/${SEED_SLUG}`)).json()
    t.equal(article.points.find((point: { code: string }) => point.code === 'LI20').englishName, 'Welcome Fragrance (edited)', 'and the article')
  })

  t.test('an editor adds a claim, renames a source', async (t) => {
    const point = (await read('/v1/acupoints/ST36')).json()
    const created = await app.inject({
      method: 'POST', url: '/v1/acupoints/ST36/claims', headers: editor.headers,
      payload: { kind: 'health_benefit', text: 'Said to help tired legs.', sourceId: point.standardSource.id },
    })
    t.equal(created.statusCode, 201)
    t.equal((await read('/v1/acupoints/ST36')).json().claims.length, point.claims.length + 1)

    const source = await read(`/v1/sources/${point.standardSource.id}`)
    const renamed = await app.inject({
      method: 'PATCH', url: `/v1/sources/${point.standardSource.id}`,
      headers: { ...editor.headers, 'if-match': source.headers.etag as string }, payload: { title: 'Renamed standard' },
    })
    t.equal(renamed.statusCode, 200)
    t.equal((await read('/v1/acupoints/ST36')).json().standardSource.title, 'Renamed standard')
  })

  t.test('an editor unpublishes an article', async (t) => {
    t.equal((await read(`/v1/articles/${SEED_SLUG}`)).statusCode, 200)
    t.equal((await read(`/v1/articles/${SEED_SLUG}/comments`)).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: `/v1/articles/${SEED_SLUG}/unpublish`, headers: editor.headers })).statusCode, 200)
    t.equal((await read(`/v1/articles/${SEED_SLUG}`)).statusCode, 404)
    t.equal((await read(`/v1/articles/${SEED_SLUG}/comments`)).statusCode, 404, 'its comments go too')
    t.equal((await submitComment(app)).statusCode, 404, 'and it takes no comments')
    t.same((await read('/v1/articles')).json().items, [])
    t.equal((await app.inject({ method: 'POST', url: `/v1/articles/${SEED_SLUG}/publish`, headers: editor.headers })).statusCode, 200)
    t.equal((await read(`/v1/articles/${SEED_SLUG}`)).statusCode, 200)
  })

  t.test('a moderator approves a comment', async (t) => {
    const before = (await read(`/v1/articles/${SEED_SLUG}`)).json().approvedCommentCount
    const submitted = await submitComment(app)
    t.equal(submitted.statusCode, 202)
    t.equal((await read(`/v1/articles/${SEED_SLUG}`)).json().approvedCommentCount, before, 'a held comment does not count')
    t.equal((await moderate(app, submitted.json().id, 'approved', moderator.headers)).statusCode, 200)
    t.equal((await read(`/v1/articles/${SEED_SLUG}`)).json().approvedCommentCount, before + 1, 'the count follows at once')
    t.equal((await read('/v1/articles')).json().items[0].approvedCommentCount, before + 1, 'in the list too')
  })
})
