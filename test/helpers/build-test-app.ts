import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig, type AppConfig } from '../../src/config/config.js'
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
  const config: AppConfig = { ...loadConfig({ LOG_LEVEL: 'silent', ...env }), databaseUrl }
  const app = await buildApp(config, {
    loggerInstance: options.logger ?? pino({ level: 'silent' }),
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  })
  options.beforeReady?.(app)
  await app.ready()
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
