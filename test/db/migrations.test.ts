import { readFile } from 'node:fs/promises'
import t from 'tap'
import { diffDatamodels, latestSchemaSnapshot, readMigrations } from '../../src/db/schema-engine.js'
import { applyMigrations } from '../../src/db/schema-engine.js'
import { schemaPath } from '../../src/paths.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

// Everything that describes a schema, in a form two databases can be compared by.
async function catalog(db: TestDatabase) {
  const queries = {
    columns: `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length
                FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
               ORDER BY 1, 2`,
    indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes
               WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`,
    constraints: `SELECT conrelid::regclass::text AS "table", conname, pg_get_constraintdef(oid) AS definition
                    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                     AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`,
    enums: `SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
             WHERE t.typnamespace = 'public'::regnamespace ORDER BY 1, e.enumsortorder`,
    functions: `SELECT proname, pg_get_functiondef(oid) AS definition FROM pg_proc
                 WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
    triggers: `SELECT tgrelid::regclass::text AS "table", tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`,
  }
  const result: Record<string, unknown[]> = {}
  for (const [name, sql] of Object.entries(queries)) result[name] = (await db.query(sql)).rows
  return result
}

t.test('applying the migrations twice is a no-op', async (t) => {
  const db = await createTestDatabase({ migrate: false })
  t.teardown(() => db.close())
  const { migrationDirectories } = await readMigrations()
  const first = await applyMigrations(db.url)
  t.same(first, migrationDirectories.map((directory) => directory.path), 'the first run applies every migration, in order')
  const before = await catalog(db)
  t.same(await applyMigrations(db.url), [], 'the second run applies nothing')
  t.same(await catalog(db), before, 'and changes nothing')
  const recorded = await db.query('SELECT migration_name, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name')
  t.equal(recorded.rowCount, first.length, '_prisma_migrations has one row per migration, as migrate deploy keeps it')
  for (const row of recorded.rows) {
    t.ok(row.finished_at, `${row.migration_name} is recorded as finished`)
    t.equal(row.rolled_back_at, null)
  }
})

t.test('schema.prisma and the migrations agree', async (t) => {
  const schema = await readFile(schemaPath, 'utf8')
  const migrated = await createTestDatabase({ seed: false })
  const fromSchema = await createTestDatabase({ migrate: false })
  t.teardown(async () => {
    await migrated.close()
    await fromSchema.close()
  })

  const pending = await diffDatamodels(fromSchema.url, await latestSchemaSnapshot(), schema)
  t.equal(pending, '', 'no schema change is waiting for a migration (npm run db:migration:new)')

  // The migrations, however written or edited, must build exactly what the schema describes.
  const sql = await diffDatamodels(fromSchema.url, null, schema)
  t.ok(sql.includes('CREATE TABLE'), 'the schema is not empty')
  await fromSchema.query(sql)
  t.same(await catalog(migrated), await catalog(fromSchema), 'the migrated database matches a database built from schema.prisma')
})

t.test('the drift check notices a schema change without a migration', async (t) => {
  const db = await createTestDatabase({ migrate: false })
  t.teardown(() => db.close())
  const schema = await readFile(schemaPath, 'utf8')
  const changed = schema.replace(/model StaffMember \{\n/, 'model StaffMember {\n  nickname String?\n')
  t.not(changed, schema)
  t.match(await diffDatamodels(db.url, await latestSchemaSnapshot(), changed), /ADD COLUMN\s+"nickname"/)
})
