import { readFile } from 'node:fs/promises'
import { pino } from 'pino'
import t from 'tap'
import { withPrisma } from '../../src/db/with-prisma.js'
import { SEED_STEPS, seedDatabase } from '../../src/seed/seed-database.js'
import { createTestDatabase, environmentConfig } from '../helpers/test-database.js'

const silent = pino({ level: 'silent' })

t.test('the seed runs each step once and never undoes an edit', async (t) => {
  const db = await createTestDatabase({ seed: false })
  t.teardown(() => db.close())
  const seed = () => withPrisma(db.url, environmentConfig, (prisma) => seedDatabase(prisma, silent))
  const counts = async () =>
    db.one(`SELECT (SELECT count(*) FROM acupoints)::int AS points, (SELECT count(*) FROM claims)::int AS claims,
                            (SELECT count(*) FROM articles)::int AS articles, (SELECT count(*) FROM sources)::int AS sources,
                            (SELECT count(*) FROM channels)::int AS channels`)

  t.same(await seed(), SEED_STEPS.map((step) => step.name), 'the first run applies every step')
  const after = await counts()
  t.same(after, { points: 362, claims: 22, articles: 1, sources: 3, channels: 14 })

  await db.query("UPDATE acupoints SET english_name = 'Edited by an editor' WHERE code = 'LI20'")
  await db.query("DELETE FROM claims WHERE keyword = 'sinuses'")
  t.same(await seed(), [], 'the second run applies nothing')
  const edited = await db.one("SELECT english_name FROM acupoints WHERE code = 'LI20'")
  t.equal(edited.english_name, 'Edited by an editor', 'an edit survives a re-seed')
  t.equal((await counts()).claims, 21, 'a deleted claim stays deleted')
})

t.test('the seed data is in our own words and credits its source', async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.close())
  const article = await db.one('SELECT body, attribution FROM articles')
  t.match(article.attribution, /Sole Toscana Beauty Team/)

  // Every text we store that the post also covers; the reader's comment is theirs and stays as written.
  const { rows } = await db.query<{ text: string }>(`
    SELECT title || ' ' || summary || ' ' || body || ' ' || cautions::text || ' ' || coalesce(treatment_plan::text, '') AS text FROM articles
    UNION ALL SELECT text FROM claims
    UNION ALL SELECT coalesce(location, '') FROM acupoints
    UNION ALL SELECT coalesce(note, '') || ' ' || title FROM sources`)
  const words = (text: string) => text.toLowerCase().replace(/[^a-z0-9\s]+/g, ' ').split(/\s+/).filter(Boolean)
  const RUN = 8
  const runs = (text: string) => {
    const list = words(text)
    return list.slice(0, Math.max(0, list.length - RUN + 1)).map((_, index) => list.slice(index, index + RUN).join(' '))
  }
  const stored = new Set(rows.flatMap((row) => runs(row.text)))
  t.ok(stored.size > 500, 'there is text to compare')

  // The post itself when shared/ is beside the repository (as in CI); otherwise some of its sentences.
  const post = await readFile(new URL('../../../shared/seeds/000_daaac69b7e6d9a20.txt', import.meta.url), 'utf8').catch(() => [
    'This point between the eyebrows helps to relax the muscles in between the eyes.',
    'This point is approximately half an inch above the middle of the eyebrow.',
    'This point is under the outer corner of the eye under the cheekbone.',
    'It helps with reducing forehead wrinkles and lifting the eye area.',
    'If this happens, don\'t worry- the bruises disappear within a week.',
  ].join('\n'))
  const shared = runs(post).filter((run) => stored.has(run))
  t.same(shared, [], `no run of ${RUN} words is copied from the post`)
})
