import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { SEED_SLUG, freshIp, moderate, submitComment } from '../../helpers/comments.js'

const DAY_MS = 24 * 60 * 60 * 1000

async function patchArticle(app: FastifyInstance, slug: string, headers: Record<string, string>, payload: Record<string, unknown>) {
  const read = await app.inject({ url: `/v1/articles/${slug}`, headers })
  return app.inject({ method: 'PATCH', url: `/v1/articles/${slug}`, headers: { ...headers, 'if-match': read.headers.etag as string }, payload })
}

function expectClosed(t: Test, response: Awaited<ReturnType<typeof submitComment>>, message: string) {
  t.equal(response.statusCode, 403, message)
  t.match(response.headers['content-type'], /^application\/problem\+json/, 'a problem')
  t.equal(response.json().code, 'comments_closed')
  t.equal(response.json().type, 'urn:acupoint-api:problem:comments_closed')
}

t.test('an editor closes a thread: submissions get 403 comments_closed, reading goes on, reopening lets them in', async (t) => {
  const statements: string[] = []
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' }, { onQuery: (sql) => statements.push(sql) })
  const editor = await staffToken(app, 'editor')
  const moderator = await staffToken(app, 'moderator')

  const open = (await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json()
  t.equal(open.commentsOpen, true, 'threads are open by default')
  t.equal(open.acceptingComments, true)
  t.equal(open.commentsCloseAt, null, 'no automatic close unless COMMENTS_CLOSE_AFTER_DAYS is set')

  // Before closing: one comment waiting, one approved to reply to.
  const waiting = (await submitComment(app)).json()
  const approved = (await submitComment(app)).json()
  t.equal((await moderate(app, approved.id, 'approved', moderator.headers)).statusCode, 200)

  // A submission that is accepted takes the per-client locks in a transaction: the control for the check below.
  statements.length = 0
  t.equal((await submitComment(app)).statusCode, 202)
  t.ok(statements.some((sql) => /pg_advisory_xact_lock/.test(sql)), 'an accepted submission opens its transaction (control)')

  const noIfMatch = await app.inject({ method: 'PATCH', url: `/v1/articles/${SEED_SLUG}`, headers: editor.headers, payload: { commentsOpen: false } })
  t.equal(noIfMatch.statusCode, 428, 'closing is an edit like any other: If-Match is required')
  const closing = await patchArticle(app, SEED_SLUG, editor.headers, { commentsOpen: false })
  t.equal(closing.statusCode, 200)
  t.equal(closing.json().commentsOpen, false, 'the editor representation has the switch')
  t.equal(closing.json().acceptingComments, false)
  t.not(closing.headers.etag, undefined)

  const publicView = await app.inject({ url: `/v1/articles/${SEED_SLUG}` })
  t.equal(publicView.statusCode, 200)
  t.equal(publicView.json().acceptingComments, false, 'the public article says so at once (this process cleared its cache)')
  t.equal(publicView.json().commentsOpen, false)

  statements.length = 0
  expectClosed(t, await submitComment(app), 'a new comment is refused')
  t.notOk(statements.some((sql) => /pg_advisory_xact_lock|INSERT|BEGIN/i.test(sql)), 'refused before any transaction or lock')
  expectClosed(t, await submitComment(app, { payload: { parentId: approved.id } }), 'a reply is refused too')
  expectClosed(t, await submitComment(app, { payload: { website: 'https://spam.example' } }), 'spam too: the thread is closed to everyone')

  const list = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })
  t.equal(list.statusCode, 200, 'the thread is still read')
  t.ok(list.json().items.some((item: { id: string }) => item.id === approved.id), 'with its approved comments')
  const receipt = await app.inject({ url: `/v1/comments/${waiting.id}`, headers: { 'x-receipt-token': waiting.receiptToken } })
  t.equal(receipt.statusCode, 200, 'a receipt still reads')
  t.equal((await moderate(app, waiting.id, 'approved', moderator.headers)).statusCode, 200, 'moderators still decide on what was submitted before')
  const afterDecision = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })
  t.ok(afterDecision.json().items.some((item: { id: string }) => item.id === waiting.id), 'and a comment approved after closing is public')

  const reopening = await patchArticle(app, SEED_SLUG, editor.headers, { commentsOpen: true })
  t.equal(reopening.statusCode, 200)
  t.equal(reopening.json().acceptingComments, true)
  t.equal((await submitComment(app)).statusCode, 202, 'reopened: accepted again')
})

