import { LRUCache } from 'lru-cache'

/**
 * An in-process cache for representations of reference data (points, channels, published
 * articles), which are read far more often than editors change them. Built on lru-cache.
 *
 * - Memory is bounded whatever clients send: each pool is bounded by entries and by bytes (the
 *   JSON size of a representation, which it is measured by once, when loaded).
 * - Keys that a client can make up at will (forged cursors, free-text search) go to a small pool
 *   of their own (`volatile`), so a flood of them can neither grow memory nor evict the
 *   representations everyone reads.
 * - Every write in this process clears what it could have changed, after the write, so an
 *   editor's change is visible to the very next read.
 * - Entries also expire after `ttlMs`: the bound on how stale another instance's copy can be
 *   when several instances share one database (the same order as `Cache-Control: max-age=60`).
 * - Concurrent misses share one load, and a failed load (404, outage) is not kept. A load that
 *   a write clears while it runs still answers its callers, but is not stored.
 * - A cached value is shared by every request: callers must treat it as immutable.
 */
export interface ReferenceCache {
  get<T>(key: string, load: () => Promise<T>, options?: { volatile?: boolean }): Promise<T>
  /** Drops every entry, or those whose key starts with one of `prefixes`. */
  clear(...prefixes: string[]): void
  /** Entries held, in both pools. */
  readonly size: number
  /** Bytes held (JSON size of the representations), in both pools. */
  readonly bytes: number
}

export interface CacheBounds {
  maxEntries: number
  maxBytes: number
}

/** The representations everyone reads: 362 points, 14 channels, articles and their first pages fit many times over. */
export const MAIN_BOUNDS: CacheBounds = { maxEntries: 2_000, maxBytes: 16 * 1024 * 1024 }
/** Pages behind client-chosen keys: enough for real readers paging and searching, too small to matter to memory. */
export const VOLATILE_BOUNDS: CacheBounds = { maxEntries: 256, maxBytes: 2 * 1024 * 1024 }

type Load = () => Promise<unknown>

/** The size an entry is counted at: its JSON length (at least 1, as lru-cache requires). */
export function representationBytes(value: unknown): number {
  return Math.max(1, Buffer.byteLength(JSON.stringify(value) ?? ''))
}

function createPool(bounds: CacheBounds, ttlMs: number, now: () => number) {
  // lru-cache's key iterators skip loads in flight; clearing must reach them too, or a load that
  // began before a write would be stored after it.
  const loading = new Set<string>()
  const cache = new LRUCache<string, object, Load>({
    max: bounds.maxEntries,
    maxSize: bounds.maxBytes,
    // A representation larger than the whole pool is served but never stored.
    maxEntrySize: bounds.maxBytes,
    sizeCalculation: representationBytes,
    ttl: ttlMs,
    // Expired entries count until they are read or evicted; both bounds still hold.
    ttlAutopurge: false,
    perf: { now },
    // Read the clock on every check (lru-cache otherwise caches it for a millisecond).
    ttlResolution: 0,
    // A write that clears a key while its load runs: the callers get the value, the cache does not keep it.
    ignoreFetchAbort: true,
    fetchMethod: async (key, _stale, { context }) => {
      loading.add(key)
      try {
        return (await context()) as object
      } finally {
        loading.delete(key)
      }
    },
  })
  return {
    cache,
    /** Every key held or being loaded. */
    keys: () => [...cache.keys(), ...loading],
  }
}

export function createReferenceCache(options: {
  ttlMs: number
  main?: CacheBounds
  volatile?: CacheBounds
  now?: () => number
  /** Told of every clear: a change was committed, so read replicas must catch up before serving (read-replicas.ts). */
  onClear?: () => void
}): ReferenceCache {
  const { ttlMs, main = MAIN_BOUNDS, volatile = VOLATILE_BOUNDS, now = Date.now, onClear } = options
  const pools = ttlMs > 0 ? { main: createPool(main, ttlMs, now), volatile: createPool(volatile, ttlMs, now) } : undefined

  return {
    async get<T>(key: string, load: () => Promise<T>, getOptions: { volatile?: boolean } = {}): Promise<T> {
      if (!pools) return load()
      const pool = getOptions.volatile ? pools.volatile : pools.main
      return (await pool.cache.fetch(key, { context: load })) as T
    },

    clear(...prefixes: string[]) {
      onClear?.()
      for (const pool of Object.values(pools ?? {})) {
        if (prefixes.length === 0) {
          pool.cache.clear()
          continue
        }
        for (const key of pool.keys()) {
          if (prefixes.some((prefix) => key.startsWith(prefix))) pool.cache.delete(key)
        }
      }
    },

    get size() {
      return pools ? pools.main.cache.size + pools.volatile.cache.size : 0
    },

    get bytes() {
      return pools ? pools.main.cache.calculatedSize + pools.volatile.cache.calculatedSize : 0
    },
  }
}

/** Runs a write, then clears the cache, whether or not the write succeeded (a failed one changed nothing, but may have half-run). */
export async function invalidating<T>(cache: ReferenceCache, write: () => Promise<T>, ...prefixes: string[]): Promise<T> {
  try {
    return await write()
  } finally {
    cache.clear(...prefixes)
  }
}
