import type { FastifyBaseLogger } from 'fastify'
import type { PrismaClient } from '../generated/prisma/client.js'
import { isDatabaseUnavailable } from './database-errors.js'

/**
 * Public reads on PostgreSQL's streaming replicas (DATABASE_REPLICA_URLS), with the primary as the
 * fallback. Replication itself is PostgreSQL's; this only decides, per read, where it may go:
 *
 * - **Never older than what was served.** Every change this instance makes or hears of (the cache
 *   is cleared: by its own write, or by a NOTIFY from another instance's commit) raises a
 *   watermark to the primary's WAL position after that commit. A replica serves reads only once
 *   its replayed position has reached the watermark; until then reads go to the primary. The lag
 *   is normally milliseconds, so the primary takes those few reads instead of the reader waiting.
 * - **A replica that fails is taken out of rotation**, the read is answered by the primary, and the
 *   replica is probed again after `recheckMs`. Readiness lists each replica's state but never
 *   fails because of one.
 */
export interface ReadRouter {
  /** Runs a read on a caught-up replica, or on the primary. */
  run<T>(read: (client: PrismaClient) => Promise<T>): Promise<T>
  /**
   * A client for public reads: each model query and `$queryRaw` goes through `run`. Without
   * replicas it is the primary's client itself. Never for writes or transactions.
   */
  readonly client: PrismaClient
  /** A change was committed (or may have been): replicas must replay past the primary's current position. */
  fence(): void
  /** Probes every replica (for /ready) and reports each one; never throws. */
  check(): Promise<ReplicaStatus[]>
  readonly replicaCount: number
  close(): Promise<void>
}

export interface ReplicaStatus {
  /** host:port/database, without credentials. */
  name: string
  state: 'in_rotation' | 'catching_up' | 'out_of_rotation'
  /** Bytes of WAL the replica has still to replay to reach the watermark (0 when caught up). */
  lagBytes: number | null
}

export interface Replica {
  name: string
  client: PrismaClient
}

interface ReplicaState extends Replica {
  up: boolean
  /** When an out-of-rotation replica may be probed again. */
  retryAt: number
  replayed: bigint
  probing: Promise<void> | undefined
}

/** `16/B374D848` → a number that orders like the WAL position. */
export function parseLsn(lsn: string): bigint {
  const [high, low] = lsn.split('/')
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`)
}

// A replica that is not in recovery (pointed at a primary, say) is as current as itself.
const CAUGHT_UP = (1n << 64n) - 1n

export function createReadRouter(options: {
  primary: PrismaClient
  replicas: Replica[]
  log: FastifyBaseLogger
  recheckMs?: number
  now?: () => number
}): ReadRouter {
  const { primary, log, recheckMs = 5_000, now = Date.now } = options
  const replicas: ReplicaState[] = options.replicas.map((replica) => ({ ...replica, up: true, retryAt: 0, replayed: 0n, probing: undefined }))
  let watermark = 0n
  // While a fence is being measured, no replica is known to be current enough.
  let fencesInFlight = 0
  let fenceAgain = false
  let next = 0

  async function measureFence(): Promise<void> {
    fencesInFlight += 1
    try {
      for (;;) {
        fenceAgain = false
        try {
          const [row] = await primary.$queryRaw<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`
          const lsn = parseLsn(row!.lsn)
          if (lsn > watermark) watermark = lsn
        } catch (error) {
          // The primary is unreachable: every read fails over to it anyway; try again shortly.
          log.warn({ err: error }, 'could not read the primary\'s WAL position; reads stay on the primary')
          await new Promise((resolve) => setTimeout(resolve, 500).unref())
          fenceAgain = true
        }
        // A change heard while measuring may have committed after the position was read.
        if (!fenceAgain) return
      }
    } finally {
      fencesInFlight -= 1
    }
  }

  function probe(replica: ReplicaState): Promise<void> {
    replica.probing ??= (async () => {
      try {
        const [row] = await replica.client.$queryRaw<{ lsn: string | null }[]>`SELECT pg_last_wal_replay_lsn()::text AS lsn`
        replica.replayed = row!.lsn === null ? CAUGHT_UP : parseLsn(row!.lsn)
        if (!replica.up) log.info({ replica: replica.name }, 'read replica is back in rotation')
        replica.up = true
      } catch (error) {
        takeOut(replica, error)
      } finally {
        replica.probing = undefined
      }
    })()
    return replica.probing
  }

  function takeOut(replica: ReplicaState, error: unknown) {
    if (replica.up) log.warn({ err: error, replica: replica.name }, 'read replica taken out of rotation; reads go to the primary')
    replica.up = false
    replica.retryAt = now() + recheckMs
  }

  function pick(): ReplicaState | undefined {
    if (fencesInFlight > 0) return undefined
    for (let tried = 0; tried < replicas.length; tried++) {
      const replica = replicas[next++ % replicas.length]!
      if (!replica.up) {
        if (now() >= replica.retryAt) void probe(replica)
        continue
      }
      if (replica.replayed >= watermark) return replica
      // Behind the watermark: ask where it is now, and read from the primary meanwhile.
      void probe(replica)
    }
    return undefined
  }

  async function run<T>(read: (client: PrismaClient) => Promise<T>): Promise<T> {
    if (replicas.length === 0) return read(primary)
    const replica = pick()
    if (!replica) return read(primary)
    try {
      return await read(replica.client)
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error
      takeOut(replica, error)
      return read(primary)
    }
  }

  return {
    replicaCount: replicas.length,
    run,
    client: replicas.length === 0 ? primary : routedClient(primary, run),

    fence() {
      if (replicas.length === 0) return
      if (fencesInFlight > 0) {
        fenceAgain = true
        return
      }
      void measureFence()
    },

    async check() {
      await Promise.all(replicas.map((replica) => probe(replica)))
      return replicas.map((replica) => ({
        name: replica.name,
        state: !replica.up ? 'out_of_rotation' : replica.replayed >= watermark ? 'in_rotation' : 'catching_up',
        lagBytes: !replica.up ? null : replica.replayed >= watermark ? 0 : Number(watermark - replica.replayed),
      }))
    },

    async close() {
      await Promise.all(replicas.map((replica) => replica.client.$disconnect()))
    },
  }
}

type AnyFunction = (...args: unknown[]) => Promise<unknown>

/** `client.acupoint.findFirst(…)` and `client.$queryRaw\`…\`` on whichever client `run` picks. */
function routedClient(primary: PrismaClient, run: ReadRouter['run']): PrismaClient {
  const delegates = new Map<string, object>()
  const routed = (pick: (client: PrismaClient) => AnyFunction) => (...args: unknown[]) => run((client) => pick(client)(...args))
  return new Proxy(primary, {
    get(target, property, receiver) {
      if (property === '$queryRaw') return routed((client) => client.$queryRaw.bind(client) as AnyFunction)
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof property !== 'string' || property.startsWith('$') || typeof value !== 'object' || value === null) return value
      let delegate = delegates.get(property)
      if (!delegate) {
        delegate = new Proxy(value, {
          get: (model, method) => {
            const original: unknown = Reflect.get(model, method)
            if (typeof original !== 'function' || typeof method !== 'string') return original
            return routed((client) => {
              const target = (client as unknown as Record<string, Record<string, AnyFunction>>)[property]!
              return target[method]!.bind(target)
            })
          },
        })
        delegates.set(property, delegate)
      }
      return delegate
    },
  })
}
