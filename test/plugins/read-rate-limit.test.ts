import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/build-test-app.js'

// Issue 11: reads had no rate limit, so one client could flood the logs and the cache unhindered.
function expectProblem(t: Test, response: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }, status: number, code: string) {
  t.equal(response.statusCode, status, `${status} ${code}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.json().code, code)
}

t.test('reads have one per-client budget (READ_RATE_LIMIT_PER_MINUTE)', async (t) => {
  const { app } = await buildTestApp(t, { READ_RATE_LIMIT_PER_MINUTE: '3' })
  const from = (remoteAddress: string, url: string) => app.inject({ url, remoteAddress })
  t.equal((await from('10.2.2.1', '/v1/channels')).statusCode, 200)
  t.equal((await from('10.2.2.1', '/v1/acupoints?limit=1')).statusCode, 200)
  t.equal((await from('10.2.2.1', '/v1/acupoints/LI20')).statusCode, 200)
  const limited = await from('10.2.2.1', '/v1/articles')
  expectProblem(t, limited, 429, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
  t.equal((await app.inject({ method: 'HEAD', url: '/v1/channels', remoteAddress: '10.2.2.1' })).statusCode, 429, 'HEAD spends from the same budget')
  t.equal((await from('10.2.2.1', '/health')).statusCode, 200, '/health is never limited')
  t.equal((await from('10.2.2.2', '/v1/articles')).statusCode, 200, 'another client has its own budget')
  const ipv6 = '2001:db8:77:1'
  for (let i = 1; i <= 3; i++) t.equal((await from(`${ipv6}::${i}`, '/v1/channels')).statusCode, 200)
  expectProblem(t, await from(`${ipv6}:ffff::9`, '/v1/channels'), 429, 'rate_limited')

  const spec = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  for (const [path, operations] of Object.entries(spec.paths)) {
    if (path === '/health') continue
    for (const [method, operation] of Object.entries(operations)) {
      if (method === 'get') t.ok(operation.responses['429'], `get ${path} declares 429`)
    }
  }
})

