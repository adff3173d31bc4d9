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
  // A few of the source's own sentences, which must not appear anywhere in what we store.
  const sourceSentences = [
    'This point between the eyebrows helps to relax the muscles in between the eyes',
    'It helps with reducing forehead wrinkles and lifting the eye area',
    'It aids in relaxing smile lines around the mouth',
    'It clears the sinuses and alleviates smile lines',
    'the bruises disappear within a week',
  ]
  const stored = JSON.stringify((await db.query('SELECT a.body, a.summary, c.text FROM articles a, claims c')).rows)
  for (const sentence of sourceSentences) t.notOk(stored.includes(sentence), `does not copy "${sentence.slice(0, 40)}…"`)
})
