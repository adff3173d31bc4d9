import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm'
import { migrationsDir, schemaPath } from '../paths.js'

/**
 * Prisma's own schema engine, compiled to WebAssembly. The native engine cannot be downloaded
 * here, and this one drives the database through the same pg adapter as the app, so
 * `_prisma_migrations` is kept exactly as `prisma migrate deploy` keeps it.
 */
let loading: Promise<void> | undefined

// @types/node 20 does not declare the WebAssembly global; this is the part we use.
interface WasmExports {
  __wbindgen_start(): void
}
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: WasmExports } }>
}

function loadWasm(): Promise<void> {
  loading ??= (async () => {
    // The package entry imports the .wasm file directly, which Node 20 refuses without a flag.
    const require = createRequire(import.meta.url)
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm')
    const imports: Record<string, unknown> = { ...bindings }
    // The engine arms 10-second timers it never clears; unref'd, they no longer hold the process open
    // after the work is done, and still fire while it runs.
    for (const [name, value] of Object.entries(bindings)) {
      if (name.startsWith('__wbg_setTimeout_') && typeof value === 'function') {
        imports[name] = (...args: unknown[]) => {
          const timer = (value as (...a: unknown[]) => unknown)(...args)
          ;(timer as { unref?: () => void }).unref?.()
          return timer
        }
      }
    }
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': imports })
    bindings.__wbg_set_wasm(instance.exports)
    instance.exports.__wbindgen_start()
  })()
  return loading
}

/**
 * adapter-pg runs a migration script by splitting it at every `;`, which breaks any PL/pgSQL body
 * (a trigger function). Each script is sent whole instead, as one simple-protocol query: PostgreSQL
 * parses the statements itself and runs them as one implicit transaction, so a failing migration
 * leaves nothing half-applied. Failures still go through the adapter's own error mapping.
 */
function wholeScripts(adapter: PrismaPg, pool: pg.Pool) {
  const connect = adapter.connect.bind(adapter)
  adapter.connect = async () => {
    const connection = await connect()
    const mapped = connection as unknown as { onError(error: unknown): never }
    connection.executeScript = async (script: string) => {
      try {
        await pool.query(script)
      } catch (error) {
        mapped.onError(error)
      }
    }
    return connection
  }
}

const NO_FILTERS = { externalTables: [], externalEnums: [] }

export interface EngineHandle {
  engine: SchemaEngine
  dispose(): Promise<void>
}

export async function openSchemaEngine(
  databaseUrl: string,
  log: (message: string) => void = () => {},
): Promise<EngineHandle> {
  await loadWasm()
  const schema = await readFile(schemaPath, 'utf8')
  // Our own pool, so that dispose() can end it: the engine never closes what it opened.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  pool.on('error', () => {})
  const adapter = new PrismaPg(pool)
  wholeScripts(adapter, pool)
  const factory = bindMigrationAwareSqlAdapterFactory(adapter)
  try {
    const engine = await bindings.SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, log, factory)
    return {
      engine,
      async dispose() {
        engine.free()
        await pool.end()
      },
    }
  } catch (error) {
    await pool.end()
    throw error
  }
}

export async function readMigrations(dir = migrationsDir): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true })
  const directories = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  const lockPath = path.join(dir, 'migration_lock.toml')
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null)
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (name) => {
        const file = path.join(dir, name, 'migration.sql')
        const content = await readFile(file, 'utf8').then(
          (sql) => ({ tag: 'ok' as const, value: sql }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        )
        return { path: name, migrationFile: { path: 'migration.sql', content } }
      }),
    ),
  }
}

/** Applies every migration not yet recorded in `_prisma_migrations`. Returns the names applied. */
export async function applyMigrations(databaseUrl: string, log?: (message: string) => void): Promise<string[]> {
  const handle = await openSchemaEngine(databaseUrl, log)
  try {
    const { appliedMigrationNames } = await handle.engine.applyMigrations({
      migrationsList: await readMigrations(),
      filters: NO_FILTERS,
    })
    return appliedMigrationNames
  } finally {
    await handle.dispose()
  }
}

/**
 * The SQL that turns one Prisma datamodel into another (`from` null: an empty database).
 * Datamodel-to-datamodel diffs need no database: the engine's introspection cannot run through
 * adapter-pg 7.10 (it rejects the catalog's `"char"` columns), so migrations are written from the
 * schema snapshot each migration keeps beside its SQL.
 */
export async function diffDatamodels(databaseUrl: string, from: string | null, to: string): Promise<string> {
  // The engine connects on start even for a diff that reads no table; any database will do.
  const handle = await openSchemaEngine(databaseUrl)
  try {
    const result = await handle.engine.diff({
      from: from === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: 'from.prisma', content: from }] },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: to }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    })
    const sql = result.stdout ?? ''
    return sql.includes('This is an empty migration.') ? '' : sql
  } finally {
    await handle.dispose()
  }
}

export const SNAPSHOT_FILE = 'schema.prisma.snapshot'

/** The schema as of the newest migration, or null when there is none. */
export async function latestSchemaSnapshot(dir = migrationsDir): Promise<string | null> {
  const { migrationDirectories } = await readMigrations(dir)
  const latest = migrationDirectories.at(-1)
  if (!latest) return null
  return readFile(path.join(dir, latest.path, SNAPSHOT_FILE), 'utf8')
}