t.test('an article created closed stays closed once published; a draft never accepts comments', async (t) => {
  const { app } = await buildTestApp(t)
  const editor = await staffToken(app, 'editor')
  const created = await app.inject({
    method: 'POST', url: '/v1/articles', headers: editor.headers,
    payload: { slug: 'closed-from-the-start', title: 'Closed', summary: 'No comments', body: 'Text', attribution: 'The editors', commentsOpen: false },
  })
  t.equal(created.statusCode, 201)
  t.equal(created.json().commentsOpen, false)
  t.equal(created.json().acceptingComments, false)

  const draft = await app.inject({
    method: 'POST', url: '/v1/articles', headers: editor.headers,
    payload: { slug: 'open-draft', title: 'Open draft', summary: 'Draft', body: 'Text', attribution: 'The editors' },
  })
  t.equal(draft.json().commentsOpen, true, 'open unless said otherwise')
  t.equal(draft.json().acceptingComments, false, 'but a draft takes no comments')
  t.equal((await submitComment(app, { slug: 'open-draft' })).statusCode, 404, 'a draft is 404, not 403: it does not exist to the public')

  const published = await app.inject({ method: 'POST', url: '/v1/articles/closed-from-the-start/publish', headers: editor.headers })
  t.equal(published.statusCode, 200)
  t.equal(published.json().acceptingComments, false)
  expectClosed(t, await submitComment(app, { slug: 'closed-from-the-start' }), 'published closed: refused')
  t.equal((await app.inject({ url: '/v1/articles/closed-from-the-start/comments' })).statusCode, 200, 'its (empty) thread reads')
})

t.test('COMMENTS_CLOSE_AFTER_DAYS closes a thread that many days after publishedAt', async (t) => {
  // No cache, so the publication dates this test sets are read at once.
  const { app, db } = await buildTestApp(t, { COMMENTS_CLOSE_AFTER_DAYS: '30', COMMENT_FLOOD_SECONDS: '0', REFERENCE_CACHE_SECONDS: '0' })
  const setPublishedAt = (at: Date) => db.query('UPDATE articles SET published_at = $2 WHERE slug = $1', [SEED_SLUG, at])

  const recent = new Date(Date.now() - 29 * DAY_MS)
  await setPublishedAt(recent)
  const young = (await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json()
  t.equal(young.acceptingComments, true, '29 days after publication: open')
  t.equal(young.commentsCloseAt, new Date(recent.getTime() + 30 * DAY_MS).toISOString(), 'and says when it closes')
  t.equal((await submitComment(app)).statusCode, 202)

  const old = new Date(Date.now() - 31 * DAY_MS)
  await setPublishedAt(old)
  const aged = (await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json()
  t.equal(aged.commentsOpen, true, 'the editors\' switch is untouched')
  t.equal(aged.acceptingComments, false, '31 days after publication: closed')
  t.equal(aged.commentsCloseAt, new Date(old.getTime() + 30 * DAY_MS).toISOString())
  const refused = await submitComment(app, { ip: freshIp() })
  expectClosed(t, refused, 'a submission to an old post is refused')
  t.match(refused.json().detail, /30 day\(s\) after the article was published/, 'the detail says why')
  t.equal((await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })).statusCode, 200, 'reading an old post still works')
})

t.test('without COMMENTS_CLOSE_AFTER_DAYS an old post stays open', async (t) => {
  const { app, db } = await buildTestApp(t, { REFERENCE_CACHE_SECONDS: '0' })
  await db.query('UPDATE articles SET published_at = $2 WHERE slug = $1', [SEED_SLUG, new Date('2001-01-01T00:00:00Z')])
  const article = (await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json()
  t.equal(article.acceptingComments, true)
  t.equal(article.commentsCloseAt, null)
  t.equal((await submitComment(app)).statusCode, 202)
})
