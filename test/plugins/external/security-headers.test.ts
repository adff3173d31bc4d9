// src/plugins/external/security-headers.ts: CORS for a public API (any origin, no credentials, by
// default; CORS_ORIGINS narrows it), and helmet's headers. The same flows from a real page on
// another origin are in cors-browser.test.ts.
import t from 'tap'
import { buildTestApp } from '../../helpers/build-test-app.js'
import { SEED_SLUG } from '../../helpers/comments.js'

const PAGE = 'http://localhost:5173'
const SOME_ID = '0f8fad5b-d9cb-469f-a165-70867728950e'
const splitList = (value: unknown) => String(value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean)

t.test('by default any origin may call the API, without credentials', async (t) => {
  const { app } = await buildTestApp(t)
  const read = await app.inject({ url: '/v1/acupoints/LI20', headers: { origin: PAGE } })
  t.equal(read.statusCode, 200)
  t.equal(read.headers['access-control-allow-origin'], '*')
  t.notOk(read.headers['access-control-allow-credentials'], 'never with credentials')
  t.notMatch(String(read.headers.vary ?? ''), /origin/i, 'the same answer for every origin, so no Vary: Origin')
  t.same(
    splitList(read.headers['access-control-expose-headers']).sort(),
    ['etag', 'link', 'location', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-request-id'],
    'a page can read the headers clients need',
  )

  // A preflight for the moderation PATCH: answered by CORS itself, never by the 405 handler.
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: `/v1/comments/${SOME_ID}`,
    headers: { origin: PAGE, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,if-match,content-type' },
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.body, '')
  t.equal(preflight.headers['access-control-allow-origin'], '*')
  t.ok(splitList(preflight.headers['access-control-allow-methods']).includes('patch'))
  t.same(
    splitList(preflight.headers['access-control-allow-headers']).sort(),
    ['authorization', 'content-type', 'if-match', 'if-none-match', 'x-receipt-token', 'x-request-id'],
    'every header a client sends is allowed',
  )
  t.equal(preflight.headers['access-control-max-age'], '7200', 'preflights are cached')

  for (const url of ['/v1/moderation/comments/bulk', `/v1/articles/${SEED_SLUG}/comments`, '/health', '/v1/no-such-route']) {
    const answer = await app.inject({ method: 'OPTIONS', url, headers: { origin: PAGE, 'access-control-request-method': 'POST' } })
    t.equal(answer.statusCode, 204, `preflight to ${url}`)
  }
  const plain = await app.inject({ method: 'OPTIONS', url: '/v1/acupoints' })
  t.equal(plain.statusCode, 204, 'an OPTIONS without Origin is not an error either')

  const submitted = await app.inject({
    method: 'POST',
    url: `/v1/articles/${SEED_SLUG}/comments`,
    headers: { origin: PAGE },
    payload: { authorName: 'Page', authorEmail: 'page@example.org', body: 'From another origin' },
  })
  t.equal(submitted.statusCode, 202)
  t.equal(submitted.headers['access-control-allow-origin'], '*')
  const failed = await app.inject({ url: '/v1/acupoints/XX99', headers: { origin: PAGE } })
  t.equal(failed.statusCode, 404)
  t.equal(failed.headers['access-control-allow-origin'], '*', 'errors are readable by the page too')
})

t.test('CORS_ORIGINS narrows it to a list, and the answer then varies by Origin', async (t) => {
  const { app } = await buildTestApp(t, { CORS_ORIGINS: 'https://app.example,http://localhost:5173' })
  const allowed = await app.inject({ url: '/v1/acupoints/LI20', headers: { origin: PAGE } })
  t.equal(allowed.headers['access-control-allow-origin'], PAGE, 'the origin is echoed')
  t.same(splitList(allowed.headers.vary).sort(), ['authorization', 'origin'], 'caches keep one copy per origin (and per token)')
  const other = await app.inject({ url: '/v1/acupoints/LI20', headers: { origin: 'https://evil.example' } })
  t.equal(other.statusCode, 200, 'the request itself is served: CORS only governs what a page may read')
  t.notOk(other.headers['access-control-allow-origin'])
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/sources',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  })
  t.equal(preflight.statusCode, 204, 'a preflight from another origin is answered, not a 405')
  t.notOk(preflight.headers['access-control-allow-origin'], 'but grants nothing')

  const { app: closed } = await buildTestApp(t, { CORS_ORIGINS: 'none' }, { seed: false })
  const refused = await closed.inject({ url: '/health', headers: { origin: PAGE } })
  t.notOk(refused.headers['access-control-allow-origin'], 'none: no page on another origin may read anything')
  const refusedPreflight = await closed.inject({ method: 'OPTIONS', url: '/health', headers: { origin: PAGE, 'access-control-request-method': 'GET' } })
  t.equal(refusedPreflight.statusCode, 204)
  t.notOk(refusedPreflight.headers['access-control-allow-origin'])
})
