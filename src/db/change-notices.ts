import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'

/** The channel the migrations' triggers notify on (20261202005850_comment_visibility). */
export const CHANGES_CHANNEL = 'acupoint_api_changes'

/** What another instance (or this one) committed: reference data, or an article's public comments. */
export type ChangeNotice = { kind: 'reference'; table: string } | { kind: 'comments'; articleId: string }

export function parseNotice(payload: string | undefined): ChangeNotice | undefined {
  try {
    const value = JSON.parse(payload ?? '') as Record<string, unknown>
    if (typeof value.reference === 'string') return { kind: 'reference', table: value.reference }
    if (typeof value.comments === 'string') return { kind: 'comments', articleId: value.comments }
  } catch {
    // Not ours: ignored.
  }
  return undefined
}

/**
 * The embedded PGlite is one backend behind many sockets, and it delivers a notification to the
 * connection whose transaction sent it, not to the one that listened. Every app instance on it
 * lives in the process that owns the data directory (data-dir-lock.ts), so the notifications that
 * reach any pool connection are relayed to every listener in the process, by database URL. On a
 * real server pool connections never LISTEN, so nothing reaches this relay.
 */
const relays = new Map<string, EventEmitter>()

function relayFor(url: string): EventEmitter {
  let relay = relays.get(url)
  if (!relay) {
    relay = new EventEmitter()
    relay.setMaxListeners(0)
    relays.set(url, relay)
  }
  return relay
}

/** Wires a pool so that notifications its connections receive reach this process's listeners. */
export function relayPoolNotifications(pool: pg.Pool, url: string) {
  pool.on('connect', (client) => {
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL) relayFor(url).emit('notice', message.payload)
    })
  })
}

export interface ChangeListener {
  /** Resolves once the first LISTEN is in place (tests wait for it before writing elsewhere). */
  subscribed(): Promise<void>
  readonly listening: boolean
  /** Notices received so far, and subscriptions made (1 + reconnections): for /ready and for tests. */
  readonly received: number
  readonly subscriptions: number
  close(): Promise<void>
}

export interface ChangeListenerOptions {
  url: string
  log: FastifyBaseLogger
  onNotice(notice: ChangeNotice): void
  /**
   * Called after every successful LISTEN, the first included: what changed while no listener was
   * subscribed was never announced, so whatever was cached before must go.
   */
  onSubscribed(): void
  /** First delay before reconnecting; doubled up to `maxRetryMs`, with jitter. */
  retryMs?: number
  maxRetryMs?: number
}

/**
 * One dedicated connection per instance, LISTENing on CHANGES_CHANNEL: PostgreSQL's own
 * publish/subscribe, so no new component. A lost connection is re-opened with backoff and
 * re-subscribed, and the caches are cleared at that moment.
 */
export function listenForChanges(options: ChangeListenerOptions): ChangeListener {
  const { url, log, onNotice, onSubscribed, retryMs = 100, maxRetryMs = 5_000 } = options
  let closed = false
  let client: pg.Client | undefined
  let listening = false
  let attempt = 0
  let received = 0
  let subscriptions = 0
  let timer: NodeJS.Timeout | undefined
  let resolveFirst: () => void = () => {}
  const first = new Promise<void>((resolve) => (resolveFirst = resolve))

  const deliver = (payload: string | undefined) => {
    const notice = parseNotice(payload)
    if (!notice) return
    received++
    onNotice(notice)
  }
  const relay = relayFor(url)
  relay.on('notice', deliver)

  const retry = () => {
    if (closed || timer) return
    const delay = Math.min(maxRetryMs, retryMs * 2 ** Math.min(attempt, 16)) * (0.5 + Math.random() / 2)
    attempt++
    timer = setTimeout(() => {
      timer = undefined
      void connect()
    }, delay)
    timer.unref()
  }

  // Only ever called for the current client.
  const lost = (error?: Error) => {
    if (listening) log.warn({ err: error }, 'change listener lost its connection; reconnecting')
    listening = false
    const old = client
    client = undefined
    old?.removeAllListeners('notification')
    void old?.end().catch(() => {})
    retry()
  }

  async function connect() {
    if (closed) return
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true })
    client = next
    next.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL) deliver(message.payload)
    })
    next.on('error', (error) => {
      if (client === next) lost(error)
    })
    next.on('end', () => {
      if (client === next) lost()
    })
    try {
      await next.connect()
      await next.query(`LISTEN ${CHANGES_CHANNEL}`)
    } catch (error) {
      if (client === next) {
        log.debug({ err: error }, 'change listener could not subscribe; retrying')
        client = undefined
        void next.end().catch(() => {})
        retry()
      }
      return
    }
    if (closed || client !== next) {
      void next.end().catch(() => {})
      return
    }
    listening = true
    attempt = 0
    subscriptions++
    onSubscribed()
    resolveFirst()
  }

  void connect()

  return {
    subscribed: () => first,
    get listening() {
      return listening
    },
    get received() {
      return received
    },
    get subscriptions() {
      return subscriptions
    },
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      relay.off('notice', deliver)
      if (relay.listenerCount('notice') === 0) relays.delete(url)
      const last = client
      client = undefined
      listening = false
      resolveFirst()
      await last?.end().catch(() => {})
    },
  }
}
