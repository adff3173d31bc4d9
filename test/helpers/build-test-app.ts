import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig, type AppConfig } from '../../src/config/config.js'
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './test-database.js'

export interface TestApp {
  app: FastifyInstance
  db: TestDatabase
  config: AppConfig
}

/**
 * The app exactly as the server builds it, on a database of this test's own. Everything is
 * closed when the test ends.
 */
export async function buildTestApp(
  t: Test,
  env: Record<string, string> = {},
  options: TestDatabaseOptions & { logger?: pino.Logger; beforeReady?: (app: FastifyInstance) => void } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(options)
  const config: AppConfig = { ...loadConfig({ LOG_LEVEL: 'silent', ...env }), databaseUrl: db.url }
  const app = await buildApp(config, { loggerInstance: options.logger ?? pino({ level: 'silent' }) })
  options.beforeReady?.(app)
  await app.ready()
  t.teardown(async () => {
    await app.close()
    await db.close()
  })
  return { app, db, config }
}

/** Creates a staff member with a fresh token through the same service the CLI uses. */
export async function staffToken(app: FastifyInstance, role: 'editor' | 'moderator' | 'admin', name = `Test ${role}`) {
  const { token, staffMember, tokenId } = await app.staffService.createStaffMember(name, role)
  return { token, staffMember, tokenId, headers: { authorization: `Bearer ${token}` } }
}
