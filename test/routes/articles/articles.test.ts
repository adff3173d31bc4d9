import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { moderate, submitComment } from '../../helpers/comments.js'

const SLUG = 'facial-acupuncture-six-points'

t.test('articles', async (t) => {
  const { app } = await buildTestApp(t)
  const editor = await staffToken(app, 'editor')
  const moderator = await staffToken(app, 'moderator')

  t.test('the seed article is published with its points, cautions and plan', async (t) => {
    const response = await app.inject({ url: `/v1/articles/${SLUG}` })
    t.equal(response.statusCode, 200)
    const article = response.json()
    t.equal(article.status, 'published')
    t.same(article.points.map((point: { code: string }) => point.code), ['EX-HN3', 'GB14', 'ST2', 'ST4', 'SI18', 'LI20'])
    t.match(article.attribution, /Sole Toscana Beauty Team/)
    t.equal(article.sources[article.sourceId].author, 'Sole Toscana Beauty Team')
    // Renderable from this one response: each point's claims, each source once.
    const claims = article.points.flatMap((point: { claims: Array<{ sourceId: string; kind: string }> }) => point.claims)
    t.equal(claims.length, 22, 'the six points come with their 22 claims')
    for (const point of article.points) {
      t.ok(point.claims.some((claim: { kind: string }) => claim.kind === 'linked_organ'), `${point.code}: its claimed organ is there`)
    }
    t.same(Object.keys(article.sources), [article.sourceId], 'one source, cited by the article and all 22 claims, written once')
    t.equal(response.body.split('"publisher":').length - 1, 1)
    t.same(article.figure, { href: `/v1/articles/${SLUG}/figure.svg`, views: ['front'] })
    const li20 = article.points.find((point: { code: string }) => point.code === 'LI20')
    t.same(li20.channel, { code: 'LI', name: 'Large Intestine', organ: 'large-intestine' }, 'the channel\'s organ beside the claimed one')
    const conditions = article.cautions.map((caution: { condition: string }) => caution.condition)
    t.same(conditions, ['bleeding-disorder', 'uncontrolled-diabetes', 'bruising'])
    t.equal(article.cautions.find((caution: { condition: string }) => caution.condition === 'bruising').typicalDurationDays, 7)
    t.same(article.treatmentPlan.phases.map((phase: { sessionsPerMonth: unknown }) => phase.sessionsPerMonth), [{ min: 8, max: 10 }, { min: 1, max: 1 }])
    t.notMatch(article.body, /Just as with the rest of your skin, your face reflects your internal health/, 'not the source\'s sentences')
    const list = await app.inject({ url: '/v1/articles' })
    t.same(list.json().items.map((item: { slug: string }) => item.slug), [SLUG])
    t.equal(list.json().total, 1, 'the list counts the published articles')
  })

  t.test('drafts are 404 to the public and visible to editors', async (t) => {
    const created = await app.inject({
      method: 'POST', url: '/v1/articles', headers: editor.headers,
      payload: { slug: 'ear-points', title: 'Ear points', summary: 'Draft', body: 'Text', attribution: 'The editors', points: ['li20', 'ST36'] },
    })
    t.equal(created.statusCode, 201)
    t.equal(created.json().status, 'draft')
    t.same(created.json().points.map((point: { code: string }) => point.code), ['LI20', 'ST36'])

    t.equal((await app.inject({ url: '/v1/articles/ear-points' })).statusCode, 404, 'public: 404')
    t.equal((await app.inject({ url: '/v1/articles/ear-points', headers: moderator.headers })).statusCode, 404, 'moderators do not see drafts')
    const asEditor = await app.inject({ url: '/v1/articles/ear-points', headers: editor.headers })
    t.equal(asEditor.statusCode, 200)
    t.match(asEditor.headers['cache-control'], /private/)
    t.equal((await app.inject({ url: '/v1/articles/ear-points', headers: { authorization: 'Bearer nope' } })).statusCode, 401)
    t.same((await app.inject({ url: '/v1/articles' })).json().items.map((item: { slug: string }) => item.slug), [SLUG], 'not listed')
    const li20 = (await app.inject({ url: '/v1/acupoints/LI20' })).json()
    t.notOk(li20.articles.some((article: { slug: string }) => article.slug === 'ear-points'), 'not linked from points')

    const published = await app.inject({ method: 'POST', url: '/v1/articles/ear-points/publish', headers: editor.headers })
    t.equal(published.statusCode, 200)
    t.equal(published.json().status, 'published')
    t.equal((await app.inject({ url: '/v1/articles/ear-points' })).statusCode, 200)
    const both = (await app.inject({ url: '/v1/articles?limit=1' })).json()
    t.same([both.items.length, both.total], [1, 2], 'a page of one, a total of two')
    const second = (await app.inject({ url: `/v1/articles?limit=1&cursor=${both.nextCursor}` })).json()
    t.same([second.items.length, second.total, second.nextCursor], [1, 2, null], 'the total is the same on the next page')
    t.not(second.items[0].slug, both.items[0].slug)
    const again = await app.inject({ method: 'POST', url: '/v1/articles/ear-points/publish', headers: editor.headers })
    t.equal(again.statusCode, 200, 'publishing twice is a no-op')
    t.equal(again.json().publishedAt, published.json().publishedAt)
    t.equal((await app.inject({ method: 'POST', url: '/v1/articles/ear-points/unpublish', headers: editor.headers })).statusCode, 200)
    t.equal((await app.inject({ url: '/v1/articles/ear-points' })).statusCode, 404, 'unpublished: 404 again')
  })

  t.test('editing needs If-Match; bad references are 400s', async (t) => {
    const read = await app.inject({ url: `/v1/articles/${SLUG}` })
    t.equal((await app.inject({ method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: editor.headers, payload: { title: 'x' } })).statusCode, 428)
    const stale = await app.inject({ method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': '"old"' }, payload: { title: 'x' } })
    t.equal(stale.statusCode, 412)
    const unknown = await app.inject({
      method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': read.headers.etag as string }, payload: { points: ['ZZ1'] },
    })
    t.equal(unknown.statusCode, 400)
    const ok = await app.inject({
      method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': read.headers.etag as string }, payload: { title: 'Six facial points' },
    })
    t.equal(ok.statusCode, 200)
    t.equal(ok.json().points.length, 6, 'points untouched')
    const badCaution = await app.inject({
      method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': ok.headers.etag as string },
      payload: { cautions: [{ kind: 'rumour', condition: 'x', text: 'y' }] },
    })
    t.equal(badCaution.statusCode, 400, 'cautions are validated against their schema')
    const duplicateSlug = await app.inject({
      method: 'POST', url: '/v1/articles', headers: editor.headers,
      payload: { slug: SLUG, title: 't', summary: 's', body: 'b', attribution: 'a' },
    })
    t.equal(duplicateSlug.statusCode, 409)
  })
  t.test('a moderator\'s approval does not make an editor\'s pending edit stale', async (t) => {
    const read = await app.inject({ url: `/v1/articles/${SLUG}`, headers: editor.headers })
    const etag = String(read.headers.etag)
    const count = read.json().approvedCommentCount as number
    t.match(etag, new RegExp(`^"[A-Za-z0-9_-]{27}\\.${count}"$`), 'the ETag ends with the approved-comment count')

    const held = await submitComment(app)
    t.equal((await moderate(app, held.json().id, 'approved', moderator.headers)).statusCode, 200)
    const recount = await app.inject({ url: `/v1/articles/${SLUG}`, headers: { 'if-none-match': etag } })
    t.equal(recount.statusCode, 200, 'a reader\'s cached copy is not current: its count changed')
    t.equal(recount.json().approvedCommentCount, count + 1)
    t.not(recount.headers.etag, etag)

    const edited = await app.inject({
      method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': etag }, payload: { summary: `${read.json().summary} (edited)` },
    })
    t.equal(edited.statusCode, 200, 'the editor\'s ETag still names what they edit')
    t.equal(edited.json().summary, `${read.json().summary} (edited)`)
    const again = await app.inject({
      method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': etag }, payload: { summary: 'A lost update' },
    })
    t.equal(again.statusCode, 412, 'but an edit made since is still a 412')
    const forged = await app.inject({
      method: 'PATCH', url: `/v1/articles/${SLUG}`, headers: { ...editor.headers, 'if-match': `"${'A'.repeat(27)}"` }, payload: { summary: 'A forged tag' },
    })
    t.equal(forged.statusCode, 412, 'a tag without the count part matches nothing')
  })

  t.test('deleting: an article with comments is a 409 that changes nothing; one without goes', async (t) => {
    const attempt = { method: 'DELETE' as const, url: `/v1/articles/${SLUG}` }
    t.equal((await app.inject(attempt)).statusCode, 401)
    t.equal((await app.inject({ ...attempt, headers: moderator.headers })).statusCode, 403)
    const before = (await app.inject({ url: `/v1/articles/${SLUG}` })).json()
    const comments = (await app.inject({ url: `/v1/articles/${SLUG}/comments` })).json().items.length
    t.ok(comments >= 1)
    const referenced = await app.inject({ ...attempt, headers: editor.headers })
    t.equal(referenced.statusCode, 409)
    t.equal(referenced.json().code, 'still_referenced')
    t.same((await app.inject({ url: `/v1/articles/${SLUG}` })).json(), before, 'the article and its points are unchanged')
    t.equal((await app.inject({ url: `/v1/articles/${SLUG}/comments` })).json().items.length, comments, 'its comments are still there')

    const draft = await app.inject({
      method: 'POST', url: '/v1/articles', headers: editor.headers,
      payload: { slug: 'to-delete', title: 'Gone soon', summary: 's', body: 'b', attribution: 'The editors', points: ['LI4'] },
    })
    t.equal(draft.statusCode, 201)
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/articles/to-delete', headers: editor.headers })
    t.equal(deleted.statusCode, 204)
    t.equal((await app.inject({ url: '/v1/articles/to-delete', headers: editor.headers })).statusCode, 404, 'gone, even for editors')
    t.notOk((await app.inject({ url: '/v1/acupoints/LI4' })).json().articles.some((link: { slug: string }) => link.slug === 'to-delete'))
  })
})
