// The integrator's view: a client generated from openapi.yaml alone (openapi-typescript types,
// `npm run openapi:types`, and openapi-fetch) runs the main flows against a listening server.
// This file is type-checked by `npm run typecheck`, so a document change that breaks such a
// client breaks CI.
import t from 'tap'
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from '../generated/openapi-types.js'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { SEED_SLUG } from '../helpers/comments.js'
import { checkResponse } from '../helpers/openapi-contract.js'

t.test('a generated client runs the main flows against a listening server', async (t) => {
  const { app } = await buildTestApp(t)
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const client = createClient<paths>({ baseUrl })

  // Every response this client receives over HTTP must match the document too.
  let checked = 0
  const contract: Middleware = {
    async onResponse({ request, response }) {
      const url = new URL(request.url)
      const violations = checkResponse({
        method: request.method,
        path: url.pathname + url.search,
        statusCode: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.clone().text(),
      })
      checked++
      if (violations.length > 0) t.fail(`the response breaks the OpenAPI contract:\n${violations.join('\n')}`)
    },
  }
  client.use(contract)

  // List points: the Large Intestine channel, then one point with its facts and claims.
  const list = await client.GET('/v1/acupoints', { params: { query: { channel: 'LI', limit: 50 } } })
  t.equal(list.response.status, 200)
  t.ok(list.data?.items.some((point) => point.code === 'LI20'), 'LI20 is listed')
  t.equal(list.data?.items.length, 20, 'the Large Intestine channel has 20 points')
  t.equal(list.data?.total, 20, 'and says how many match in all')

  // Search, accents and all; then a point whose facts and claims name their sources in `sources`.
  const found = await client.GET('/v1/acupoints', { params: { query: { q: 'Yíngxiāng', limit: 5 } } })
  t.same(found.data?.items.map((item) => item.code), ['LI20'])
  const li20 = await client.GET('/v1/acupoints/{code}', { params: { path: { code: 'li 20'.replace(' ', '') } } })
  const organFact = li20.data?.facts.find((fact) => fact.attribute === 'channel_organ')
  const organClaim = li20.data?.claims.find((claim) => claim.kind === 'linked_organ')
  t.equal(organFact?.value, 'large-intestine', 'the standard\'s organ of LI20\'s channel')
  t.equal(organClaim?.keyword, 'heart', 'beside the organ a source claims')
  t.equal(li20.data?.sources[organClaim!.sourceId]?.kind, 'article', 'whose source is in the document\'s sources')
  const figure = await client.GET('/v1/acupoints/{code}/figure.svg', { params: { path: { code: 'LI20' } }, parseAs: 'text' })
  t.equal(figure.response.headers.get('content-type'), 'image/svg+xml; charset=utf-8')
  t.match(figure.data, /<title id="figure-title">LI20 Yingxiang/, 'the point\'s figure, an SVG')

  const point = await client.GET('/v1/acupoints/{code}', { params: { path: { code: 'GV29' } } })
  t.equal(point.data?.code, 'EX-HN3', 'an alternate code finds Yintang')
  t.ok(point.response.headers.get('etag'))

  const missing = await client.GET('/v1/acupoints/{code}', { params: { path: { code: 'XX99' } } })
  t.equal(missing.response.status, 404)
  t.equal(missing.error?.code, 'acupoint_not_found', 'errors arrive typed as problems')

  // Read the seed article.
  const articles = await client.GET('/v1/articles')
  t.ok(articles.data?.items.some((article) => article.slug === SEED_SLUG))
  const article = await client.GET('/v1/articles/{slug}', { params: { path: { slug: SEED_SLUG } } })
  t.same(article.data?.points.map((p) => p.code), ['EX-HN3', 'GB14', 'ST2', 'ST4', 'SI18', 'LI20'])
  t.ok(article.data?.points.every((p) => p.claims.length > 0), 'each point with its claims')
  t.equal(article.data?.sources[article.data.sourceId!]?.author, 'Sole Toscana Beauty Team')

  // Submit a comment: held for moderation, readable by its author with the receipt token.
  const submitted = await client.POST('/v1/articles/{slug}/comments', {
    params: { path: { slug: SEED_SLUG } },
    body: { authorName: 'Integrator', authorEmail: 'integrator@example.org', body: 'Does Yintang help with sleep?' },
  })
  t.equal(submitted.response.status, 202)
  const accepted = submitted.data!
  t.equal(accepted.status, 'pending')
  const mine = await client.GET('/v1/comments/{id}', {
    params: { path: { id: accepted.id }, header: { 'x-receipt-token': accepted.receiptToken } },
  })
  t.equal(mine.data?.status, 'pending')
  const before = await client.GET('/v1/articles/{slug}/comments', { params: { path: { slug: SEED_SLUG } } })
  t.notOk(before.data?.items.some((comment) => comment.id === accepted.id), 'not public while held')

  // Moderate it with a staff token, using the ETag as If-Match.
  const { headers: staff } = await staffToken(app, 'moderator')
  const queue = await client.GET('/v1/moderation/comments', { params: { query: { status: 'pending' } }, headers: staff })
  t.ok(queue.data?.items.some((comment) => comment.id === accepted.id), 'in the moderation queue')
  const held = await client.GET('/v1/moderation/comments/{id}', { params: { path: { id: accepted.id } }, headers: staff })
  const etag = held.response.headers.get('etag')!
  t.equal(held.data?.etag, etag)
  const decided = await client.PATCH('/v1/comments/{id}', {
    params: { path: { id: accepted.id }, header: { 'if-match': etag } },
    body: { status: 'approved', reason: 'On topic' },
    headers: staff,
  })
  t.equal(decided.response.status, 200)
  t.equal(decided.data?.status, 'approved')
  const again = await client.PATCH('/v1/comments/{id}', {
    params: { path: { id: accepted.id }, header: { 'if-match': etag } },
    body: { status: 'rejected' },
    headers: staff,
  })
  t.equal(again.response.status, 412, 'a stale ETag is refused')

  // See it public, without the e-mail address.
  const after = await client.GET('/v1/articles/{slug}/comments', { params: { path: { slug: SEED_SLUG } } })
  const published = after.data?.items.find((comment) => comment.id === accepted.id)
  t.equal(published?.body, 'Does Yintang help with sleep?')
  t.notOk(JSON.stringify(after.data).includes('integrator@example.org'), 'no e-mail in public')

  t.equal(checked, 16, 'every response was checked against the document')
})
