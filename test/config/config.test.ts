import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/config.js'

t.test('defaults: embedded database, loopback, any origin (CORS without credentials), relative servers, automatic log format', async (t) => {
  const config = loadConfig({})
  t.equal(config.databaseUrl, undefined)
  t.equal(config.dataDir, '.data')
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 3000)
  t.equal(config.corsOrigins, '*')
  t.equal(config.publicUrl, undefined)
  t.equal(config.logFormat, 'auto')
  t.equal(config.database.poolMax, 1, 'PGlite is one session: one pooled connection')
  t.equal(config.migrateOnStart, false)
  t.equal(config.pressure.maxEventLoopDelayMs, 0, 'the embedded database shares the event loop: no delay-based shedding')
  t.equal(loadConfig({ DATABASE_URL: 'postgres://x@y/z' }).pressure.maxEventLoopDelayMs, 1000)
  t.equal(loadConfig({ PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '250' }).pressure.maxEventLoopDelayMs, 250)
  t.equal(config.http.maxRequestsPerSocket, 0)
  t.ok(config.http.keepAliveTimeoutMs < config.http.connectionTimeoutMs, 'idle keep-alive sockets are not cut by the socket timeout')
})

t.test('parses and coerces every kind of value', async (t) => {
  const config = loadConfig({
    DATABASE_URL: 'postgresql://app:secret@db.internal:5433/acupoint',
    PORT: '8080',
    LOG_LEVEL: 'debug',
    CORS_ORIGINS: 'https://a.example,https://b.example',
    MIGRATE_ON_START: 'true',
    DB_POOL_MAX: '20',
    UNRELATED: 'ignored',
  })
  t.equal(config.port, 8080)
  t.equal(config.logLevel, 'debug')
  t.same(config.corsOrigins, ['https://a.example', 'https://b.example'])
  t.equal(config.migrateOnStart, true)
  t.equal(config.database.poolMax, 20)
  t.same(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, '*')
  t.same(loadConfig({ CORS_ORIGINS: 'none' }).corsOrigins, [], 'none: no origin is granted')
  t.equal(loadConfig({ PUBLIC_URL: 'https://api.example.org/acupoints/' }).publicUrl, 'https://api.example.org/acupoints', 'no trailing slash')
  t.equal(loadConfig({ LOG_FORMAT: 'json' }).logFormat, 'json')
  t.equal(loadConfig({ DATABASE_URL: 'postgres://x@y/z' }).database.poolMax, 10)
  t.equal(loadConfig({ PORT: '' }).port, 3000, 'an empty value means unset')
})

t.test('COMMENTS_CLOSE_AFTER_DAYS: off (0) by default, a whole number of days otherwise', async (t) => {
  t.equal(loadConfig({}).comments.closeAfterDays, 0, 'threads never close on their own by default')
  t.equal(loadConfig({ COMMENTS_CLOSE_AFTER_DAYS: '' }).comments.closeAfterDays, 0, 'empty: unset')
  t.equal(loadConfig({ COMMENTS_CLOSE_AFTER_DAYS: '0' }).comments.closeAfterDays, 0)
  t.equal(loadConfig({ COMMENTS_CLOSE_AFTER_DAYS: '30' }).comments.closeAfterDays, 30)
  for (const bad of ['-1', '1.5', 'thirty', '36501']) {
    const error = t.throws(() => loadConfig({ COMMENTS_CLOSE_AFTER_DAYS: bad }), `rejects ${JSON.stringify(bad)}`) as ConfigError
    t.type(error, ConfigError)
    t.match(error.message, /COMMENTS_CLOSE_AFTER_DAYS/)
  }
})

t.test('TRUST_PROXY: false, true, a hop count, or proxy addresses and ranges', async (t) => {
  t.equal(loadConfig({}).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: 'TRUE' }).trustProxy, true)
  t.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
  t.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false, 'zero hops is no proxy')
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7,2001:db8::/32,::1,loopback' }).trustProxy,
    ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1', 'loopback'])
  for (const bad of ['yes', '10.0.0.0/33', '300.1.1.1', '10.0.0.1,,10.0.0.2', 'proxy.internal', '101', '-1', '1.5', '0x7f.1']) {
    const error = t.throws(() => loadConfig({ TRUST_PROXY: bad }), `rejects ${JSON.stringify(bad)}`) as ConfigError
    t.type(error, ConfigError)
    t.match(error.message, /TRUST_PROXY must be/)
  }
  const both = t.throws(() => loadConfig({ TRUST_PROXY: 'yes', PORT: 'x' })) as ConfigError
  t.equal(both.problems.length, 2, 'reported together with the other bad variables')
})

