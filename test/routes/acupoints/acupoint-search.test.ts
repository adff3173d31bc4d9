import t from 'tap'
import { listQuery } from '../../../src/services/acupoint-search.js'
import { buildTestApp } from '../../helpers/build-test-app.js'

const range = (channel: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => `${channel}${from + index}`)

// What people type, and what must come first. `top` is the exact start of the ranking; `total`, when
// given, the exact number of matches.
const TABLE: Array<{ q: string; top: string[]; total?: number; why: string }> = [
  { q: 'Yíngxiāng', top: ['LI20'], total: 1, why: 'pinyin with tone marks' },
  { q: 'yingxiang', top: ['LI20'], total: 1, why: 'plain pinyin' },
  { q: 'Ying Xiang', top: ['LI20'], total: 1, why: 'pinyin in syllables' },
  { q: '迎香', top: ['LI20'], total: 1, why: 'characters' },
  { q: 'Welcome Fragrance', top: ['LI20'], why: 'English point name' },
  { q: 'Large Intestine', top: [...range('LI', 1, 20), 'BL25'], total: 21, why: 'channel name: the channel\'s points first, then Large Intestine Shu' },
  { q: 'large intestine channel', top: range('LI', 1, 20), total: 20, why: 'channel name with "channel"' },
  { q: 'Large Intestine Meridian', top: range('LI', 1, 20), total: 20, why: 'channel name with "meridian"' },
  { q: '手阳明大肠经', top: range('LI', 1, 20), total: 20, why: 'channel in simplified characters' },
  { q: 'Shouyangming Dachangjing', top: range('LI', 1, 20), total: 20, why: 'channel in pinyin' },
  { q: 'hegu', top: ['LI4'], total: 1, why: 'plain pinyin' },
  { q: 'Hégǔ', top: ['LI4'], total: 1, why: 'tone marks' },
  { q: '合谷', top: ['LI4'], total: 1, why: 'characters' },
  { q: 'li 20', top: ['LI20'], total: 1, why: 'code with a space' },
  { q: 'li-20', top: ['LI20'], total: 1, why: 'code with a hyphen' },
  { q: 'LI4', top: ['LI4'], total: 1, why: 'code' },
  { q: 'lu-01', top: ['LU1'], total: 1, why: 'code with a leading zero' },
  { q: 'cv 12', top: ['CV12'], why: 'code' },
  { q: 'GV29', top: ['EX-HN3'], total: 1, why: 'alternate code (GB/T 12346)' },
  { q: 'ex hn 3', top: ['EX-HN3'], total: 1, why: 'extra-point code in pieces' },
  { q: 'yintang', top: ['EX-HN3'], total: 1, why: 'extra point by pinyin' },
  { q: '印堂', top: ['EX-HN3'], total: 1, why: 'extra point by characters' },
  { q: 'Zúsānlǐ', top: ['ST36'], total: 1, why: 'tone marks' },
  { q: '足三里', top: ['ST36'], total: 1, why: 'characters' },
  { q: 'Leg Three Miles', top: ['ST36'], why: 'English name' },
  { q: '三陰交', top: ['SP6'], total: 1, why: 'traditional characters' },
  { q: '三阴交', top: ['SP6'], total: 1, why: 'simplified characters' },
  { q: '百會', top: ['GV20'], total: 1, why: 'traditional characters' },
  { q: '百会', top: ['GV20'], total: 1, why: 'simplified characters' },
  { q: 'Sanyinjiao', top: ['SP6'], why: 'exact name before near misses (Yinjiao)' },
  { q: 'Stomach', top: range('ST', 1, 45), why: 'channel name' },
  { q: 'Heart', top: range('HT', 1, 9), why: 'channel name, before the claim that links LI20 to the heart' },
  { q: 'Governor Vessel', top: range('GV', 1, 28), why: 'vessel name' },
  { q: '督脈', top: range('GV', 1, 28), total: 28, why: 'vessel in characters' },
  { q: 'Fēngchí', top: ['GB20'], why: 'tone marks' },
  { q: 'Juliao', top: ['ST3', 'GB29'], total: 2, why: 'two points share a name: standard order' },
  { q: 'Ying', top: ['LI20', 'ST16', 'KI10'], why: 'name prefixes, in the standard order' },
  { q: 'zusanly', top: ['ST36'], why: 'a typo' },
  { q: 'yinxiang', top: ['LI20'], why: 'a dropped letter' },
  { q: 'nasolabial', top: ['LI20'], why: 'a word of the location' },
  { q: 'infraorbital foramen', top: ['ST2'], why: 'words of the location' },
  { q: 'smile lines', top: ['LI20', 'ST4'], total: 2, why: 'words of claims' },
]

