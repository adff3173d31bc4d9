// Recognises "the database cannot be reached right now" among the shapes it arrives in: Prisma's
// known request errors, the driver adapter's error kinds, and raw pg / socket errors that the
// adapter passes through unchanged (a connection dropped mid-query surfaces as a plain Error).

const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024'])
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'])
// 08xxx connection exceptions, 53300 too many connections, 57P01-57P03 shutdown / cannot connect,
// 57014 a statement cancelled by statement_timeout.
const UNAVAILABLE_SQLSTATES = /^(08\d{3}|53300|57P0[1-3]|57014)$/
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])
const UNAVAILABLE_MESSAGES = /Connection terminated|connection timeout|Query read timeout|Connection ended|Client has encountered a connection error|Can't reach database server|timeout exceeded when trying to connect/i

interface ErrorLike {
  name?: unknown
  kind?: unknown
  code?: unknown
  message?: unknown
  cause?: unknown
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } }
}

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false
  const candidate = error as ErrorLike
  if (candidate.name === 'PrismaClientInitializationError') return true
  const code = typeof candidate.code === 'string' ? candidate.code : undefined
  if (code && (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) {
    return true
  }
  // A DriverAdapterError thrown as it is (a connection lost inside an interactive transaction)
  // carries its kind in `cause.kind` and as its message.
  if (typeof candidate.kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(candidate.kind)) return true
  if (candidate.name === 'DriverAdapterError' && typeof candidate.message === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(candidate.message)) return true
  const adapterCause = candidate.meta?.driverAdapterError?.cause
  if (adapterCause) {
    if (typeof adapterCause.kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(adapterCause.kind)) return true
    if (typeof adapterCause.originalCode === 'string' && UNAVAILABLE_SQLSTATES.test(adapterCause.originalCode)) return true
  }
  if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.test(candidate.message)) return true
  return isDatabaseUnavailable(candidate.cause, depth + 1)
}
