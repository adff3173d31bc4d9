import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { pino } from 'pino'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig, type AppConfig } from '../../src/config/config.js'
import { checkResponse } from './openapi-contract.js'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './test-database.js'

export interface TestApp {
  app: FastifyInstance
  db: TestDatabase
  config: AppConfig
  /** Set when built with `throughProxy`: the app reaches its database through this. */
  proxy?: TcpProxy
}

export interface TestAppOptions extends TestDatabaseOptions {
  logger?: pino.Logger
  beforeReady?: (app: FastifyInstance) => void
  /** Route the app's database connections through a proxy the test can cut. */
  throughProxy?: boolean
  /** Sees every SQL statement the app sends. */
  onQuery?: (sql: string) => void
}

/**
 * Makes every `app.inject(options)` response pass the contract check (test/helpers/openapi-contract.ts):
 * a status, body or header the document does not allow fails the test that built the app, naming
 * the request. Routes a test adds itself (in `beforeReady`) are fixtures, not API: only their errors
 * are checked (every error must be a problem).
 */
export function checkEveryResponse(
  app: FastifyInstance,
  report: (message: string, extra: Record<string, unknown>) => void,
  fixtures: FindMyWay.Instance<FindMyWay.HTTPVersion.V1> = FindMyWay(),
) {
  const original = app.inject
  const inject = original.bind(app) as (options: InjectOptions | string) => Promise<LightMyRequestResponse>
  const check = (response: LightMyRequestResponse) => {
    const { method = 'GET', url = '/' } = response.raw.req
    const isFixture = fixtures.find(method as HTTPMethod, url.split('?', 1)[0]!) !== null
    if (isFixture && response.statusCode < 400) return response
    const violations = checkResponse({ method, path: url, statusCode: response.statusCode, headers: response.headers, body: response.rawPayload })
    if (violations.length > 0) {
      report(`the response breaks the OpenAPI contract (openapi.yaml):\n${violations.join('\n')}`, {
        body: response.payload.slice(0, 2000),
        headers: response.headers,
      })
    }
    return response
  }
  // Only the promise form (`await app.inject({...})`) is wrapped: the suite uses no other.
  app.inject = ((options?: InjectOptions | string, callback?: unknown) => {
    if (options === undefined || callback !== undefined) return (original as (...args: unknown[]) => unknown).call(app, options, callback)
    return inject(options).then(check)
  }) as typeof app.inject
}

/**
 * The app exactly as the server builds it, on a database of this test's own. Everything is
 * closed when the test ends.
 */
export async function buildTestApp(
  t: Test,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const db = await createTestDatabase(options)
  const target = new URL(db.url)
  const proxy = options.throughProxy ? await startTcpProxy(target.hostname, Number(target.port || 5432)) : undefined
  const databaseUrl = proxy ? proxy.wrap(db.url) : db.url
  // On PostgreSQL the app gets the server's defaults (a pool of 10, so requests really run
  // concurrently); PGlite is one session and keeps the embedded default of one connection.
  const kindEnv = db.kind === 'external' ? { DATABASE_URL: databaseUrl } : {}
  // Load shedding is off unless a test turns it on: the embedded PGlite runs on the test's own event
  // loop, and on a busy CI machine its pauses would shed requests at random.
  // Every injected request comes from 127.0.0.1 unless a test says otherwise: the per-IP read budget
  // is opened up unless a test is about it (test/plugins/hardening.test.ts).
  const config: AppConfig = {
    ...loadConfig({ LOG_LEVEL: 'silent', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', READ_RATE_LIMIT_PER_MINUTE: '1000000', ...kindEnv, ...env }),
    databaseUrl,
  }
  const app = await buildApp(config, {
    loggerInstance: options.logger ?? pino({ level: 'silent' }),
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  })
  const fixtures = FindMyWay()
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) fixtures.on(method as HTTPMethod, route.url, () => {})
  })
  options.beforeReady?.(app)
  await app.ready()
  checkEveryResponse(app, (message, extra) => t.fail(message, extra), fixtures)
  t.teardown(async () => {
    await app.close()
    await proxy?.close()
    await db.close()
  })
  return { app, db, config, ...(proxy ? { proxy } : {}) }
}

/** Creates a staff member with a fresh token through the same service the CLI uses. */
export async function staffToken(app: FastifyInstance, role: 'editor' | 'moderator' | 'admin', name = `Test ${role}`) {
  const { token, staffMember, tokenId } = await app.staffService.createStaffMember(name, role)
  return { token, staffMember, tokenId, headers: { authorization: `Bearer ${token}` } }
}
