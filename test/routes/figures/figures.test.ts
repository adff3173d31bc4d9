import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { SEED_SLUG } from '../../helpers/comments.js'

t.test('figures of the head and face', async (t) => {
  const { app, db } = await buildTestApp(t)
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers })

  t.test('the article\'s figure: an SVG image, locked down and cacheable', async (t) => {
    const response = await get(`/v1/articles/${SEED_SLUG}/figure.svg`)
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'image/svg+xml; charset=utf-8')
    t.equal(response.headers['content-security-policy'], "default-src 'none'", 'nothing can run or load inside it')
    t.equal(response.headers['cross-origin-resource-policy'], 'cross-origin', 'another site may show it in an <img>')
    t.equal(response.headers['x-content-type-options'], 'nosniff')
    const svg = response.body
    t.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    t.match(svg, /<svg [^>]*role="img" aria-labelledby="figure-title figure-desc"/, 'announced as one image, named by its title and description')
    t.match(svg, /<title id="figure-title">Facial acupuncture: six points and what is claimed for them: the points on a face<\/title>/)
    const desc = /<desc id="figure-desc">([^<]*)<\/desc>/.exec(svg)?.[1] ?? ''
    for (const code of ['EX-HN3', 'GB14', 'ST2', 'ST4', 'SI18', 'LI20']) t.match(desc, code, `the description names ${code}`)
    t.match(desc, /In the nasolabial groove|nasolabial groove/, 'and gives each location')
    t.notMatch(svg, /<script|style=|<style|href=|url\(|on[a-z]+=/i, 'no script, style, link or handler')
    const labels = [...svg.matchAll(/<text [^>]*class="label" data-code="([^"]+)" data-side="(\w+)"[^>]*><tspan font-weight="bold">([^<]+)<\/tspan> ([^<]+)<\/text>/g)]
    t.same(labels.map((label) => `${label[1]}/${label[2]}`).sort(), [
      'EX-HN3/midline', 'GB14/left', 'GB14/right', 'LI20/left', 'LI20/right', 'SI18/left', 'SI18/right', 'ST2/left', 'ST2/right', 'ST4/left', 'ST4/right',
    ], 'Yintang once on the midline; every bilateral point labelled on both sides')
    t.ok(labels.every((label) => label[1] === label[3]), 'each label gives the code …')
    t.same([...new Set(labels.map((label) => `${label[3]} ${label[4]}`))].sort(),
      ['EX-HN3 Yintang', 'GB14 Yangbai', 'LI20 Yingxiang', 'SI18 Quanliao', 'ST2 Sibai', 'ST4 Dicang'], '… and the pinyin')

    const etag = response.headers.etag as string
    t.match(etag, /^"[\w-]+"$/)
    const again = await get(`/v1/articles/${SEED_SLUG}/figure.svg`, { 'if-none-match': etag })
    t.equal(again.statusCode, 304)
    t.equal(again.body, '')
    t.equal(again.headers.etag, etag)
    t.equal((await get(`/v1/articles/${SEED_SLUG}/figure.svg`)).body, svg, 'the same bytes every time')
    const head = await app.inject({ method: 'HEAD', url: `/v1/articles/${SEED_SLUG}/figure.svg` })
    t.equal(head.statusCode, 200)
    t.equal(head.body, '')
  })

  t.test('a point\'s figure: every head and face point, one or two views', async (t) => {
    const { rows } = await db.query<{ code: string }>("SELECT code FROM acupoints WHERE region IN ('head', 'face') ORDER BY sort_key")
    t.equal(rows.length, 61)
    const views = { front: 0, lateral: 0, both: 0 }
    for (const { code } of rows) {
      const response = await get(`/v1/acupoints/${code}/figure.svg`)
      t.equal(response.statusCode, 200, `${code} is drawn`)
      const drawn = [...response.body.matchAll(/<g class="view" data-view="(\w+)"/g)].map((match) => match[1])
      const markers = [...response.body.matchAll(/<circle [^>]*class="point" data-code="([^"]+)"/g)].map((match) => match[1])
      t.ok(markers.length > 0 && markers.every((marker) => marker === code), `${code}: marked, and nothing else`)
      if (drawn.length === 2) views.both++
      else views[drawn[0] as 'front' | 'lateral']++
    }
    t.ok(views.front > 0 && views.lateral > 0 && views.both > 0, `front only ${views.front}, lateral only ${views.lateral}, both ${views.both}`)

    const yintang = await get('/v1/acupoints/gv29/figure.svg')
    t.equal(yintang.statusCode, 200, 'an alternate code finds the figure')
    t.match(yintang.body, /<title id="figure-title">EX-HN3 Yintang \(Hall of Impression\)<\/title>/)
    const gv28 = (await get('/v1/acupoints/GV28/figure.svg')).body
    t.match(gv28, /stroke-dasharray="3 2" class="point"/, 'a point inside the mouth is drawn hollow')
    t.match(gv28, /Inside the mouth/, 'and the description says why')
  })

  t.test('points elsewhere have no figure; unknown ones are not found', async (t) => {
    const st36 = await get('/v1/acupoints/ST36/figure.svg')
    t.equal(st36.statusCode, 404)
    t.equal(st36.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(st36.json().code, 'no_figure')
    t.equal((await get('/v1/acupoints/XX99/figure.svg')).json().code, 'acupoint_not_found')
    t.equal((await get('/v1/articles/no-such-article/figure.svg')).json().code, 'article_not_found')
    t.equal((await get('/v1/acupoints/..%2Fetc/figure.svg')).statusCode, 400)
  })

  t.test('figures follow the data: an edit shows at once, drafts stay hidden, an article of body points has none', async (t) => {
    const editor = await staffToken(app, 'editor')
    const before = await get('/v1/acupoints/LI20/figure.svg')
    const point = await get('/v1/acupoints/LI20')
    const patched = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': point.headers.etag as string }, payload: { pinyin: 'Yingxiang (edited)' },
    })
    t.equal(patched.statusCode, 200)
    const after = await get('/v1/acupoints/LI20/figure.svg', { 'if-none-match': before.headers.etag as string })
    t.equal(after.statusCode, 200, 'the old ETag no longer matches')
    t.match(after.body, /LI20<\/tspan> Yingxiang \(edited\)/)

    const draft = await app.inject({
      method: 'POST', url: '/v1/articles', headers: editor.headers,
      payload: { slug: 'legs', title: 'Leg points', summary: 's', body: 'b', attribution: 'The editors', points: ['ST36', 'SP6'] },
    })
    t.equal(draft.statusCode, 201)
    t.equal(draft.json().figure, null, 'an article whose points are not on the face links no figure')
    t.equal((await get('/v1/articles/legs/figure.svg')).json().code, 'article_not_found', 'a draft has no public figure')
    t.equal((await app.inject({ method: 'POST', url: '/v1/articles/legs/publish', headers: editor.headers })).statusCode, 200)
    t.equal((await get('/v1/articles/legs/figure.svg')).json().code, 'no_figure')
  })
})
