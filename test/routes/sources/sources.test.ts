import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'

t.test('sources and claims', async (t) => {
  const { app } = await buildTestApp(t)
  const editor = await staffToken(app, 'editor')

  const page = (await app.inject({ url: '/v1/sources?limit=2' })).json()
  t.same([page.items.length, page.total], [2, 3], 'a page of two, and the total')
  const sources = (await app.inject({ url: '/v1/sources' })).json().items
  t.equal(sources.length, 3, 'the two WHO standards and the article')
  const article = sources.find((source: { kind: string }) => source.kind === 'article')
  t.equal(article.author, 'Sole Toscana Beauty Team')

  t.test('a cited source cannot be deleted', async (t) => {
    const response = await app.inject({ method: 'DELETE', url: `/v1/sources/${article.id}`, headers: editor.headers })
    t.equal(response.statusCode, 409)
    t.equal((await app.inject({ url: `/v1/sources/${article.id}` })).statusCode, 200)
  })

  t.test('renaming a source changes the ETag of every point that cites it', async (t) => {
    const point = await app.inject({ url: '/v1/acupoints/GB14' })
    const source = await app.inject({ url: `/v1/sources/${article.id}` })
    const renamed = await app.inject({
      method: 'PATCH', url: `/v1/sources/${article.id}`, headers: { ...editor.headers, 'if-match': source.headers.etag as string },
      payload: { title: 'All About Facial Acupuncture and its Benefits (blog post)' },
    })
    t.equal(renamed.statusCode, 200)
    const after = await app.inject({ url: '/v1/acupoints/GB14', headers: { 'if-none-match': point.headers.etag as string } })
    t.equal(after.statusCode, 200)
    t.match(after.json().sources[after.json().claims[0].sourceId].title, /\(blog post\)$/)
  })

  t.test('a new source and claim, edited and removed', async (t) => {
    const created = await app.inject({
      method: 'POST', url: '/v1/sources', headers: editor.headers,
      payload: { kind: 'book', title: 'A Manual of Acupuncture', author: 'Deadman, Al-Khafaji, Baker', publishedOn: '1998' },
    })
    t.equal(created.statusCode, 201)
    const sourceId = created.json().id
    t.equal((await app.inject({ method: 'POST', url: '/v1/sources', headers: editor.headers, payload: { kind: 'blog', title: 'x' } })).statusCode, 400)
    const claim = await app.inject({
      method: 'POST', url: '/v1/acupoints/LI4/claims', headers: editor.headers,
      payload: { kind: 'health_benefit', text: 'Said to relieve headaches.', keyword: 'headache', sourceId },
    })
    t.equal(claim.statusCode, 201)
    const claimId = claim.json().id
    t.equal((await app.inject({ url: `/v1/claims/${claimId}` })).json().acupointCode, 'LI4')
    const stale = await app.inject({ method: 'PATCH', url: `/v1/claims/${claimId}`, headers: { ...editor.headers, 'if-match': '"x"' }, payload: { text: 'y' } })
    t.equal(stale.statusCode, 412)
    const edited = await app.inject({
      method: 'PATCH', url: `/v1/claims/${claimId}`, headers: { ...editor.headers, 'if-match': claim.headers.etag as string }, payload: { text: 'Said to ease headaches.' },
    })
    t.equal(edited.statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url: `/v1/sources/${sourceId}`, headers: editor.headers })).statusCode, 409, 'cited by the claim')
    t.equal((await app.inject({ method: 'DELETE', url: `/v1/claims/${claimId}`, headers: editor.headers })).statusCode, 204)
    t.equal((await app.inject({ url: `/v1/claims/${claimId}` })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/v1/sources/${sourceId}`, headers: editor.headers })).statusCode, 204, 'no longer cited')
  })
})
