import t, { type Test } from 'tap'
import { pino } from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'

// The app as the server builds it, with a route that shows what it takes the client's address to
// be. Nothing here touches the database (it connects lazily), so the URL points nowhere.
async function ipSeenWith(t: Test, trustProxy: string) {
  const config = { ...loadConfig({ LOG_LEVEL: 'silent', TRUST_PROXY: trustProxy }), databaseUrl: 'postgresql://nobody@127.0.0.1:1/none' }
  const app = await buildApp(config, { loggerInstance: pino({ level: 'silent' }) })
  app.get('/test/ip', async (request) => ({ ip: request.ip }))
  await app.ready()
  t.teardown(() => app.close())
  // A client wrote 198.51.100.66 itself; the proxy at 10.0.0.5 appended the address it saw.
  const response = await app.inject({ url: '/test/ip', remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': '198.51.100.66, 203.0.113.9' } })
  return response.json().ip as string
}

t.test('a hop count of 1 takes the address the proxy saw, never the one the client wrote', async (t) => {
  t.equal(await ipSeenWith(t, '1'), '203.0.113.9')
})

t.test('a list of proxy addresses or ranges does the same', async (t) => {
  t.equal(await ipSeenWith(t, '10.0.0.0/8'), '203.0.113.9')
  t.equal(await ipSeenWith(t, '10.0.0.5, 192.0.2.1'), '203.0.113.9')
  t.equal(await ipSeenWith(t, '192.0.2.1'), '10.0.0.5', 'a peer that is not a listed proxy is the client')
})

t.test('false ignores X-Forwarded-For; true believes its left-most (forgeable) entry', async (t) => {
  t.equal(await ipSeenWith(t, 'false'), '10.0.0.5')
  t.equal(await ipSeenWith(t, 'true'), '198.51.100.66', 'why true is documented as unsafe')
})