t.test('a bad value is named with what is wrong, and secrets are not echoed', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT must be integer \(got "abc"\)/],
    [{ PORT: '70000' }, /PORT must be <= 65535/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ CORS_ORIGINS: 'example.com' }, /CORS_ORIGINS must be \*, none or a comma-separated list/],
    [{ PUBLIC_URL: 'api.example.org' }, /PUBLIC_URL must be an http\(s\):\/\/ URL/],
    [{ LOG_FORMAT: 'fancy' }, /LOG_FORMAT must be one of auto, pretty, json/],
    [{ MIGRATE_ON_START: 'maybe' }, /MIGRATE_ON_START must be boolean/],
    [{ DB_POOL_MAX: '0' }, /DB_POOL_MAX must be >= 1/],
  ]
  for (const [env, message] of cases) {
    const error = t.throws(() => loadConfig(env)) as ConfigError
    t.type(error, ConfigError)
    t.match(error.message, message)
  }
  const error = t.throws(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })) as ConfigError
  t.match(error.message, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/)
  t.notMatch(error.message, /hunter2/)
  const several = t.throws(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })) as ConfigError
  t.equal(several.problems.length, 2, 'every bad variable is reported at once')
})

t.test('the server refuses to start on a bad value, with a message and no stack trace', async (t) => {
  const result = await promisify(execFile)(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { PATH: process.env.PATH, PORT: 'not-a-port' },
    // Generous: it exits in seconds, but a loaded 2-core machine can take far longer to start TypeScript.
    timeout: 180_000,
  }).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error)
  t.equal(result.code, 1)
  t.match(result.stderr, /Invalid configuration:\n {2}- PORT must be integer \(got "not-a-port"\)/)
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
})

t.test('webhook settings: private targets refused unless asked for; retry bounds', async (t) => {
  const defaults = loadConfig({}).webhooks
  t.match(defaults, { allowPrivateTargets: false, timeoutMs: 10_000, maxResponseBytes: 65_536, maxAttempts: 8, retryBaseMs: 5_000, disableAfterFailures: 5 })
  t.equal(loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }).webhooks.allowPrivateTargets, true)
  t.equal(loadConfig({ WEBHOOK_RETRY_BASE_MS: '20000', WEBHOOK_RETRY_MAX_MS: '1000' }).webhooks.retryMaxMs, 20_000, 'the maximum is never below the base')
  t.throws(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe' }), /WEBHOOK_ALLOW_PRIVATE_TARGETS/)
  t.throws(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' }), /WEBHOOK_MAX_ATTEMPTS/)
  t.match(defaults, { disableAfterHours: 24, retentionDays: 30 })
})

t.test('WEBHOOK_DELIVERY: pg-boss on PostgreSQL, in-process on the embedded database, which cannot have pg-boss', async (t) => {
  const postgres = 'postgresql://postgres@127.0.0.1:5432/test'
  t.equal(loadConfig({}).webhooks.delivery, 'in-process')
  t.equal(loadConfig({ DATABASE_URL: postgres }).webhooks.delivery, 'pg-boss')
  t.equal(loadConfig({ DATABASE_URL: postgres, WEBHOOK_DELIVERY: 'in-process' }).webhooks.delivery, 'in-process')
  t.throws(() => loadConfig({ WEBHOOK_DELIVERY: 'pg-boss' }), /WEBHOOK_DELIVERY=pg-boss needs DATABASE_URL/)
  t.throws(() => loadConfig({ DATABASE_URL: postgres, WEBHOOK_DELIVERY: 'graphile' }), /WEBHOOK_DELIVERY/)
  t.throws(() => loadConfig({ WEBHOOK_DISABLE_AFTER_HOURS: '-1' }), /WEBHOOK_DISABLE_AFTER_HOURS/)
})
