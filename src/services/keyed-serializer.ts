/**
 * Runs work one at a time per key, in this process, without holding anything but a promise while a
 * caller waits. Comment submissions use it so that a burst from one client waits here, not on a
 * PostgreSQL advisory lock inside a transaction, where every waiter would hold a pool connection.
 *
 * Keys are taken in sorted order, so two callers that share several keys cannot deadlock. A key
 * exists only while someone holds it or waits for it: memory is bounded by the work in flight, not
 * by how many keys clients make up.
 */
export interface KeyedSerializer {
  run<T>(keys: string[], work: () => Promise<T>): Promise<T>
  /** Keys held or waited for right now. */
  readonly size: number
}

export function createKeyedSerializer(): KeyedSerializer {
  const tails = new Map<string, Promise<void>>()

  async function take(key: string): Promise<() => void> {
    const previous = tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const done = new Promise<void>((resolve) => (release = resolve))
    const tail = previous.then(() => done)
    tails.set(key, tail)
    await previous
    return () => {
      release()
      if (tails.get(key) === tail) tails.delete(key)
    }
  }

  return {
    async run<T>(keys: string[], work: () => Promise<T>): Promise<T> {
      const releases: Array<() => void> = []
      try {
        for (const key of [...new Set(keys)].sort()) releases.push(await take(key))
        return await work()
      } finally {
        for (const release of releases.reverse()) release()
      }
    },
    get size() {
      return tails.size
    },
  }
}
