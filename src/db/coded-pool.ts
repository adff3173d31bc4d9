import pg from 'pg'
import { DRIVER_CODES, withDriverCode } from './database-errors.js'

type Callback = (...args: unknown[]) => void
type Queryable = { query(...args: unknown[]): unknown }

/**
 * pg reports some failures with no code at all: a query whose connection was lost or timed out
 * ("Connection terminated unexpectedly", "Query read timeout"). This client gives them one
 * (database-errors.ts), so they can be recognised without reading their messages.
 */
/** Runs a query (callback or promise form), giving a code-less failure the "connection lost" code. */
function codedQuery(run: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const callbackAt = args.findIndex((arg) => typeof arg === 'function')
  if (callbackAt >= 0) {
    const callback = args[callbackAt] as Callback
    args[callbackAt] = (error: unknown, ...rest: unknown[]) => callback(error ? withDriverCode(error, DRIVER_CODES.connectionLost) : error, ...rest)
    return run(...args)
  }
  const result = run(...args)
  if (!(result instanceof Promise)) return result
  return result.catch((error: unknown) => {
    throw withDriverCode(error, DRIVER_CODES.connectionLost)
  })
}

class CodedClient extends (pg.Client as unknown as new (config?: unknown) => Queryable) {
  override query(...args: unknown[]): unknown {
    return codedQuery((...forwarded) => super.query(...forwarded), args)
  }
}

/**
 * The pool Prisma's adapter uses. A connection that cannot be had gets a code: the pool's own wait
 * timing out while every connection was busy is saturation; anything else failing to connect is
 * the database being unreachable.
 */
class CodedPool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super({ ...config, Client: CodedClient as unknown as typeof pg.Client })
  }

  private failure(error: unknown, wasFull: boolean): unknown {
    return withDriverCode(error, wasFull ? DRIVER_CODES.poolExhausted : DRIVER_CODES.connectFailed)
  }

  // pg-pool calls connect() itself (with a callback) for pool.query(); the adapter calls it for transactions.
  override connect(): Promise<pg.PoolClient>
  override connect(callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void
  override connect(callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    const wasFull = this.idleCount === 0 && this.totalCount >= (this.options.max ?? 10)
    if (callback) {
      super.connect((error, client, done) => callback(error ? (this.failure(error, wasFull) as Error) : error, client, done))
      return
    }
    return super.connect().catch((error: unknown) => {
      throw this.failure(error, wasFull)
    })
  }
}

export function createCodedPool(config: pg.PoolConfig): pg.Pool {
  const pool = new CodedPool(config)
  // pool.query() fails a query from its client's 'error' event (a connection dropped mid-query)
  // with the raw, code-less error, bypassing the client's own query(): code it here as well.
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown
  ;(pool as unknown as Queryable).query = (...args: unknown[]) => codedQuery(query, args)
  return pool
}
