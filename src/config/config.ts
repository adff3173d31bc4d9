import envSchema from 'env-schema'
import ipaddr from 'ipaddr.js'
import { EnvSchema, type Env, type LogClientIp, type LogFormat, type LogLevel } from './config-schema.js'

export interface Config {
  /** Unset means: run the embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  host: string
  port: number
  logLevel: LogLevel
  /** How the access log shows client addresses (logger.ts). */
  logClientIp: LogClientIp
  /** `auto` is decided where the logger is made: pretty on a terminal, JSON otherwise. */
  logFormat: LogFormat
  /** `*`: any origin, without credentials; a list: only those (an empty list: none). */
  corsOrigins: string[] | '*'
  /** Where clients reach the API (no trailing slash); unset: the OpenAPI document's server is relative. */
  publicUrl: string | undefined
  /** Fastify's `trustProxy`: none, all, the nearest N hops, or these proxy addresses/ranges. */
  trustProxy: boolean | number | string[]
  bodyLimitBytes: number
  migrateOnStart: boolean
  seedOnStart: boolean
  database: {
    poolMax: number
    /** Named, per-connection prepared statements (prisma-client.ts). */
    preparedStatements: boolean
    connectTimeoutMs: number
    queryTimeoutMs: number
    retryAfterSeconds: number
    /** Streaming replicas for public reads (read-replicas.ts); empty: every read on the primary. */
    replicaUrls: string[]
    /** Where LISTEN connects: a session on the primary, never a transaction pooler. */
    directUrl: string | undefined
  }
  shutdownGraceMs: number
  rateLimits: {
    writesPerMinute: number
    readsPerMinute: number
    notFoundPerMinute: number
  }
  http: {
    maxHeaderBytes: number
    requestTimeoutMs: number
    headersTimeoutMs: number
    connectionTimeoutMs: number
    keepAliveTimeoutMs: number
    maxRequestsPerSocket: number
  }
  pressure: {
    maxEventLoopDelayMs: number
    maxEventLoopUtilization: number
    maxHeapUsedBytes: number
    maxRssBytes: number
    sampleIntervalMs: number
    retryAfterSeconds: number
  }
  /** Bound on staleness across instances; this instance's own writes clear the cache at once. */
  referenceCacheSeconds: number
  redisUrl: string | undefined
  comments: {
    rateLimitPerMinute: number
    floodSeconds: number
    maxLinks: number
    spamWords: string[]
    holdWords: string[]
    /** Days after `publishedAt` at which a thread stops taking comments; 0: never. */
    closeAfterDays: number
    /** Minutes after submitting during which the author may edit a comment (0: never). */
    editWindowMinutes: number
    /** Distinct readers' flags that send an approved comment back to the queue. */
    flagThreshold: number
  }
  webhooks: WebhookSettings
}

/** Delivery of webhooks (services/webhooks). */
export interface WebhookSettings {
  allowPrivateTargets: boolean
  timeoutMs: number
  maxResponseBytes: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  disableAfterFailures: number
  /** Failing without a success for this long also disables a subscription; 0: off. */
  disableAfterHours: number
  pollIntervalMs: number
  /** pg-boss jobs (PostgreSQL) or the in-process dispatcher (the only one that runs on PGlite). */
  delivery: 'pg-boss' | 'in-process'
  /** Days a finished delivery stays in the log; 0: forever. */
  retentionDays: number
}

/** What `buildApp` needs: the configuration with the database already chosen. */
export type AppConfig = Config & { databaseUrl: string }

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const PATTERN_HINTS: Record<string, string> = {
  DATABASE_URL: 'must be a postgres:// or postgresql:// URL',
  DATABASE_REPLICA_URLS: 'must be a comma-separated list of postgres:// or postgresql:// URLs',
  DATABASE_DIRECT_URL: 'must be a postgres:// or postgresql:// URL',
  CORS_ORIGINS: 'must be *, none or a comma-separated list of http(s):// origins',
  PUBLIC_URL: 'must be an http(s):// URL without a query or fragment',
  REDIS_URL: 'must be a redis:// or rediss:// URL',
}

// Connection URLs can carry passwords: never echo them back.
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'DATABASE_REPLICA_URLS', 'DATABASE_DIRECT_URL', 'REDIS_URL'])

