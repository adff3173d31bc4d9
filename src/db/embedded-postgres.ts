import { mkdir } from 'node:fs/promises'
import type { Server, Socket } from 'node:net'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { unaccent } from '@electric-sql/pglite/contrib/unaccent'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  /** A `postgresql://` URL for pg, Prisma and the schema engine alike. */
  url: string
  /** The data directory as a tarball, to start another instance from (`loadDataDir`). */
  snapshot(): Promise<Blob>
  close(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** A directory to persist to, or undefined for memory only. */
  dataDir?: string
  port?: number
  /** Simultaneous client connections; PGlite itself runs one statement at a time. */
  maxConnections?: number
  /** Start from this snapshot (`snapshot()` of another instance) instead of an empty cluster. */
  loadDataDir?: Blob
}

/**
 * PostgreSQL compiled to WebAssembly, served over the wire protocol so that the app reaches it
 * exactly as it reaches a real server: one code path for both.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true })
  // The contrib modules the migrations' CREATE EXTENSION statements need (search: accents and trigrams).
  const db = await PGlite.create({
    dataDir: options.dataDir ?? 'memory://',
    extensions: { unaccent, pg_trgm },
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  })
  const maxConnections = options.maxConnections ?? 8
  // pglite-socket leaves a connection half-open after a client's Terminate, which keeps the process
  // alive for seconds after close; every accepted socket is tracked so it can be destroyed.
  const sockets = new Set<Socket>()
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections })
  await server.start()
  const netServer = (server as unknown as { server: Server }).server
  netServer.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const port = Number(server.getServerConn().split(':').at(-1))
  let running = true

  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    snapshot: () => db.dumpDataDir('none'),
    async close() {
      if (!running) return
      running = false
      const stopped = server.stop()
      for (const socket of sockets) socket.destroy()
      sockets.clear()
      await stopped
      await db.close()
    },
  }
}
