import { Type, type Static } from 'typebox'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
const LOG_CLIENT_IP_MODES = ['pseudonymise', 'omit', 'full'] as const
export type LogClientIp = (typeof LOG_CLIENT_IP_MODES)[number]
const LOG_FORMATS = ['auto', 'pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

const PositiveInteger = (defaultValue: number, maximum: number, description: string) =>
  Type.Integer({ minimum: 1, maximum, default: defaultValue, description })

/** Every environment variable the service reads. Unknown variables are ignored. */
export const EnvSchema = Type.Object({
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection URL. Unset: an embedded PostgreSQL (PGlite) under DATA_DIR.',
    }),
  ),
  DATABASE_REPLICA_URLS: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://[^,\\s]+(,postgres(ql)?://[^,\\s]+)*$',
      description: 'Comma-separated PostgreSQL streaming replicas for public reads (needs DATABASE_URL). Writes, staff reads and read-your-write paths stay on the primary.',
    }),
  ),
  DATABASE_DIRECT_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'A direct (not pooled) connection to the primary, for LISTEN/NOTIFY when DATABASE_URL goes through PgBouncer in transaction mode. Default: DATABASE_URL.',
    }),
  ),
  DATA_DIR: Type.String({ minLength: 1, default: '.data', description: 'Embedded database directory' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: [...LOG_LEVELS], default: 'info' }),
  LOG_CLIENT_IP: Type.Unsafe<LogClientIp>({
    type: 'string', enum: [...LOG_CLIENT_IP_MODES], default: 'pseudonymise',
    description: 'Client addresses in the access log: pseudonymise (a keyed hash, the key never leaves the process), omit, or full',
  }),
  CORS_ORIGINS: Type.String({
    default: '*',
    pattern: '^(\\*|none|(https?://[^,\\s]+)(,https?://[^,\\s]+)*)$',
    description: 'Origins whose pages may call the API: * (any, the default; never with credentials), a comma-separated list, or none',
  }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s?#]+$',
      description: 'The URL clients reach the API at (https://api.example.org); the served OpenAPI document lists it as its server',
    }),
  ),
  LOG_FORMAT: Type.Unsafe<LogFormat>({
    type: 'string',
    enum: [...LOG_FORMATS],
    default: 'auto',
    description: 'pretty: one readable line per event; json: one JSON object per line; auto: pretty on a terminal, JSON otherwise',
  }),
  TRUST_PROXY: Type.String({
    default: 'false',
    maxLength: 2_000,
    description:
      'Which proxies to trust for X-Forwarded-*: false, true (any: the client can forge its address), a hop ' +
      'count, or a comma-separated list of proxy IP addresses / CIDR ranges (or loopback, linklocal, uniquelocal)',
  }),
  BODY_LIMIT_BYTES: PositiveInteger(65_536, 10_485_760, 'Largest accepted request body'),
  MIGRATE_ON_START: Type.Boolean({ default: false, description: 'Apply migrations on start (external DB)' }),
  SEED_ON_START: Type.Boolean({ default: false, description: 'Seed reference data on start (external DB)' }),
  DB_POOL_MAX: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, description: 'Connection pool size (default 10; 1 when embedded)' }),
  ),
  DB_PREPARED_STATEMENTS: Type.Optional(
    Type.Boolean({
      description:
        'Cache prepared statements per connection, so a repeated query is parsed and planned once (default true; false when embedded). ' +
        'Set false behind a transaction-mode pooler that cannot carry them (PgBouncer before 1.21, or without max_prepared_statements).',
    }),
  ),
  DB_CONNECT_TIMEOUT_MS: PositiveInteger(2_000, 60_000, 'Give up connecting after this long'),
  DB_QUERY_TIMEOUT_MS: PositiveInteger(5_000, 300_000, 'Give up on a query after this long'),
  DB_RETRY_AFTER_SECONDS: PositiveInteger(5, 3_600, 'Retry-After sent while the database is unreachable'),
  REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://', description: 'Redis for rate-limit counters shared by several instances' }),
  ),
  COMMENT_RATE_LIMIT_PER_MINUTE: PositiveInteger(10, 10_000, 'Comment submissions per IP per minute'),
  COMMENT_FLOOD_SECONDS: Type.Integer({ minimum: 0, maximum: 3_600, default: 15, description: 'Seconds between two comments from one IP or e-mail (0: off)' }),
  COMMENT_MAX_LINKS: Type.Integer({ minimum: 0, maximum: 100, default: 2, description: 'More links than this flag a comment for attention' }),
  COMMENT_SPAM_WORDS: Type.String({ default: '', maxLength: 10_000, description: 'Comma-separated words or phrases that mark a comment as spam' }),
  COMMENTS_CLOSE_AFTER_DAYS: Type.Integer({
    minimum: 0, maximum: 36_500, default: 0,
    description: 'Close an article\'s comment thread this many days after it was first published (0: never)',
  }),
  COMMENT_EDIT_WINDOW_MINUTES: Type.Integer({
    minimum: 0, maximum: 10_080, default: 15,
    description: 'Minutes after submitting during which the author may edit a comment with its receipt token (0: no edits)',
  }),
  COMMENT_FLAG_THRESHOLD: PositiveInteger(3, 1_000, 'Distinct readers\' flags that send an approved comment back to the moderation queue'),
  COMMENT_HOLD_WORDS: Type.String({ default: '', maxLength: 10_000, description: 'Comma-separated words or phrases that flag a comment for attention' }),
  REFERENCE_CACHE_SECONDS: Type.Integer({
    minimum: 0, maximum: 3_600, default: 30,
    description: 'How long a cached point, channel or article may be served; writes in this process clear it at once (0: no cache)',
  }),
  SHUTDOWN_GRACE_MS: PositiveInteger(10_000, 120_000, 'How long in-flight requests get on shutdown'),
  WRITE_RATE_LIMIT_PER_MINUTE: PositiveInteger(120, 100_000, 'Writes (POST, PATCH, PUT, DELETE) per IP per minute: one budget shared by every write route'),
  READ_RATE_LIMIT_PER_MINUTE: PositiveInteger(1_200, 1_000_000, 'Reads (GET, HEAD) per IP per minute: one budget shared by every read but /health'),
  NOT_FOUND_RATE_LIMIT_PER_MINUTE: PositiveInteger(120, 100_000, 'Requests to unknown routes per IP per minute'),
  MAX_HEADER_BYTES: PositiveInteger(16_384, 1_048_576, 'Largest accepted request head (431 beyond it)'),
  REQUEST_TIMEOUT_MS: PositiveInteger(30_000, 600_000, 'Time a client gets to send a whole request'),
  HEADERS_TIMEOUT_MS: PositiveInteger(10_000, 600_000, 'Time a client gets to send the request head'),
  CONNECTION_TIMEOUT_MS: PositiveInteger(120_000, 600_000, 'Socket inactivity timeout (longer than the keep-alive timeout)'),
  KEEP_ALIVE_TIMEOUT_MS: PositiveInteger(72_000, 600_000, 'How long an idle keep-alive connection stays open (longer than a load balancer keeps its own: 60 s is common)'),
  MAX_REQUESTS_PER_SOCKET: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Requests served on one keep-alive connection before it is closed (0: unlimited). Node answers 503 to requests a client pipelines past the limit.' }),
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 60_000, description: 'Shed load (503) when the mean event-loop delay exceeds this (0: off). Default 1000; off with the embedded database' }),
  ),
  PRESSURE_MAX_EVENT_LOOP_UTILIZATION: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Shed load (503) above this event-loop utilization, 0..1 (0: off)' }),
  PRESSURE_MAX_HEAP_USED_BYTES: Type.Integer({ minimum: 0, default: 0, description: 'Shed load (503) above this heap size (0: off)' }),
  PRESSURE_MAX_RSS_BYTES: Type.Integer({ minimum: 0, default: 0, description: 'Shed load (503) above this resident set size (0: off)' }),
  PRESSURE_SAMPLE_INTERVAL_MS: PositiveInteger(1_000, 60_000, 'How often the load is sampled'),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: Type.Boolean({
    default: false,
    description: 'Let webhooks target loopback, private, link-local and other non-public addresses (checked at create, update and on every delivery, after DNS resolution). Off by default: an admin token must not reach the internal network',
  }),
  WEBHOOK_TIMEOUT_MS: PositiveInteger(10_000, 120_000, 'Give up on a webhook delivery after this long (connection and response)'),
  WEBHOOK_MAX_RESPONSE_BYTES: PositiveInteger(65_536, 10_485_760, 'Read at most this much of a receiver\'s response (kept for the delivery log: its first 1 KiB)'),
  WEBHOOK_MAX_ATTEMPTS: PositiveInteger(8, 30, 'Attempts per webhook delivery before it is marked failed'),
  WEBHOOK_RETRY_BASE_MS: PositiveInteger(5_000, 3_600_000, 'First retry delay; each further retry doubles it (with jitter: 50–100 % of the delay)'),
  WEBHOOK_RETRY_MAX_MS: PositiveInteger(3_600_000, 86_400_000, 'Longest delay between two attempts'),
  WEBHOOK_DISABLE_AFTER_FAILURES: PositiveInteger(5, 1_000, 'Deactivate a subscription after this many deliveries in a row failed for good'),
  WEBHOOK_POLL_INTERVAL_MS: Type.Integer({
    minimum: 0, maximum: 3_600_000, default: 30_000,
    description: 'How often each instance looks for due webhook deliveries it was not told about (retries, other instances\' leftovers); 0: only when told',
  }),
  WEBHOOK_DELIVERY: Type.Optional(Type.Unsafe<'pg-boss' | 'in-process'>({
    type: 'string',
    enum: ['pg-boss', 'in-process'],
    description: 'Who sends the outbox: pg-boss jobs (default with DATABASE_URL) or the in-process dispatcher (the only choice, and the default, on the embedded database: README, "Webhooks")',
  })),
  WEBHOOK_DISABLE_AFTER_HOURS: Type.Integer({
    minimum: 0, maximum: 8_760, default: 24,
    description: 'Deactivate a subscription whose attempts have failed without a success for this long (0: off)',
  }),
  WEBHOOK_DELIVERY_RETENTION_DAYS: Type.Integer({
    minimum: 0, maximum: 3_650, default: 30,
    description: 'Delete delivered and failed webhook deliveries (the delivery log) older than this, daily (0: keep them)',
  }),
  PRESSURE_RETRY_AFTER_SECONDS: PositiveInteger(2, 3_600, 'Retry-After sent when shedding load'),
})

export type Env = Static<typeof EnvSchema>
