// The contract check must catch what it is there to catch: each case below is a response the
// document does not allow, and must be reported; the well-formed ones must not be.
import t from 'tap'
import Fastify from 'fastify'
import { checkEveryResponse } from '../helpers/build-test-app.js'
import { checkResponse } from '../helpers/openapi-contract.js'

const json = { 'content-type': 'application/json; charset=utf-8' }
const problemType = { 'content-type': 'application/problem+json; charset=utf-8' }
const problem = (status: number, code = 'not_found') => JSON.stringify({
  type: `urn:acupoint-api:problem:${code}`, title: 'Not found', status, detail: 'No such thing.', instance: '/x', code, requestId: 'r1',
})
const counts = JSON.stringify({ pending: 1, approved: 2, rejected: 0, spam: 0, needsAttention: 0, flagged: 0 })
const etag = '"Xr8pQ2m0bUFZs3c1Ew4K9aLdT7v"'
// Every answer of a rate-limited route (all of /v1 and the documents) carries these.
const limited = { 'x-ratelimit-limit': '120', 'x-ratelimit-remaining': '119', 'x-ratelimit-reset': '60' }

t.test('checkResponse reports each kind of violation', async (t) => {
  const cases: [string, Parameters<typeof checkResponse>[0], RegExp][] = [
    ['an undeclared status', { method: 'GET', path: '/v1/acupoints/LI20', statusCode: 418, headers: problemType, body: problem(418) }, /status 418 is not declared for getAcupoint/],
    ['a body of the wrong shape', { method: 'GET', path: '/v1/moderation/comments/counts', statusCode: 200, headers: json, body: '{"pending":"many","approved":0,"rejected":0,"spam":0,"needsAttention":0,"flagged":0}' }, /does not match getCommentCounts.*must be integer/],
    ['a body that is not JSON', { method: 'GET', path: '/v1/moderation/comments/counts', statusCode: 200, headers: json, body: '{oops' }, /not JSON/],
    ['an undeclared content type', { method: 'GET', path: '/v1/moderation/comments/counts', statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<p>' }, /content type "text\/html" is not declared/],
    ['a problem that is not a Problem', { method: 'GET', path: '/v1/acupoints/LI20', statusCode: 404, headers: problemType, body: '{"error":"nope"}' }, /404 schema/],
    ['a missing ETag on a cacheable read', { method: 'GET', path: '/v1/channels', statusCode: 200, headers: { ...json, 'cache-control': 'public' }, body: '{"items":[]}' }, /required header ETag is missing/],
    ['a missing ETag on a 304', { method: 'GET', path: '/v1/channels', statusCode: 304, headers: {}, body: '' }, /required header ETag is missing/],
    ['a body on a 304', { method: 'GET', path: '/v1/channels', statusCode: 304, headers: { etag }, body: '{}' }, /declares no body/],
    ['a 429 without Retry-After', { method: 'POST', path: '/v1/articles/a/comments', statusCode: 429, headers: problemType, body: problem(429, 'rate_limited') }, /Retry-After is missing/],
    ['a Retry-After that is not a number', { method: 'GET', path: '/ready', statusCode: 503, headers: { ...problemType, 'retry-after': 'soon' }, body: problem(503) }, /header Retry-After/],
    ['a malformed Link', { method: 'GET', path: '/v1/articles', statusCode: 200, headers: { ...json, etag, 'cache-control': 'no-cache', link: '/v1/articles?cursor=x' }, body: '{"items":[],"nextCursor":null}' }, /header Link/],
    ['a success on an unknown path', { method: 'GET', path: '/v1/unknown', statusCode: 200, headers: json, body: '{}' }, /no operation in the document matches GET \/v1\/unknown/],
    ['a success for an unknown method', { method: 'PUT', path: '/v1/channels', statusCode: 200, headers: json, body: '{}' }, /no operation/],
    ['a 405 without Allow', { method: 'PUT', path: '/v1/channels', statusCode: 405, headers: problemType, body: problem(405, 'method_not_allowed') }, /405 without an Allow header/],
    ['an error that is not a problem', { method: 'GET', path: '/v1/unknown', statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' }, /must be application\/problem\+json/],
  ]
  for (const [name, response, expected] of cases) {
    const violations = checkResponse(response)
    t.match(violations.join('\n'), expected, name)
  }
})

t.test('checkResponse accepts what the document allows', async (t) => {
  const fine: [string, Parameters<typeof checkResponse>[0]][] = [
    ['a declared 200', { method: 'GET', path: '/v1/moderation/comments/counts', statusCode: 200, headers: { ...json, ...limited }, body: counts }],
    ['a trailing slash and a query', { method: 'GET', path: '/v1/moderation/comments/counts/?x=1', statusCode: 200, headers: { ...json, ...limited }, body: counts }],
    ['HEAD, checked as GET without a body', { method: 'HEAD', path: '/v1/channels', statusCode: 200, headers: { ...json, ...limited, etag, 'cache-control': 'public' }, body: '' }],
    ['a 304 with its ETag', { method: 'GET', path: '/v1/channels', statusCode: 304, headers: { ...limited, etag }, body: '' }],
    ['a 503 with Retry-After', { method: 'GET', path: '/ready', statusCode: 503, headers: { ...problemType, 'retry-after': '5' }, body: problem(503, 'database_unavailable') }],
    ['a 404 problem for an unknown path', { method: 'GET', path: '/v1/unknown', statusCode: 404, headers: problemType, body: problem(404) }],
    ['a 405 problem with Allow', { method: 'PUT', path: '/v1/channels', statusCode: 405, headers: { ...problemType, ...limited, allow: 'GET, HEAD' }, body: problem(405, 'method_not_allowed') }],
    ['the YAML document', { method: 'GET', path: '/openapi.yaml', statusCode: 200, headers: { 'content-type': 'application/yaml; charset=utf-8', ...limited }, body: 'openapi: 3.1.0\n' }],
    ['a CORS preflight', { method: 'OPTIONS', path: '/v1/acupoints', statusCode: 204, headers: { 'access-control-allow-methods': 'GET' }, body: '' }],
    ['a docs page asset (not an API operation)', { method: 'GET', path: '/docs/static/swagger-ui.css', statusCode: 200, headers: { 'content-type': 'text/css' }, body: 'body{}' }],
  ]
  for (const [name, response] of fine) t.same(checkResponse(response), [], name)
})

t.test('every inject() response of a test app is checked, and a violation is reported', async (t) => {
  // A throwaway app that answers an API path wrongly: an undeclared status, then a wrong shape.
  const app = Fastify()
  app.get('/v1/moderation/comments/counts', async (request, reply) => {
    if ((request.query as { mode?: string }).mode === 'teapot') return reply.code(418).send({ short: 'and stout' })
    if ((request.query as { mode?: string }).mode === 'shape') return { ...JSON.parse(counts), pending: 'lots' }
    return reply.headers(limited).send(JSON.parse(counts))
  })
  t.teardown(() => app.close())
  await app.ready()
  const reports: string[] = []
  checkEveryResponse(app, (message) => reports.push(message))

  t.equal((await app.inject({ url: '/v1/moderation/comments/counts' })).statusCode, 200)
  t.same(reports, [], 'a conforming response is not reported')
  t.equal((await app.inject({ url: '/v1/moderation/comments/counts?mode=teapot' })).statusCode, 418)
  t.match(reports[0], /status 418 is not declared for getCommentCounts/)
  await app.inject({ url: '/v1/moderation/comments/counts?mode=shape' })
  t.match(reports[1], /\/pending must be integer/)
  t.equal(reports.length, 2)
})
