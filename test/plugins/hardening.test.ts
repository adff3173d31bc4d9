import { randomUUID } from 'node:crypto'
import net from 'node:net'
import t, { type Test } from 'tap'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'

type Injected = Awaited<ReturnType<Awaited<ReturnType<typeof buildTestApp>>['app']['inject']>>

function expectProblem(t: Test, response: Injected, status: number, code: string) {
  t.equal(response.statusCode, status, `${status} ${code}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.json().code, code)
}

t.test('security headers and the CORS allowlist', async (t) => {
  const { app } = await buildTestApp(t, { CORS_ORIGINS: 'https://app.example' })
  const allowed = await app.inject({ url: '/v1/channels', headers: { origin: 'https://app.example' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example')
  t.equal(allowed.headers['x-content-type-options'], 'nosniff')
  t.ok(allowed.headers['strict-transport-security'])
  t.ok(allowed.headers['content-security-policy'])
  const other = await app.inject({ url: '/v1/channels', headers: { origin: 'https://evil.example' } })
  t.equal(other.statusCode, 200)
  t.notOk(other.headers['access-control-allow-origin'], 'an origin off the list gets no CORS grant')
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/sources',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  })
  t.notOk(preflight.headers['access-control-allow-origin'])
})

t.test('server limits and timeouts come from the config', async (t) => {
  const { app } = await buildTestApp(t, {
    BODY_LIMIT_BYTES: '2048',
    MAX_HEADER_BYTES: '4096',
    REQUEST_TIMEOUT_MS: '7000',
    HEADERS_TIMEOUT_MS: '3000',
    CONNECTION_TIMEOUT_MS: '9000',
    KEEP_ALIVE_TIMEOUT_MS: '4000',
    MAX_REQUESTS_PER_SOCKET: '50',
  })
  t.equal(app.server.requestTimeout, 7000)
  t.equal(app.server.headersTimeout, 3000)
  t.equal(app.server.timeout, 9000)
  t.equal(app.server.keepAliveTimeout, 4000)
  t.equal(app.server.maxRequestsPerSocket, 50)
  t.equal((app.server as unknown as { maxHeaderSize: number }).maxHeaderSize, 4096)

  const big = await app.inject({
    method: 'POST',
    url: '/v1/articles/facial-acupuncture-six-points/comments',
    payload: { authorName: 'x', authorEmail: 'x@example.org', body: 'y'.repeat(4000) },
  })
  expectProblem(t, big, 413, 'body_too_large')

  // The header limit is enforced by Node's parser, so it needs a real socket.
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = new URL(address)
  const status = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(8000)}\r\n\r\n`)
    })
    let data = ''
    socket.on('data', (chunk) => (data += chunk))
    socket.on('end', () => resolve(data.split('\r\n', 1)[0] ?? ''))
    socket.on('error', reject)
  })
  t.match(status, /^HTTP\/1\.1 431/, 'an oversized request head is refused')
})

t.test('load shedding: under pressure, requests get 503 with Retry-After; /health still answers', async (t) => {
  // A heap limit of one byte keeps the process "under pressure" at every sample, so the answer
  // does not depend on how this machine schedules timers.
  const { app } = await buildTestApp(t, {
    PRESSURE_MAX_HEAP_USED_BYTES: '1',
    PRESSURE_SAMPLE_INTERVAL_MS: '50',
    PRESSURE_RETRY_AFTER_SECONDS: '3',
  })
  let shed: Injected | undefined
  for (let attempt = 0; attempt < 50 && !shed; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const response = await app.inject({ url: '/v1/channels' })
    if (response.statusCode === 503) shed = response
  }
  t.ok(shed, 'requests are shed')
  if (!shed) return
  expectProblem(t, shed, 503, 'overloaded')
  t.equal(shed.headers['retry-after'], '3')
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, 'liveness is never shed')
})

