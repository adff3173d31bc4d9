import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config/config.js'
import { listenForChanges, type ChangeListener } from '../../db/change-notices.js'
import { publicThreadKeys } from '../../services/comment-service.js'

const SUBSCRIBE_WAIT_MS = 2_000

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's subscription to the changes every instance commits (LISTEN/NOTIFY). */
    changeListener: ChangeListener
  }
}

/**
 * Keeps this instance's caches coherent with every other instance on the same database: the
 * migrations' triggers NOTIFY each committed change to reference data or to an article's public
 * thread, and this drops what the change made stale, within milliseconds. The cache's TTL
 * (REFERENCE_CACHE_SECONDS) is only a safety net behind it.
 */
export default fp(
  async function changeNotices(app: FastifyInstance, options: { config: AppConfig }) {
    const cache = app.referenceCache
    let listener: ChangeListener | undefined
    app.decorate('changeListener', {
      subscribed: () => listener?.subscribed() ?? Promise.resolve(),
      get listening() {
        return listener?.listening ?? false
      },
      get received() {
        return listener?.received ?? 0
      },
      get subscriptions() {
        return listener?.subscriptions ?? 0
      },
      close: async () => listener?.close(),
    })
    // Nothing is cached when the cache is off, so there is nothing to keep coherent, unless reads
    // go to replicas: another instance's change must then fence them (read-replicas.ts).
    if (options.config.referenceCacheSeconds === 0 && app.reads.replicaCount === 0) return
    // Started once the app is ready: building it (for openapi.yaml, say) needs no database.
    app.addHook('onReady', async () => {
      listener = listenForChanges({
        // LISTEN holds a session: through a transaction-mode pooler it would be lost between transactions.
        url: options.config.database.directUrl ?? options.config.databaseUrl,
        log: app.log,
        onNotice: (notice) => (notice.kind === 'reference' ? cache.clear() : cache.clear(...publicThreadKeys(notice.articleId))),
        // Clearing also fences the read replicas: what changed unheard may not have reached them.
        onSubscribed: () => cache.clear(),
      })
      // Normally subscribed within milliseconds, before the first request; a database that is down
      // at start delays the start by this much at most (the listener keeps retrying, and clears the
      // caches when it gets through).
      await Promise.race([listener.subscribed(), new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref())])
    })
    app.addHook('onClose', async () => {
      await listener?.close()
    })
  },
  { name: 'change-notices', dependencies: ['domain-services'] },
)
