import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { loadConfig } from '../../../src/config/config.js'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { environmentConfig } from '../../helpers/test-database.js'

t.test('/health and /ready', async (t) => {
  const { app } = await buildTestApp(t)
  const health = await app.inject({ url: '/health' })
  t.equal(health.statusCode, 200)
  t.equal(health.json().status, 'ok')
  const ready = await app.inject({ url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json().database.reachable, true)
})

t.test('a database outage gives fast 503s, and the app recovers without a restart', async (t) => {
  const { app, proxy } = await buildTestApp(
    t,
    { DB_CONNECT_TIMEOUT_MS: '1000', DB_QUERY_TIMEOUT_MS: '2000', DB_RETRY_AFTER_SECONDS: '7', DB_POOL_MAX: '2' },
    { throughProxy: true },
  )
  const admin = await staffToken(app, 'admin')
  t.equal((await app.inject({ url: '/ready' })).statusCode, 200)
  t.equal((await app.inject({ url: '/v1/staff/me', headers: admin.headers })).statusCode, 200)

  await proxy!.cut()
  for (const url of ['/ready', '/ready', '/v1/staff/me']) {
    const started = Date.now()
    const response = await app.inject({ url, headers: admin.headers })
    const elapsed = Date.now() - started
    t.equal(response.statusCode, 503, `${url} answers 503 while the database is gone`)
    t.equal(response.headers['retry-after'], '7')
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.equal(response.json().code, 'database_unavailable')
    t.notMatch(response.body, /127\.0\.0\.1|ECONN|prisma/i, 'no internals leak')
    t.ok(elapsed < 4000, `answered within a bounded time (${elapsed} ms)`)
  }
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, 'liveness is unaffected')

  await proxy!.restore()
  let recovered = false
  for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
    recovered = (await app.inject({ url: '/ready' })).statusCode === 200
    if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250))
  }
  t.ok(recovered, '/ready answers 200 again once the database is back')
  t.equal((await app.inject({ url: '/v1/staff/me', headers: admin.headers })).statusCode, 200)
})

// PGlite serves whatever database name it is asked for, so only a real server can refuse one.
t.test('/ready is 503, not 500, for any failure to reach the database (here: it does not exist)', { skip: !environmentConfig.databaseUrl }, async (t) => {
  const missing = new URL(environmentConfig.databaseUrl!)
  missing.pathname = '/acupoint_no_such_database'
  const app = await buildApp(
    { ...loadConfig({ LOG_LEVEL: 'silent', DB_RETRY_AFTER_SECONDS: '3' }), databaseUrl: missing.toString() },
    { loggerInstance: pino({ level: 'silent' }) },
  )
  t.teardown(() => app.close())
  const response = await app.inject({ url: '/ready' })
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '3')
  t.equal(response.json().code, 'database_unavailable')
  t.notMatch(response.body, /acupoint_no_such_database|3D000/)
})
