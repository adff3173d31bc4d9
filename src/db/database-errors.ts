/**
 * The one place that recognises database failures, for the error handler and anyone else. It goes
 * by codes only, never by message text: Prisma's error codes, the driver adapter's error kinds,
 * PostgreSQL's SQLSTATEs, socket errno codes, and the codes that `coded-pool.ts` gives to the pg
 * driver's own failures (which carry none: a lost connection, a pool that had no connection free).
 */

/**
 * - `unavailable`: the database cannot be reached (down, unreachable, refusing us): 503.
 * - `saturated`: it is reachable but every connection is busy, or it gave up on our work in time
 *   (a transaction that could not start, a statement timeout, a deadlock): 503, retry soon.
 * - `conflict`: a constraint refused a write that raced another: 409.
 * - `missing`: the row a write named is gone: 404.
 */
export type DatabaseFailure = 'unavailable' | 'saturated' | 'conflict' | 'missing'

/** Codes of our own for pg failures that come without one. */
export const DRIVER_CODES = {
  /** No connection could be had: every one was in use until the wait ran out. */
  poolExhausted: 'ACUPOINT_DB_POOL_EXHAUSTED',
  /** A new connection could not be opened (and the failure named no cause of its own). */
  connectFailed: 'ACUPOINT_DB_CONNECT_FAILED',
  /** A query got no answer: the connection was lost or timed out under it. */
  connectionLost: 'ACUPOINT_DB_CONNECTION_LOST',
} as const

const BY_CODE = new Map<string, DatabaseFailure>([
  // Prisma: can't reach, timed out, connection closed.
  ['P1001', 'unavailable'], ['P1002', 'unavailable'], ['P1008', 'unavailable'], ['P1017', 'unavailable'],
  // Prisma: pool timeout, transaction API (could not start in time, expired), write conflict or deadlock.
  ['P2024', 'saturated'], ['P2028', 'saturated'], ['P2034', 'saturated'],
  ['P2002', 'conflict'], ['P2003', 'conflict'], ['P2014', 'conflict'],
  ['P2025', 'missing'],
  [DRIVER_CODES.poolExhausted, 'saturated'],
  [DRIVER_CODES.connectFailed, 'unavailable'],
  [DRIVER_CODES.connectionLost, 'unavailable'],
  // Socket errors (connecting or mid-query).
  ...['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].map((code) => [code, 'unavailable'] as const),
])

// @prisma/adapter-pg's error kinds (a DriverAdapterError, raw inside interactive transactions).
const BY_ADAPTER_KIND = new Map<string, DatabaseFailure>([
  ['DatabaseNotReachable', 'unavailable'], ['ConnectionClosed', 'unavailable'], ['SocketTimeout', 'unavailable'],
  ['TlsConnectionError', 'unavailable'], ['DatabaseDoesNotExist', 'unavailable'], ['DatabaseAccessDenied', 'unavailable'],
  ['AuthenticationFailed', 'unavailable'],
  ['TooManyConnections', 'saturated'], ['TransactionWriteConflict', 'saturated'],
  ['UniqueConstraintViolation', 'conflict'], ['ForeignKeyConstraintViolation', 'conflict'],
])

/** PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
function bySqlState(state: string): DatabaseFailure | undefined {
  if (!/^[0-9A-Z]{5}$/.test(state)) return undefined
  // 08: connection exception; 28: invalid authorisation; 3D000: no such database;
  // 57P01–57P03: admin shutdown, crash shutdown, cannot connect now.
  if (state.startsWith('08') || state.startsWith('28') || state === '3D000' || /^57P0[1-3]$/.test(state)) return 'unavailable'
  // 53: insufficient resources (too many connections, out of memory, disk full); 57014: statement
  // timeout; 55P03: lock not available; 40001/40P01: serialization failure, deadlock.
  if (state.startsWith('53') || state === '57014' || state === '55P03' || state === '40001' || state === '40P01') return 'saturated'
  if (state === '23505' || state === '23503') return 'conflict'
  return undefined
}

interface ErrorLike {
  name?: unknown
  kind?: unknown
  code?: unknown
  cause?: unknown
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } }
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined)

/** What kind of database failure `error` is, or undefined when it is none (or one we do not expect). */
export function classifyDatabaseError(error: unknown, depth = 0): DatabaseFailure | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined
  const candidate = error as ErrorLike
  if (candidate.name === 'PrismaClientInitializationError') return 'unavailable'
  const code = text(candidate.code)
  const found = (code && (BY_CODE.get(code) ?? bySqlState(code)))
    // A DriverAdapterError carries its kind in `cause.kind`; a Prisma error wraps it in `meta`.
    ?? BY_ADAPTER_KIND.get(text(candidate.kind) ?? '')
    ?? BY_ADAPTER_KIND.get(text(candidate.meta?.driverAdapterError?.cause?.kind) ?? '')
    ?? bySqlState(text(candidate.meta?.driverAdapterError?.cause?.originalCode) ?? '')
  return found || classifyDatabaseError(candidate.cause, depth + 1)
}

/** True when the database is down or saturated: the request may succeed if retried later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const failure = classifyDatabaseError(error)
  return failure === 'unavailable' || failure === 'saturated'
}

/** A short description for logs: the codes that classified the error, never its (possibly long) message or stack. */
export function describeDatabaseError(error: unknown): Record<string, string> {
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike
  const cause = (typeof candidate.cause === 'object' && candidate.cause !== null ? candidate.cause : {}) as ErrorLike
  const adapter = candidate.meta?.driverAdapterError?.cause
  const entries = {
    name: text(candidate.name),
    code: text(candidate.code),
    kind: text(candidate.kind) ?? text(cause.kind) ?? text(adapter?.kind),
    sqlState: text(adapter?.originalCode),
    causeCode: text(cause.code),
  }
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Record<string, string>
}

/** Gives a pg failure that has no code of its own one of ours, keeping the original as its cause. */
export function withDriverCode(error: unknown, code: string): unknown {
  // pg raises its code-less failures as plain Errors; a TypeError and the like is a bug, and stays one.
  if (!(error instanceof Error) || error.constructor !== Error || typeof (error as ErrorLike).code === 'string') return error
  return Object.assign(new Error(error.message, { cause: error }), { name: 'DatabaseDriverError', code })
}
