import envSchema from 'env-schema'
import { EnvSchema, type Env, type LogLevel } from './config-schema.js'

export interface Config {
  /** Unset means: run the embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  host: string
  port: number
  logLevel: LogLevel
  corsOrigins: string[] | '*'
  trustProxy: boolean
  bodyLimitBytes: number
  migrateOnStart: boolean
  seedOnStart: boolean
  database: {
    poolMax: number
    connectTimeoutMs: number
    queryTimeoutMs: number
    retryAfterSeconds: number
  }
  shutdownGraceMs: number
  /** Bound on staleness across instances; this instance's own writes clear the cache at once. */
  referenceCacheSeconds: number
  redisUrl: string | undefined
  comments: {
    rateLimitPerMinute: number
    floodSeconds: number
    maxLinks: number
    spamWords: string[]
    holdWords: string[]
  }
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
  CORS_ORIGINS: 'must be * or a comma-separated list of http(s):// origins',
  REDIS_URL: 'must be a redis:// or rediss:// URL',
}

// Connection URLs can carry passwords: never echo them back.
const SECRET_VARIABLES = new Set(['DATABASE_URL', 'REDIS_URL'])

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
  let parsed: Env
  try {
    parsed = envSchema<Env>({ schema: EnvSchema, data: given, env: false, dotenv: false })
  } catch (error) {
    const issues = (error as { errors?: AjvIssue[] }).errors
    if (!issues) throw error
      throw new ConfigError(dedupeByVariable(issues.map((issue) => describe(issue, given))))
  }
  const embedded = parsed.DATABASE_URL === undefined
  return {
    databaseUrl: parsed.DATABASE_URL,
    dataDir: parsed.DATA_DIR,
    host: parsed.HOST,
    port: parsed.PORT,
    logLevel: parsed.LOG_LEVEL,
    corsOrigins: parseOrigins(parsed.CORS_ORIGINS),
    trustProxy: parsed.TRUST_PROXY,
    bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
    migrateOnStart: parsed.MIGRATE_ON_START,
    seedOnStart: parsed.SEED_ON_START,
    database: {
      // PGlite is a single session: more pool connections would only queue behind each other.
      poolMax: parsed.DB_POOL_MAX ?? (embedded ? 1 : 10),
      connectTimeoutMs: parsed.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: parsed.DB_QUERY_TIMEOUT_MS,
      retryAfterSeconds: parsed.DB_RETRY_AFTER_SECONDS,
    },
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    referenceCacheSeconds: parsed.REFERENCE_CACHE_SECONDS,
    redisUrl: parsed.REDIS_URL,
    comments: {
      rateLimitPerMinute: parsed.COMMENT_RATE_LIMIT_PER_MINUTE,
      floodSeconds: parsed.COMMENT_FLOOD_SECONDS,
      maxLinks: parsed.COMMENT_MAX_LINKS,
      spamWords: wordList(parsed.COMMENT_SPAM_WORDS),
      holdWords: wordList(parsed.COMMENT_HOLD_WORDS),
    },
  }
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
  return value.split(',').map((origin) => origin.trim()).filter(Boolean)
}
