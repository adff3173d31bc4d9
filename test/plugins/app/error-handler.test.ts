import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { Type } from 'typebox'
import { ConflictError } from '../../../src/errors/app-errors.js'
import { buildTestApp } from '../../helpers/build-test-app.js'

const EchoBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 20 }), email: Type.String({ format: 'email' }) },
  { additionalProperties: false },
)

t.test('every failure is an RFC 9457 problem', async (t) => {
  const { app } = await buildTestApp(t, { BODY_LIMIT_BYTES: '1024' }, {
    seed: false,
    beforeReady(app) {
      app.post('/test/echo', { schema: { body: EchoBody } }, async (request) => request.body)
      app.get('/test/crash', async () => {
        throw new Error('connection string postgresql://admin:hunter2@10.0.0.5/prod failed at /srv/app/secret.ts:12')
      })
      app.get('/test/conflict', async () => {
        throw new ConflictError('Already there.', 'duplicate_thing')
      })
      app.get('/test/plugin-not-found', async () => {
        throw app.httpErrors.notFound('lookup failed in /srv/app/internal/cache.ts')
      })
      app.get('/test/teapot', async () => {
        throw Object.assign(new Error('pool at 10.0.0.7 exhausted'), { statusCode: 418 })
      })
    },
  })

  const expectProblem = (t: Test, response: Awaited<ReturnType<typeof app.inject>>, status: number, code: string) => {
    t.equal(response.statusCode, status)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    const body = response.json()
    t.equal(body.status, status)
    t.equal(body.code, code)
    t.equal(body.type, `urn:acupoint-api:problem:${code}`)
    t.type(body.title, 'string')
    t.type(body.detail, 'string')
    t.equal(body.requestId, response.headers['x-request-id'])
    return body
  }

  t.test('400 names each invalid field', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: '', email: 'nope', extra: 1 } })
    const body = expectProblem(t, response, 400, 'validation_failed')
    const pointers = body.errors.map((issue: { pointer: string }) => issue.pointer).sort()
    t.same(pointers, ['/email', '/extra', '/name'])
    t.ok(body.errors.every((issue: { in: string }) => issue.in === 'body'))
  })

  t.test('400 for malformed JSON', async (t) => {
    const response = await app.inject({
      method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"name": "a",',
    })
    expectProblem(t, response, 400, 'malformed_body')
  })

  t.test('404 for an unknown route', async (t) => {
    const body = expectProblem(t, await app.inject({ url: '/v1/nothing-here' }), 404, 'not_found')
    t.equal(body.instance, '/v1/nothing-here')
  })

  t.test('405 with Allow for a known path and the wrong method', async (t) => {
    const response = await app.inject({ method: 'DELETE', url: '/health' })
    expectProblem(t, response, 405, 'method_not_allowed')
    t.equal(response.headers.allow, 'GET, HEAD')
  })

  t.test('400 for a malformed URL, which never reaches a route', async (t) => {
    const body = expectProblem(t, await app.inject({ url: '/v1/acupoints/%' }), 400, 'bad_url')
    t.equal(body.instance, '/v1/acupoints/%')
  })

  t.test("other 4xx errors get a code from their status (its reason phrase, from `statuses`) and never pass on another component's message", async (t) => {
    const notFound = expectProblem(t, await app.inject({ url: '/test/plugin-not-found' }), 404, 'not_found')
    t.notMatch(notFound.detail, /srv|cache\.ts/)
    const teapot = expectProblem(t, await app.inject({ url: '/test/teapot' }), 418, 'i_m_a_teapot')
    t.notMatch(teapot.detail, /10\.0\.0\.7|pool/)
  })

  t.test('409 from a domain error keeps its code', async (t) => {
    expectProblem(t, await app.inject({ url: '/test/conflict' }), 409, 'duplicate_thing')
  })

  t.test('413 for a body over the limit', async (t) => {
    const response = await app.inject({
      method: 'POST', url: '/test/echo', payload: { name: 'a', email: 'a@b.example', pad: 'x'.repeat(2048) },
    })
    expectProblem(t, response, 413, 'body_too_large')
  })

  t.test('415 for an unsupported content type', async (t) => {
    const response = await app.inject({
      method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>',
    })
    expectProblem(t, response, 415, 'unsupported_media_type')
  })

  t.test('500 reveals nothing about the failure', async (t) => {
    const response = await app.inject({ url: '/test/crash' })
    const body = expectProblem(t, response, 500, 'internal_error')
    t.notMatch(response.body, /hunter2|10\.0\.0\.5|secret\.ts|postgresql|stack/)
    t.equal(body.detail, 'An unexpected error occurred. It has been logged.')
  })

  t.test('a client request id is echoed only when it is plain', async (t) => {
    const plain = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } })
    t.equal(plain.headers['x-request-id'], 'abc-123')
    const forged = await app.inject({ url: '/health', headers: { 'x-request-id': 'a\nlevel=fatal' } })
    t.not(forged.headers['x-request-id'], 'a\nlevel=fatal')
  })

  t.test('security headers are set', async (t) => {
    const response = await app.inject({ url: '/health' })
    t.equal(response.headers['x-content-type-options'], 'nosniff')
    t.ok(response.headers['content-security-policy'])
  })
})

t.test("requests Node's HTTP parser rejects still get a problem", async (t) => {
  const { app } = await buildTestApp(t, {}, { seed: false })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = new URL(address)
  const rawExchange = (request: string) => new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    let received = ''
    socket.on('data', (chunk) => { received += chunk.toString('latin1') })
    socket.on('end', () => resolve(received))
    socket.on('close', () => resolve(received))
    socket.on('error', reject)
    socket.write(request)
  })

  const garbage = await rawExchange('NOT HTTP AT ALL\r\n\r\n')
  t.match(garbage, /^HTTP\/1\.1 400 /)
  t.match(garbage, /content-type: application\/problem\+json/i)
  const problem = JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))
  t.equal(problem.status, 400)
  t.equal(problem.code, 'bad_request')

  const huge = await rawExchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(huge, /^HTTP\/1\.1 431 /)
  t.equal(JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)).code, 'headers_too_large')
})
