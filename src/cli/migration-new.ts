import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startEmbeddedPostgres } from '../db/embedded-postgres.js'
import { SNAPSHOT_FILE, diffDatamodels, latestSchemaSnapshot } from '../db/schema-engine.js'
import { migrationsDir, schemaPath } from '../paths.js'

// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL from the schema as of the last
// migration to prisma/schema.prisma as it is now. Needs no database server (it uses a throwaway PGlite).
const { values } = parseArgs({ options: { name: { type: 'string' } } })
const name = values.name
if (!name || !/^[a-z0-9_]{1,60}$/.test(name)) {
  process.stderr.write('Usage: npm run db:migration:new -- --name add_something   (lowercase, digits, underscores)\n')
  process.exit(1)
}

const scratch = await startEmbeddedPostgres()
try {
  const current = await readFile(schemaPath, 'utf8')
  const sql = await diffDatamodels(scratch.url, await latestSchemaSnapshot(), current)
  if (!sql.trim()) {
    process.stdout.write('prisma/schema.prisma has no changes since the last migration: nothing to write.\n')
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
    const dir = path.join(migrationsDir, `${stamp}_${name}`)
    await mkdir(dir, { recursive: true })
    await writeFile(path.join(dir, 'migration.sql'), sql)
    await copyFile(schemaPath, path.join(dir, SNAPSHOT_FILE))
    process.stdout.write(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql. Review it, then run npm run db:migrate.\n`)
  }
} finally {
  await scratch.close()
}
