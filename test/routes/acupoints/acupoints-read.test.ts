import t from 'tap'
import { buildTestApp } from '../../helpers/build-test-app.js'

const ARTICLE_SOURCE = 'All About Facial Acupuncture and its Benefits'
const SEED_POINTS: Record<string, { channel: string | null; organ: string }> = {
  'EX-HN3': { channel: null, organ: 'liver' },
  GB14: { channel: 'GB', organ: 'intestines' },
  ST2: { channel: 'ST', organ: 'kidney' },
  ST4: { channel: 'ST', organ: 'lung' },
  SI18: { channel: 'SI', organ: 'stomach' },
  LI20: { channel: 'LI', organ: 'heart' },
}

t.test('reading acupoints', async (t) => {
  const { app } = await buildTestApp(t)
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers })
  const codes = async (url: string) => {
    const response = await get(url)
    t.equal(response.statusCode, 200, url)
    return response.json().items.map((point: { code: string }) => point.code) as string[]
  }

  t.test('the seed article\'s six points keep facts and claims apart', async (t) => {
    for (const [code, expected] of Object.entries(SEED_POINTS)) {
      const response = await get(`/v1/acupoints/${code.toLowerCase()}`)
      t.equal(response.statusCode, 200, `${code} is found case-insensitively`)
      const point = response.json()
      t.equal(point.code, code)
      t.ok(point.location, `${code} has a standard location`)
      const organClaims = point.claims.filter((claim: { kind: string }) => claim.kind === 'linked_organ')
      t.equal(organClaims.length, 1, `${code} has one claimed linked organ`)
      t.equal(organClaims[0].keyword, expected.organ)
      t.equal(organClaims[0].basis, 'claim')
      t.equal(organClaims[0].source.title, ARTICLE_SOURCE, 'sourced to the article')
      t.ok(point.claims.some((claim: { kind: string }) => claim.kind === 'location_note'), `${code} has the article's location note`)
      t.ok(point.claims.every((claim: { source: { kind: string } }) => claim.source.kind === 'article'))
      t.ok(point.facts.every((fact: { basis: string; source: { kind: string } }) => fact.basis === 'standard' && fact.source.kind === 'standard'))
      const channelFact = point.facts.find((fact: { attribute: string }) => fact.attribute === 'channel')
      t.equal(channelFact?.value ?? null, expected.channel, `${code}'s channel is a standard fact`)
      const classification = point.facts.find((fact: { attribute: string }) => fact.attribute === 'classification')
      t.equal(classification?.value ?? null, expected.channel ? null : 'extra_point', `${code}: an extra point says so as a fact`)
      t.same(point.articles.map((article: { slug: string }) => article.slug), ['facial-acupuncture-six-points'])
    }
    const li20 = (await get('/v1/acupoints/LI20')).json()
    t.equal(li20.channel.name, 'Large Intestine', 'LI20 is a Large Intestine point, whatever the article claims')
    t.ok(li20.claims.some((claim: { kind: string; keyword: string }) => claim.kind === 'cosmetic_effect' && claim.keyword === 'smile-lines'))
  })

  t.test('lookup by alternate code and normalised forms', async (t) => {
    t.equal((await get('/v1/acupoints/gv29')).json().code, 'EX-HN3', 'Yintang by its GB/T 12346 code')
    t.equal((await get('/v1/acupoints/li-20')).json().code, 'LI20')
    const missing = await get('/v1/acupoints/XX99')
    t.equal(missing.statusCode, 404)
    t.equal(missing.json().code, 'acupoint_not_found')
    t.equal((await get('/v1/acupoints/..%2F..%2Fetc%2Fpasswd')).statusCode, 400, 'path traversal is a validation error')
  })

  t.test('filters', async (t) => {
    t.same(await codes('/v1/acupoints?organ=heart'), ['LI20'], 'organ=heart finds LI20')
    t.same(await codes('/v1/acupoints?organ=Lungs'), ['ST4'], 'organ is case- and plural-insensitive')
    t.same(await codes('/v1/acupoints?effect=smile-lines'), ['LI20', 'ST4'], 'in the standard order: LI before ST')
    t.same(await codes('/v1/acupoints?effect=wrinkles'), ['GB14'])
    t.same(await codes('/v1/acupoints?effect=smile-lines&organ=heart'), ['LI20'], 'filters combine')
    const heart = (await get('/v1/acupoints?organ=heart')).json().items[0]
    t.same(heart.matchedClaims.map((claim: { kind: string; keyword: string; basis: string; source: { author: string } }) =>
      [claim.basis, claim.kind, claim.keyword, claim.source.author]), [['claim', 'linked_organ', 'heart', 'Sole Toscana Beauty Team']],
    'a point found by a claim shows that claim and who makes it')
    t.notOk('matchedClaims' in (await get('/v1/acupoints?channel=LI')).json().items[0], 'no claims without a claim filter')
    const stomach = await codes('/v1/acupoints?channel=st&limit=100')
    t.equal(stomach.length, 45)
    t.same(stomach.slice(0, 3), ['ST1', 'ST2', 'ST3'])
    const face = await codes('/v1/acupoints?region=face&limit=100')
    for (const code of Object.keys(SEED_POINTS)) t.ok(face.includes(code), `${code} is on the face`)
    t.same(await codes('/v1/acupoints?channel=LI&region=face'), ['LI19', 'LI20'])
    t.same(await codes('/v1/acupoints?organ=spleen'), [], 'no match is an empty page')
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      t.same(await codes(`/v1/acupoints?organ=${key}&effect=${key}`), [], `${key} is just a word (found by the fuzzer: it was a 500)`)
    }
    t.equal((await get('/v1/acupoints?region=elbow')).statusCode, 400)
    t.equal((await get('/v1/acupoints?unknown=1')).statusCode, 400, 'unknown parameters are rejected')
  })

  t.test('full-text search', async (t) => {
    const eyebrow = await codes('/v1/acupoints?q=eyebrow')
    t.ok(eyebrow.includes('EX-HN3'), 'finds Yintang')
    t.ok(eyebrow.includes('GB14'), 'finds GB14')
    t.same(await codes('/v1/acupoints?q=LI20'), ['LI20'], 'by code')
    t.ok((await codes('/v1/acupoints?q=yingxiang')).includes('LI20'), 'by pinyin')
    t.ok((await codes('/v1/acupoints?q=迎香')).includes('LI20'), 'by characters')
    t.ok((await codes('/v1/acupoints?q=puffiness')).includes('ST2'), 'by claim text')
    t.same(await codes(`/v1/acupoints?q=${encodeURIComponent("'; DROP TABLE acupoints; --")}`), [], 'SQL is only ever a search term')
    t.equal((await codes('/v1/acupoints?limit=1')).length, 1, 'the table is still there')
    t.same(await codes('/v1/acupoints?q=%25'), [], 'a LIKE wildcard is matched literally')
  })

  t.test('keyset pagination walks everything once, in order', async (t) => {
    const seen: string[] = []
    let url: string | undefined = '/v1/acupoints?limit=37'
    let pages = 0
    while (url) {
      const response = await get(url)
      t.equal(response.statusCode, 200)
      const page = response.json()
      seen.push(...page.items.map((point: { code: string }) => point.code))
      const link = response.headers.link as string | undefined
      if (page.nextCursor) {
        t.match(link, /^<\/v1\/acupoints\?limit=37&cursor=[\w-]+>; rel="next"$/)
        url = /^<([^>]+)>/.exec(link!)![1]
      } else {
        t.equal(link, undefined, 'no Link on the last page')
        url = undefined
      }
      pages++
    }
    t.equal(seen.length, 362, '361 channel points and Yintang')
    t.equal(new Set(seen).size, seen.length, 'no duplicates')
    t.equal(pages, Math.ceil(362 / 37))
    t.equal(seen[0], 'LU1')
    t.equal(seen[360], 'CV24')
    t.equal(seen[361], 'EX-HN3', 'extra points follow the channels')

    const forged = await get('/v1/acupoints?cursor=not-a-cursor')
    t.equal(forged.statusCode, 400)
    t.equal(forged.json().code, 'invalid_cursor')
    t.equal((await get(`/v1/acupoints?cursor=${Buffer.from('{"k":"1 OR 1=1"}').toString('base64url')}`)).statusCode, 400)
    t.equal((await get('/v1/acupoints?limit=0')).statusCode, 400)
    t.equal((await get('/v1/acupoints?limit=101')).statusCode, 400)
    t.equal((await get('/v1/acupoints?limit=-5')).statusCode, 400)
  })

  t.test('conditional GET', async (t) => {
    const first = await get('/v1/acupoints/LI20')
    const etag = first.headers.etag as string
    t.match(etag, /^"[\w-]+"$/)
    t.match(first.headers['cache-control'], /public/)
    const notModified = await get('/v1/acupoints/LI20', { 'if-none-match': etag })
    t.equal(notModified.statusCode, 304)
    t.equal(notModified.body, '')
    t.equal((await get('/v1/acupoints/LI20', { 'if-none-match': `W/${etag}` })).statusCode, 304, 'weak comparison')
    t.equal((await get('/v1/acupoints/LI20', { 'if-none-match': '"something-else"' })).statusCode, 200)
    const list = await get('/v1/acupoints?organ=heart')
    t.equal((await get('/v1/acupoints?organ=heart', { 'if-none-match': list.headers.etag as string })).statusCode, 304)
  })
})
