import t from 'tap'
import { buildTestApp } from '../../helpers/build-test-app.js'

const ARTICLE_SOURCE = 'All About Facial Acupuncture and its Benefits'
const SEED_POINTS: Record<string, { channel: string | null; organ: string; channelOrgan: string | null }> = {
  'EX-HN3': { channel: null, organ: 'liver', channelOrgan: null },
  GB14: { channel: 'GB', organ: 'intestines', channelOrgan: 'gallbladder' },
  ST2: { channel: 'ST', organ: 'kidney', channelOrgan: 'stomach' },
  ST4: { channel: 'ST', organ: 'lung', channelOrgan: 'stomach' },
  SI18: { channel: 'SI', organ: 'stomach', channelOrgan: 'small-intestine' },
  LI20: { channel: 'LI', organ: 'heart', channelOrgan: 'large-intestine' },
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
      const source = (id: string) => point.sources[id] as { id: string; kind: string; title: string }
      t.equal(point.code, code)
      t.ok(point.location, `${code} has a standard location`)
      const organClaims = point.claims.filter((claim: { kind: string }) => claim.kind === 'linked_organ')
      t.equal(organClaims.length, 1, `${code} has one claimed linked organ`)
      t.equal(organClaims[0].keyword, expected.organ)
      t.equal(organClaims[0].basis, 'claim')
      t.equal(source(organClaims[0].sourceId).title, ARTICLE_SOURCE, 'sourced to the article')
      t.ok(point.claims.some((claim: { kind: string }) => claim.kind === 'location_note'), `${code} has the article's location note`)
      t.ok(point.claims.every((claim: { sourceId: string }) => source(claim.sourceId).kind === 'article'))
      t.ok(point.facts.every((fact: { basis: string; sourceId: string }) => fact.basis === 'standard' && source(fact.sourceId).kind === 'standard'))
      t.equal(source(point.standardSourceId).kind, 'standard')
      // Each source once: keyed by its own id, and every one of them cited.
      const cited = new Set([point.standardSourceId, ...point.facts.map((fact: { sourceId: string }) => fact.sourceId), ...point.claims.map((claim: { sourceId: string }) => claim.sourceId)])
      t.same(Object.keys(point.sources).sort(), [...cited].sort(), `${code}: the sources are exactly the cited ones`)
      for (const [id, value] of Object.entries(point.sources)) t.equal((value as { id: string }).id, id)
      t.notOk(/"source":\{/.test(response.body), `${code}: no source is embedded in a fact or claim`)
      const organFact = point.facts.find((fact: { attribute: string }) => fact.attribute === 'channel_organ')
      t.equal(organFact?.value, expected.channelOrgan ?? undefined, `${code}: its channel's organ is a standard fact, beside the claimed one`)
      t.equal(point.channel?.organ ?? null, expected.channelOrgan, `${code}: and part of the channel summary`)
      t.same(point.figure?.views.includes('front'), true, `${code} has a front-view figure`)
      const channelFact = point.facts.find((fact: { attribute: string }) => fact.attribute === 'channel')
      t.equal(channelFact?.value ?? null, expected.channel, `${code}'s channel is a standard fact`)
      const classification = point.facts.find((fact: { attribute: string }) => fact.attribute === 'classification')
      t.equal(classification?.value ?? null, expected.channel ? null : 'extra_point', `${code}: an extra point says so as a fact`)
      t.same(point.articles.map((article: { slug: string }) => article.slug), ['facial-acupuncture-six-points'])
    }
    const li20Response = await get('/v1/acupoints/LI20')
    const li20 = li20Response.json()
    t.equal(li20.channel.name, 'Large Intestine', 'LI20 is a Large Intestine point, whatever the article claims')
    // The contrast in one response: the standard's organ of the channel, and the organ a source claims.
    const organs = [...li20.facts, ...li20.claims]
      .filter((item: { attribute?: string; kind?: string }) => item.attribute === 'channel_organ' || item.kind === 'linked_organ')
      .map((item: { basis: string; value?: string; keyword?: string; sourceId: string }) => [item.basis, item.value ?? item.keyword, li20.sources[item.sourceId].kind])
    t.same(organs, [['standard', 'large-intestine', 'standard'], ['claim', 'heart', 'article']])
    t.equal(li20Response.body.split('"publisher":').length - 1, 3, 'three source objects in all: WHO 2008, WHO 1991 and the article')
    for (const id of Object.keys(li20.sources)) t.equal(li20Response.body.split(`{"id":"${id}"`).length - 1, 1, `source ${id} is written once`)
    t.ok(Buffer.byteLength(li20Response.body) < 5000, `LI20 is lean: ${Buffer.byteLength(li20Response.body)} bytes (6240 when each fact and claim carried its source)`)
    t.match(li20.locationNote, /WHO/, 'LI20\'s location is disputed, and its note says so')
    const gv20 = (await get('/v1/acupoints/GV20')).json()
    t.same(gv20.facts.find((fact: { attribute: string }) => fact.attribute === 'channel_organ')?.value, 'none', 'the Governor Vessel has no organ, as a fact')
    t.equal(gv20.channel.organ, null)
    const st36 = (await get('/v1/acupoints/ST36')).json()
    t.equal(st36.figure, null, 'a point of the leg has no head figure')
    t.match(st36.location, /B-cun/, 'ST36 has its standard location')
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
    const heartPage = (await get('/v1/acupoints?organ=heart')).json()
    const heart = heartPage.items[0]
    t.same(heart.matchedClaims.map((claim: { kind: string; keyword: string; basis: string; sourceId: string }) =>
      [claim.basis, claim.kind, claim.keyword, heartPage.sources[claim.sourceId].author]), [['claim', 'linked_organ', 'heart', 'Sole Toscana Beauty Team']],
    'a point found by a claim shows that claim and who makes it')
    t.equal(Object.keys(heartPage.sources).length, 1, 'the page carries that source once')
    const smile = (await get('/v1/acupoints?effect=smile-lines')).json()
    t.equal(smile.items.length, 2)
    t.same(Object.keys(smile.sources), [smile.items[0].matchedClaims[0].sourceId], 'two points, two claims, one source: written once')
    t.notOk('matchedClaims' in (await get('/v1/acupoints?channel=LI')).json().items[0], 'no claims without a claim filter')
    t.same((await get('/v1/acupoints?channel=LI')).json().sources, {}, 'and no sources')

    // The channel's organ is a fact of the standard; `organ` is what sources claim. They differ.
    const heartChannel = await codes('/v1/acupoints?channelOrgan=heart&limit=100')
    t.same(heartChannel, ['HT1', 'HT2', 'HT3', 'HT4', 'HT5', 'HT6', 'HT7', 'HT8', 'HT9'], 'channelOrgan=heart: the Heart channel')
    t.notOk(heartChannel.includes('LI20'), 'not LI20, which only a source links to the heart')
    t.equal((await codes('/v1/acupoints?channelOrgan=large-intestine&limit=100')).length, 20)
    t.same(await codes('/v1/acupoints?channelOrgan=large-intestine&organ=heart'), ['LI20'], 'both filters: a Large Intestine point a source links to the heart')
    t.equal((await get('/v1/acupoints?channelOrgan=brain')).statusCode, 400, 'channelOrgan takes one of the twelve organs')

    // Totals count every match, whatever the page.
    t.equal((await get('/v1/acupoints?limit=5')).json().total, 362)
    t.equal((await get('/v1/acupoints?channel=st&limit=5')).json().total, 45)
    t.equal((await get('/v1/acupoints?organ=spleen')).json().total, 0)
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
    const cursor = (value: unknown) => `/v1/acupoints?cursor=${Buffer.from(JSON.stringify(value)).toString('base64url')}`
    t.equal((await get(cursor({ k: '1 OR 1=1' }))).statusCode, 400)
    // Values a database would refuse (int4) or that no page can hold are the client's error, not a 500.
    for (const value of [{ s: 0, k: 2 ** 31 }, { s: -1, k: 1 }, { s: 10 ** 9, k: 1 }, { s: 0, k: 1.5 }, { s: 0, k: 1, x: 1 }, { s: '0', k: 1 }]) {
      t.equal((await get(cursor(value))).statusCode, 400, `cursor ${JSON.stringify(value)} is refused`)
    }
    t.same((await get(cursor({ k: 2000 }))).json().items[0].code, 'LI1', 'a cursor from before search ranking still works')
    t.same((await get(cursor({ s: 0, k: 2 ** 31 - 1 }))).json().items, [], 'the largest sort key is simply the end')
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
