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
  t.equal((await db.one('SELECT count(*)::int AS n FROM acupoints WHERE location IS NOT NULL')).n, 362, 'every point located')

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
    UNION ALL SELECT coalesce(location, '') || ' ' || coalesce(location_note, '') FROM acupoints
    UNION ALL SELECT coalesce(figure->>'note', '') FROM acupoints
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

// The steps a database seeded before 2026-12-01 has applied: points, the article and its comment.
const EARLIER_STEPS = SEED_STEPS.filter((step) => step.name < '2026-12-01')

t.test('a database seeded before gets the new content as a step, and keeps its editors\' changes', async (t) => {
  const db = await createTestDatabase({ seed: false })
  t.teardown(() => db.close())
  const seed = (steps = SEED_STEPS) => withPrisma(db.url, environmentConfig, (prisma) => seedDatabase(prisma, silent, steps))
  t.same(await seed(EARLIER_STEPS), EARLIER_STEPS.map((step) => step.name), 'seeded as the earlier version did')
  t.equal((await db.one('SELECT count(*)::int AS n FROM acupoints WHERE location IS NOT NULL')).n, 6, 'then: 6 locations')
  const before = await db.one("SELECT location FROM acupoints WHERE code = 'GB14'")

  // Editors change two points after that seed: one location rewritten, one written where there was none.
  await db.query("UPDATE acupoints SET location = $1, figure = $2 WHERE code = 'LI20'", ['An editor\'s own wording for LI20.', { front: { x: 0.3, y: 0.7 } }])
  await db.query("UPDATE acupoints SET location = $1 WHERE code = 'ST36'", ['An editor\'s location for ST36.'])

  const applied = await seed()
  t.same(applied, SEED_STEPS.filter((step) => !EARLIER_STEPS.includes(step)).map((step) => step.name), 'only the new steps run')
  const point = (code: string) => db.one('SELECT location, location_note, figure FROM acupoints WHERE code = $1', [code])
  t.same(await point('LI20'), { location: 'An editor\'s own wording for LI20.', location_note: null, figure: { front: { x: 0.3, y: 0.7 } } },
    'an edited location (and figure) survives, and gets no note written for another text')
  t.equal((await point('ST36')).location, 'An editor\'s location for ST36.', 'a location an editor wrote where there was none survives')
  const gb14 = await point('GB14')
  t.not(gb14.location, before.location, 'a location still as the earlier seed wrote it is replaced')
  t.match(gb14.location, /1 B-cun above the eyebrow/)
  t.ok(gb14.location_note, 'with its note')
  t.ok((await point('GB14')).figure.front, 'and its figure position')
  const counts = await db.one(`SELECT count(*) FILTER (WHERE location IS NOT NULL)::int AS located, count(*)::int AS points,
                                      count(*) FILTER (WHERE figure IS NOT NULL)::int AS drawn FROM acupoints`)
  t.same(counts, { located: 362, points: 362, drawn: 61 }, 'every other point gets its location, and every head and face point a position')
  t.equal((await db.one('SELECT count(*)::int AS n FROM channels WHERE standard_source_id IS NOT NULL')).n, 14, 'every channel gets its facts')
  t.same(await seed(), [], 'and a second run changes nothing')
})

t.test('every point is located by landmarks or measures, and its notes are served', async (t) => {
  const db = await createTestDatabase()
  t.teardown(() => db.close())
  const { rows } = await db.query<{ code: string; location: string | null; location_note: string | null }>(
    'SELECT code, location, location_note FROM acupoints ORDER BY sort_key')
  t.equal(rows.length, 362)
  t.same(rows.filter((row) => !row.location?.trim()).map((row) => row.code), [], 'every point has a location')

  // A location must name a place on the body or a proportional measure: a real vocabulary, not "any text".
  const MEASURE = /\b\d+(\.\d+)?\s*[BF]-cun\b|\b[BF]-cun\b|\bcun\b|finger[- ]?breadth/i
  const LANDMARKS = new RegExp(`\\b(${[
    'clavicle', 'sternum', 'sternal', 'xiphoid', 'ribs?', 'costal', 'intercostal', 'vertebra[el]?', 'spinous', 'thoracic', 'lumbar', 'sacral',
    'sacrum', 'coccyx', 'iliac', 'pubic', 'symphysis', 'inguinal', 'femur', 'femoral', 'trochanter', 'patellar?', 'knee', 'popliteal',
    'tibial?', 'fibular?', 'malleol(us|i)', 'ankle', 'calcane(us|al)', 'heel', 'metatarsal', 'toes?', 'hallux', 'nail', 'sole', 'plantar',
    'dorsum', 'navicular', 'cuneiform', 'humer(us|al)', 'shoulder', 'acromion', 'scapular?', 'axillary?', 'elbow', 'cubital', 'olecranon',
    'epicondyle', 'radi(us|al)', 'ulnar?', 'styloid', 'wrist', 'metacarpal', 'palmar?', 'fingers?', 'thumb', 'phalan(x|ges)', 'occipital',
    'mastoid', 'forehead', 'vertex', 'hairline', 'eyebrows?', 'glabella', 'orbit(al)?', 'infraorbital', 'eye(ball)?', 'canthus', 'pupil',
    'nose', 'nasal', 'ala', 'nostril', 'philtrum', 'lips?', 'mouth', 'chin', 'mentolabial', 'mandible', 'mandibular', 'zygomatic', 'cheekbone',
    'ear', 'auricle', 'auricular', 'tragus', 'lobe', 'jaw', 'masseter', 'temple', 'gum', 'neck', 'throat', 'laryn(x|geal)', 'thyroid',
    'cartilage', 'suprasternal', 'sternocleidomastoid', 'trapezius', 'nipple', 'umbilicus', 'abdomen', 'chest', 'midline', 'muscle',
    'tendon', 'biceps', 'triceps', 'deltoid', 'gastrocnemius', 'crease', 'fossa', 'artery', 'pulse', 'foramen', 'perineum', 'anus',
    'buttock', 'gluteal', 'groin', 'spine', 'head', 'face', 'scalp', 'tooth', 'teeth', 'frenulum', 'arm', 'forearm', 'leg', 'thigh', 'foot', 'hand',
  ].join('|')})\\b`, 'i')
  const locates = (text: string) => MEASURE.test(text) || LANDMARKS.test(text)
  // The check itself must be able to fail.
  for (const text of ['Said to clear the sinuses.', 'A point of great power, said to calm the spirit.', 'Where the qi gathers.']) {
    t.notOk(locates(text), `the vocabulary rejects ${JSON.stringify(text)}`)
  }
  t.same(rows.filter((row) => !locates(row.location!)).map((row) => row.code), [], 'every location names a landmark or a measure')
  t.ok(rows.filter((row) => MEASURE.test(row.location!)).length > 180, 'and most give a proportional measure')

  // Uncertainty is stated, and served: the disputed points WHO 2008 gives alternatives for have notes.
  for (const code of ['LI19', 'LI20', 'PC8', 'PC9', 'GB30', 'GV26']) {
    t.match(rows.find((row) => row.code === code)!.location_note, /WHO/, `${code}: its disputed location has a note`)
  }
  const { points } = JSON.parse(await readFile(new URL('../../prisma/seed/data/point-locations.json', import.meta.url), 'utf8')) as
    { points: Array<{ code: string; location: string; note?: string }> }
  t.same(rows.map((row) => [row.code, row.location, row.location_note]), points.map((point) => [point.code, point.location, point.note ?? null]),
    'the database holds the data file\'s text and notes, point for point')
})