t.test('load shedding: a stalled event loop is noticed, and service resumes once it is idle', async (t) => {
  const { app } = await buildTestApp(t, {
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '200',
    PRESSURE_SAMPLE_INTERVAL_MS: '50',
  })
  let shed = false
  for (let attempt = 0; attempt < 20 && !shed; attempt++) {
    const until = Date.now() + 800
    while (Date.now() < until); // block the event loop, as a CPU-bound burst would
    // The overdue sampler runs before this timer, and sees the stall.
    await new Promise((resolve) => setTimeout(resolve, 0))
    shed = (await app.inject({ url: '/v1/channels' })).statusCode === 503
  }
  t.ok(shed, 'requests are shed right after the event loop stalled')
  let served = false
  for (let attempt = 0; attempt < 100 && !served; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    served = (await app.inject({ url: '/v1/channels' })).statusCode === 200
  }
  t.ok(served, 'service resumes when the pressure is gone')
})

t.test('every write route and unknown routes are rate-limited', async (t) => {
  const { app } = await buildTestApp(t, { WRITE_RATE_LIMIT_PER_MINUTE: '2', NOT_FOUND_RATE_LIMIT_PER_MINUTE: '3' })
  const moderator = await staffToken(app, 'moderator')
  const editor = await staffToken(app, 'editor')

  const patch = () =>
    app.inject({ method: 'PATCH', url: `/v1/comments/${randomUUID()}`, headers: { ...moderator.headers, 'if-match': '"x"' }, payload: { status: 'approved' }, remoteAddress: '10.1.1.1' })
  t.not((await patch()).statusCode, 429)
  t.not((await patch()).statusCode, 429)
  const limited = await patch()
  expectProblem(t, limited, 429, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when to come back')

  const del = () => app.inject({ method: 'DELETE', url: `/v1/sources/${randomUUID()}`, headers: editor.headers, remoteAddress: '10.1.1.2' })
  await del()
  await del()
  expectProblem(t, await del(), 429, 'rate_limited')
  const read = await app.inject({ url: '/v1/channels', remoteAddress: '10.1.1.2' })
  t.equal(read.statusCode, 200, 'reads are not counted against the write limit')

  // Issue 11: the write limit counted per route, so each write route gave a client a budget of its own.
  const shared = '10.1.1.4'
  t.not((await app.inject({ method: 'DELETE', url: `/v1/sources/${randomUUID()}`, headers: editor.headers, remoteAddress: shared })).statusCode, 429)
  t.not((await app.inject({ method: 'PATCH', url: `/v1/comments/${randomUUID()}`, headers: { ...moderator.headers, 'if-match': '"x"' }, payload: { status: 'approved' }, remoteAddress: shared })).statusCode, 429)
  const third = await app.inject({ method: 'POST', url: '/v1/sources', headers: editor.headers, payload: { kind: 'book', title: 'T' }, remoteAddress: shared })
  expectProblem(t, third, 429, 'rate_limited')
  t.pass('one write budget per client, whatever the route: the third write on a third route is refused')
  const submission = await app.inject({
    method: 'POST', url: '/v1/articles/facial-acupuncture-six-points/comments', remoteAddress: shared,
    payload: { authorName: 'A', authorEmail: 'a@example.org', body: 'B' },
  })
  expectProblem(t, submission, 429, 'rate_limited')
  t.pass('comment submissions spend from the same budget (and have a stricter one of their own)')
  t.equal((await app.inject({ method: 'POST', url: '/v1/sources', headers: editor.headers, payload: { kind: 'book', title: 'T' }, remoteAddress: '10.1.1.5' })).statusCode, 201, 'another client has its own budget')

  for (let i = 0; i < 3; i++) {
    expectProblem(t, await app.inject({ url: `/v1/nope-${i}`, remoteAddress: '10.1.1.3' }), 404, 'not_found')
  }
  expectProblem(t, await app.inject({ url: '/v1/nope-4', remoteAddress: '10.1.1.3' }), 429, 'rate_limited')

  // The spec declares the 429 on every write.
  const spec = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (['post', 'put', 'patch', 'delete'].includes(method)) t.ok(operation.responses['429'], `${method} ${path} declares 429`)
    }
  }
})