t.test('search finds what people type, best match first', async (t) => {
  const { app, db } = await buildTestApp(t)
  const search = async (q: string, limit = 100) => {
    const response = await app.inject({ url: `/v1/acupoints?limit=${limit}&q=${encodeURIComponent(q)}` })
    t.equal(response.statusCode, 200, q)
    return response.json() as { items: Array<{ code: string }>; total: number; nextCursor: string | null }
  }

  t.ok(TABLE.length >= 30, `${TABLE.length} queries`)
  for (const row of TABLE) {
    const page = await search(row.q)
    const codes = page.items.map((point) => point.code)
    t.same(codes.slice(0, row.top.length), row.top, `${JSON.stringify(row.q)} (${row.why}): ${row.top.slice(0, 3).join(', ')}${row.top.length > 3 ? ', …' : ''} first`)
    if (row.total !== undefined) t.equal(page.total, row.total, `${JSON.stringify(row.q)}: ${row.total} match(es)`)
    t.equal(page.total, codes.length, `${JSON.stringify(row.q)}: total counts what is listed`)
  }

  t.test('the ranking is total and stable: pages walk the same order as one long page', async (t) => {
    for (const q of ['Large Intestine', 'Heart', 'Ying', 'eyebrow']) {
      const all = (await search(q)).items.map((point) => point.code)
      const walked: string[] = []
      let cursor: string | null = null
      do {
        const url: string = `/v1/acupoints?limit=4&q=${encodeURIComponent(q)}${cursor ? `&cursor=${cursor}` : ''}`
        const page = (await app.inject({ url })).json()
        t.equal(page.total, all.length, `${q}: every page gives the same total`)
        walked.push(...page.items.map((point: { code: string }) => point.code))
        cursor = page.nextCursor
      } while (cursor)
      t.same(walked, all, `${q}: ${all.length} points in 4s, the same order`)
      t.same((await search(q)).items.map((point) => point.code), all, `${q}: the same again`)
    }
  })

  t.test('the heart: channel points first, then a source\'s claim', async (t) => {
    const codes = (await search('heart')).items.map((point) => point.code)
    t.ok(codes.indexOf('LI20') > codes.indexOf('HT9'), 'LI20, linked to the heart only by a blog, comes after the Heart channel')
  })

  t.test('nothing odd gets through', async (t) => {
    for (const q of ['%', '_', '-', '\\', "'", "'; DROP TABLE acupoints; --", 'a'.repeat(200), '🙂', '\u0301']) {
      const response = await app.inject({ url: `/v1/acupoints?q=${encodeURIComponent(q)}` })
      t.equal(response.statusCode, 200, `${JSON.stringify(q.slice(0, 20))} is only a search term`)
    }
    t.same((await search('%')).items, [], 'LIKE wildcards are matched literally')
    t.same((await search('-')).items, [], 'a query of separators matches nothing')
    t.equal((await app.inject({ url: '/v1/acupoints?q=' })).statusCode, 400, 'an empty q is refused')
  })

  // On the real server only: PGlite (PostgreSQL 17 in one process) plans joins on a 362-row table its
  // own way even with scans priced out, and production search runs on PostgreSQL.
  const skip = db.kind === 'embedded' ? 'the planner check runs against the PostgreSQL server (DATABASE_URL)' : false
  t.test('every branch of the search can use its index', { skip }, async (t) => {
    // With table scans priced out, a plan without any means every predicate matches an index
    // expression; a query rewritten so that one no longer does would fall back to scanning the table.
    const sql = listQuery({ q: 'Yíngxiāng' }, undefined, 21)
    let index = 0
    const text = sql.sql.replace(/\?/g, () => `$${++index}`)
    await db.query('ANALYZE acupoints, claims, channels')
    // Index scans too: a full scan of the primary key would stand in for a table scan. Bitmap scans
    // need a predicate their index can answer.
    await db.query('SET enable_seqscan = off')
    await db.query('SET enable_indexscan = off')
    t.teardown(() => db.query('RESET ALL'))
    const plan = (await db.query(`EXPLAIN ${text}`, sql.values as unknown[])).rows.map((row) => row['QUERY PLAN'] as string).join('\n')
    t.notMatch(plan, /Seq Scan on (acupoints|claims)\b/, 'no scan of the points or claims tables')
    for (const name of [
      'acupoints_code_key', 'acupoints_alternate_codes_idx', 'acupoints_search_pinyin_idx', 'acupoints_search_english_idx',
      'acupoints_hanzi_traditional_idx', 'acupoints_hanzi_simplified_idx', 'acupoints_search_names_trgm_idx', 'acupoints_search_words_idx',
      'claims_search_words_idx', 'acupoints_search_pinyin_trgm_idx', 'acupoints_channel_code_idx',
    ]) t.match(plan, new RegExp(`\\b${name}\\b`), `uses ${name}`)
  })
})
