import { readFile } from 'node:fs/promises'
import t from 'tap'
import { diffDatamodels, latestSchemaSnapshot, readMigrations } from '../../src/db/schema-engine.js'
import { applyMigrations } from '../../src/db/schema-engine.js'
import { schemaPath } from '../../src/paths.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

// What the migrations add by hand because schema.prisma cannot say it (see the search section of
// 20261201090000_reference_content). A database built from schema.prisma lacks exactly these; the
// comparison leaves them out, and checks that the migrated database has every one of them.
const HAND_WRITTEN = {
  extensions: ['pg_trgm', 'unaccent'],
  functions: ['comment_visibility_after', 'comment_visibility_before', 'reference_changed', 'search_fold', 'search_key'],
  indexes: [
    'acupoints_hanzi_simplified_idx', 'acupoints_hanzi_traditional_idx', 'acupoints_search_english_idx', 'acupoints_search_names_trgm_idx',
    'acupoints_search_pinyin_idx', 'acupoints_search_pinyin_trgm_idx', 'acupoints_search_words_idx', 'claims_search_words_idx',
    'comments_public_page_idx',
  ],
  // schema.prisma declares these columns (Unsupported, so the client never writes them); the migration generates them.
  generatedColumns: ['acupoints.search_english', 'acupoints.search_names', 'acupoints.search_pinyin', 'acupoints.search_words', 'claims.search_words'],
  // Comment visibility kept at write time, and change notices (LISTEN/NOTIFY) for every instance.
  triggers: [
    'acupoints.acupoints_changed', 'article_points.article_points_changed', 'articles.articles_changed', 'channels.channels_changed',
    'claims.claims_changed', 'comments.comments_visibility_after', 'comments.comments_visibility_before', 'sources.sources_changed',
  ],
}

// Everything that describes a schema, in a form two databases can be compared by. Functions that
// belong to an extension are the extension's, not ours: they are compared as the extension.
async function catalog(db: TestDatabase) {
  const queries = {
    columns: `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length
                FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
               ORDER BY 1, 2`,
    indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes
               WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
                 AND indexname <> ALL ('{${HAND_WRITTEN.indexes.join(',')}}'::text[]) ORDER BY 1, 2`,
    constraints: `SELECT conrelid::regclass::text AS "table", conname, pg_get_constraintdef(oid) AS definition
                    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                     AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`,
    enums: `SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
             WHERE t.typnamespace = 'public'::regnamespace ORDER BY 1, e.enumsortorder`,
    functions: `SELECT proname, pg_get_functiondef(p.oid) AS definition FROM pg_proc p
                 WHERE pronamespace = 'public'::regnamespace AND proname <> ALL ('{${HAND_WRITTEN.functions.join(',')}}'::text[])
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
                 ORDER BY 1, 2`,
    // Only the app's schema: what another tool keeps in a schema of its own (a job queue's, say) is not compared.
    triggers: `SELECT tgrelid::regclass::text AS "table", tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE NOT tgisinternal AND c.relnamespace = 'public'::regnamespace
                AND tgrelid::regclass::text || '.' || tgname <> ALL ('{${HAND_WRITTEN.triggers.join(',')}}'::text[]) ORDER BY 1, 2`,
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

  // And what only the migrations can build is there, on this database kind too (PGlite loads the modules itself).
  const present = await migrated.one(`
    SELECT (SELECT array_agg(extname::text ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql') AS extensions,
           (SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
               AND proname = ANY ($1::text[])) AS functions,
           (SELECT array_agg(indexname::text ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'
               AND indexname = ANY ($2::text[])) AS indexes,
           (SELECT array_agg(table_name || '.' || column_name ORDER BY table_name, column_name) FROM information_schema.columns
             WHERE table_schema = 'public' AND is_generated = 'ALWAYS') AS "generatedColumns",
           (SELECT array_agg(tgrelid::regclass::text || '.' || tgname ORDER BY tgrelid::regclass::text || '.' || tgname) FROM pg_trigger t
              JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT tgisinternal AND c.relnamespace = 'public'::regnamespace) AS triggers`,
    [HAND_WRITTEN.functions, HAND_WRITTEN.indexes])
  t.same(present, HAND_WRITTEN, 'the hand-written extensions, functions, indexes, generated columns and triggers exist')
  const folded = await migrated.one(`SELECT search_fold('Yíngxiāng HÉGǓ') AS fold, search_key('LI 20') AS code, search_key('Lǚ-gōu') AS key`)
  t.same(folded, { fold: 'yingxiang hegu', code: 'li20', key: 'lugou' }, 'the search functions fold accents, case and separators')
})

t.test('the drift check notices a schema change without a migration', async (t) => {
  const db = await createTestDatabase({ migrate: false })
  t.teardown(() => db.close())
  const schema = await readFile(schemaPath, 'utf8')
  const changed = schema.replace(/model StaffMember \{\n/, 'model StaffMember {\n  nickname String?\n')
  t.not(changed, schema)
  t.match(await diffDatamodels(db.url, await latestSchemaSnapshot(), changed), /ADD COLUMN\s+"nickname"/)
})
