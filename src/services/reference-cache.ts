/**
 * An in-process cache for representations of reference data (points, channels, published
 * articles), which are read far more often than editors change them.
 *
 * - Every write in this process clears what it could have changed, after the write, so an
 *   editor's change is visible to the very next read.
 * - Entries also expire after `ttlMs`: the bound on how stale another instance's copy can be
 *   when several instances share one database (the same order as `Cache-Control: max-age=60`).
 * - Concurrent misses share one load, and a failed load (404, outage) is not kept.
 * - A cached value is shared by every request: callers must treat it as immutable.
 */
export interface ReferenceCache {
  get<T>(key: string, load: () => Promise<T>): Promise<T>
  /** Drops every entry, or those whose key starts with one of `prefixes`. */
  clear(...prefixes: string[]): void
  readonly size: number
}

interface Entry {
  value: Promise<unknown>
  expiresAt: number
}

export function createReferenceCache(options: { ttlMs: number; maxEntries?: number; now?: () => number }): ReferenceCache {
  const { ttlMs, maxEntries = 2_000, now = Date.now } = options
  const entries = new Map<string, Entry>()

  return {
    get<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (ttlMs <= 0) return load()
      const found = entries.get(key)
      if (found && found.expiresAt > now()) return found.value as Promise<T>
      const value = load()
      const entry: Entry = { value, expiresAt: now() + ttlMs }
      entries.delete(key)
      entries.set(key, entry)
      // Insertion order: the first key is the oldest. Filters and cursors make the key space open-ended.
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key)
      })
      return value
    },

    clear(...prefixes: string[]) {
      if (prefixes.length === 0) {
        entries.clear()
        return
      }
      for (const key of entries.keys()) {
        if (prefixes.some((prefix) => key.startsWith(prefix))) entries.delete(key)
      }
    },

    get size() {
      return entries.size
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
