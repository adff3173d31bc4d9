import t from 'tap'
import { createReferenceCache, invalidating, representationBytes } from '../../src/services/reference-cache.js'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { SEED_SLUG, moderate, submitComment } from '../helpers/comments.js'

t.test('the cache', async (t) => {
  let clock = 1_000_000
  const cache = createReferenceCache({ ttlMs: 1_000, main: { maxEntries: 3, maxBytes: 1_000_000 }, now: () => clock })
  let loads = 0
  const load = async () => ({ n: ++loads })

  t.test('keeps a value until it expires', async (t) => {
    t.same(await cache.get('a', load), { n: 1 })
    t.same(await cache.get('a', load), { n: 1 }, 'a hit')
    clock += 1_001
    t.same(await cache.get('a', load), { n: 2 }, 'expired: loaded again')
  })

  t.test('shares one load between concurrent misses and keeps no failure', async (t) => {
    const before = loads
    const [x, y] = await Promise.all([cache.get('b', load), cache.get('b', load)])
    t.equal(x, y)
    t.equal(loads, before + 1)
    await t.rejects(cache.get('c', async () => { throw new Error('outage') }), { message: 'outage' })
    t.same(await cache.get('c', async () => ({ recovered: true })), { recovered: true }, 'a failed load is not cached')
  })

  t.test('forgets the least recently used entries beyond its bound', async (t) => {
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

  t.test('a load that a write clears while it runs answers its callers but is not kept', async (t) => {
    let finish!: (value: object) => void
    const pending = cache.get('article:slow', () => new Promise<object>((resolve) => (finish = resolve)))
    cache.clear('article:')
    finish({ version: 'before the write' })
    t.same(await pending, { version: 'before the write' }, 'the reader that started before the write gets its answer')
    t.same(await cache.get('article:slow', async () => ({ version: 'after the write' })), { version: 'after the write' }, 'the next read loads again')
  })

  t.test('is off with a zero lifetime', async (t) => {
    const off = createReferenceCache({ ttlMs: 0 })
    let n = 0
    await off.get('a', async () => ({ n: ++n }))
    t.same(await off.get('a', async () => ({ n: ++n })), { n: 2 })
    t.equal(off.size, 0)
  })
})

// Issue 11: one anonymous client filled the old cache (2,000 entries, no byte bound, client-chosen
// keys) until the heap ran out. Sizes here are bounds, not timings.
t.test('thousands of distinct client-chosen keys cannot grow the cache past its bounds', async (t) => {
  const main = { maxEntries: 2_000, maxBytes: 1_000_000 }
  const volatile = { maxEntries: 50, maxBytes: 200_000 }
  const cache = createReferenceCache({ ttlMs: 60_000, main, volatile })
  // A page of 100 points is about 40 KB of JSON: the shape the attack used.
  const page = (key: string) => async () => ({ key, items: Array.from({ length: 100 }, (_, i) => ({ code: `P${i}`, name: 'x'.repeat(380) })) })
  const size = representationBytes(await page('probe')())
  t.ok(size > 38_000, `a page is ${size} bytes`)

  await cache.get('acupoint:LI20', async () => ({ code: 'LI20' }))
  for (let i = 0; i < 5_000; i++) await cache.get(`acupoints:cursor-${i}`, page(`cursor-${i}`), { volatile: true })
  t.ok(cache.size <= 1 + volatile.maxEntries, `${cache.size} entries held after 5,000 forged keys`)
  t.ok(cache.bytes <= representationBytes({ code: 'LI20' }) + volatile.maxBytes, `${cache.bytes} bytes held, within the volatile pool's ${volatile.maxBytes}`)
  let reloaded = false
  await cache.get('acupoint:LI20', async () => ((reloaded = true), { code: 'LI20' }))
  t.notOk(reloaded, 'the flood did not evict what everyone reads')

  for (let i = 0; i < 5_000; i++) await cache.get(`acupoints:filter-${i}`, page(`filter-${i}`))
  t.ok(cache.bytes <= main.maxBytes + volatile.maxBytes, `the main pool is bounded by bytes too: ${cache.bytes} bytes held`)
  t.ok(cache.size <= Math.ceil(main.maxBytes / size) + volatile.maxEntries, `${cache.size} entries: the byte bound, not the entry bound, is what held`)

  const huge = { items: 'x'.repeat(volatile.maxBytes + 1) }
  t.same(await cache.get('acupoints:huge', async () => huge, { volatile: true }), huge, 'a representation larger than its pool is served')
  let loads = 0
  await cache.get('acupoints:huge', async () => ((loads++), huge), { volatile: true })
  t.equal(loads, 1, 'but never stored')
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
      payload: { kind: 'health_benefit', text: 'Said to help tired legs.', sourceId: point.standardSourceId },
    })
    t.equal(created.statusCode, 201)
    t.equal((await read('/v1/acupoints/ST36')).json().claims.length, point.claims.length + 1)

    const source = await read(`/v1/sources/${point.standardSourceId}`)
    const renamed = await app.inject({
      method: 'PATCH', url: `/v1/sources/${point.standardSourceId}`,
      headers: { ...editor.headers, 'if-match': source.headers.etag as string }, payload: { title: 'Renamed standard' },
    })
    t.equal(renamed.statusCode, 200)
    const after = (await read('/v1/acupoints/ST36')).json()
    t.equal(after.sources[after.standardSourceId].title, 'Renamed standard')
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