interface AjvIssue {
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

function describe(issue: AjvIssue, env: Record<string, string | undefined>): string {
  const name = issue.instancePath.replace(/^\//, '') || String(issue.params.missingProperty ?? 'environment')
  const given = env[name]
  const shown = given === undefined || SECRET_VARIABLES.has(name) ? '' : ` (got ${JSON.stringify(given.length > 80 ? `${given.slice(0, 80)}…` : given)})`
  const hint = PATTERN_HINTS[name]
  const detail = issue.params.allowedValues
    ? `must be one of ${(issue.params.allowedValues as string[]).join(', ')}`
    : issue.params.pattern && hint ? hint : issue.message ?? 'is invalid'
  return `${name} ${detail}${shown}`
}

/** Validates the environment once. Nothing else in the code reads `process.env`. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", which is how shells and compose files usually spell it.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  const trustProxy = parseTrustProxy(given.TRUST_PROXY ?? 'false')
  let parsed: Env
  try {
    parsed = envSchema<Env>({ schema: EnvSchema, data: given, env: false, dotenv: false })
  } catch (error) {
    const issues = (error as { errors?: AjvIssue[] }).errors
    if (!issues) throw error
    const problems = issues.map((issue) => describe(issue, given))
    if (typeof trustProxy === 'string') problems.push(trustProxy)
    throw new ConfigError(dedupeByVariable(problems))
  }
  if (typeof trustProxy === 'string') throw new ConfigError([trustProxy])
  const embedded = parsed.DATABASE_URL === undefined
  // A replica of the embedded database cannot exist: PGlite has no replication.
  for (const name of ['DATABASE_REPLICA_URLS', 'DATABASE_DIRECT_URL'] as const) {
    if (embedded && parsed[name] !== undefined) throw new ConfigError([`${name} needs DATABASE_URL (the embedded database has no replicas and no pooler)`])
  }
  if (embedded && parsed.WEBHOOK_DELIVERY === 'pg-boss') {
    throw new ConfigError(['WEBHOOK_DELIVERY=pg-boss needs DATABASE_URL (pg-boss cannot share the embedded database: README, "Webhooks")'])
  }
  return {
    databaseUrl: parsed.DATABASE_URL,
    dataDir: parsed.DATA_DIR,
    host: parsed.HOST,
    port: parsed.PORT,
    logLevel: parsed.LOG_LEVEL,
    logClientIp: parsed.LOG_CLIENT_IP,
    logFormat: parsed.LOG_FORMAT,
    corsOrigins: parseOrigins(parsed.CORS_ORIGINS),
    publicUrl: parsed.PUBLIC_URL?.replace(/\/+$/, ''),
    trustProxy,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    migrateOnStart: parsed.MIGRATE_ON_START,
    seedOnStart: parsed.SEED_ON_START,
    database: {
      // PGlite is a single session: more pool connections would only queue behind each other.
      poolMax: parsed.DB_POOL_MAX ?? (embedded ? 1 : 10),
      // PGlite keeps one session across socket connections: a name prepared by a closed
      // connection would collide with the next one's.
      preparedStatements: parsed.DB_PREPARED_STATEMENTS ?? !embedded,
      connectTimeoutMs: parsed.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: parsed.DB_QUERY_TIMEOUT_MS,
      retryAfterSeconds: parsed.DB_RETRY_AFTER_SECONDS,
      replicaUrls: parsed.DATABASE_REPLICA_URLS?.split(',') ?? [],
      directUrl: parsed.DATABASE_DIRECT_URL,
    },
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    rateLimits: {
      writesPerMinute: parsed.WRITE_RATE_LIMIT_PER_MINUTE,
      readsPerMinute: parsed.READ_RATE_LIMIT_PER_MINUTE,
      notFoundPerMinute: parsed.NOT_FOUND_RATE_LIMIT_PER_MINUTE,
    },
    http: {
      maxHeaderBytes: parsed.MAX_HEADER_BYTES,
      requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS,
      // Node requires headersTimeout <= requestTimeout.
      headersTimeoutMs: Math.min(parsed.HEADERS_TIMEOUT_MS, parsed.REQUEST_TIMEOUT_MS),
      connectionTimeoutMs: parsed.CONNECTION_TIMEOUT_MS,
      keepAliveTimeoutMs: parsed.KEEP_ALIVE_TIMEOUT_MS,
      maxRequestsPerSocket: parsed.MAX_REQUESTS_PER_SOCKET,
    },
    pressure: {
      // The embedded PGlite runs its queries on the server's own event loop, so there a long query
      // (or a migration run through its socket) is what delays the loop; shedding would not help.
      maxEventLoopDelayMs: parsed.PRESSURE_MAX_EVENT_LOOP_DELAY_MS ?? (embedded ? 0 : 1_000),
      maxEventLoopUtilization: parsed.PRESSURE_MAX_EVENT_LOOP_UTILIZATION,
      maxHeapUsedBytes: parsed.PRESSURE_MAX_HEAP_USED_BYTES,
      maxRssBytes: parsed.PRESSURE_MAX_RSS_BYTES,
      sampleIntervalMs: parsed.PRESSURE_SAMPLE_INTERVAL_MS,
      retryAfterSeconds: parsed.PRESSURE_RETRY_AFTER_SECONDS,
    },
    referenceCacheSeconds: parsed.REFERENCE_CACHE_SECONDS,
    redisUrl: parsed.REDIS_URL,
    comments: {
      rateLimitPerMinute: parsed.COMMENT_RATE_LIMIT_PER_MINUTE,
      floodSeconds: parsed.COMMENT_FLOOD_SECONDS,
      maxLinks: parsed.COMMENT_MAX_LINKS,
      spamWords: wordList(parsed.COMMENT_SPAM_WORDS),
      holdWords: wordList(parsed.COMMENT_HOLD_WORDS),
      closeAfterDays: parsed.COMMENTS_CLOSE_AFTER_DAYS,
      editWindowMinutes: parsed.COMMENT_EDIT_WINDOW_MINUTES,
      flagThreshold: parsed.COMMENT_FLAG_THRESHOLD,
    },
    webhooks: {
      allowPrivateTargets: parsed.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      timeoutMs: parsed.WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: parsed.WEBHOOK_MAX_RESPONSE_BYTES,
      maxAttempts: parsed.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: parsed.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: Math.max(parsed.WEBHOOK_RETRY_MAX_MS, parsed.WEBHOOK_RETRY_BASE_MS),
      disableAfterFailures: parsed.WEBHOOK_DISABLE_AFTER_FAILURES,
      disableAfterHours: parsed.WEBHOOK_DISABLE_AFTER_HOURS,
      pollIntervalMs: parsed.WEBHOOK_POLL_INTERVAL_MS,
      delivery: parsed.WEBHOOK_DELIVERY ?? (embedded ? 'in-process' : 'pg-boss'),
      retentionDays: parsed.WEBHOOK_DELIVERY_RETENTION_DAYS,
    },
  }
}

// proxy-addr's names for the private ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])
const isAddress = (value: string) => ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value)
const isRange = (value: string) => ipaddr.IPv4.isValidCIDRFourPartDecimal(value) || ipaddr.IPv6.isValidCIDR(value)

/**
 * TRUST_PROXY as Fastify takes it; a string is the problem to report. `true` trusts every hop, so
 * the left-most (client-written) X-Forwarded-For becomes request.ip: a hop count or a list is safer.
 */
function parseTrustProxy(value: string): boolean | number | string[] | string {
  const given = value.trim()
  if (/^(true|false)$/i.test(given)) return given.toLowerCase() === 'true'
  if (/^\d+$/.test(given)) {
    const hops = Number(given)
    return hops === 0 ? false : hops <= 100 ? hops : `TRUST_PROXY must be at most 100 hops (got ${JSON.stringify(given)})`
  }
  const entries = given.split(',').map((entry) => entry.trim())
  const bad = entries.filter((entry) => !PROXY_RANGE_NAMES.has(entry) && !isAddress(entry) && !isRange(entry))
  if (bad.length > 0 || entries.length === 0) {
    const shown = bad.map((entry) => JSON.stringify(entry.length > 60 ? `${entry.slice(0, 60)}…` : entry)).join(', ')
    return `TRUST_PROXY must be true, false, a hop count or a comma-separated list of IP addresses or CIDR ranges (not ${shown})`
  }
  return entries
}

function dedupeByVariable(problems: string[]): string[] {
  const seen = new Map<string, string>()
  for (const problem of problems) {
    const name = problem.split(' ', 1)[0] ?? problem
    if (!seen.has(name)) seen.set(name, problem)
  }
  return [...seen.values()]
}

function wordList(value: string): string[] {
  return value.split(',').map((word) => word.trim().toLowerCase()).filter(Boolean)
}

function parseOrigins(value: string): string[] | '*' {
  if (value === '*') return '*'
  if (value === 'none') return []
  return value.split(',').map((origin) => origin.trim()).filter(Boolean)
}
