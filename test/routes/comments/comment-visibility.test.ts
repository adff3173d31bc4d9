import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { environmentConfig } from '../../helpers/test-database.js'
import { SEED_SLUG, holdRowLock, moderate, submitComment } from '../../helpers/comments.js'

t.test('an unpublished article takes its approved comments out of public view', async (t) => {
  const { app } = await buildTestApp(t)
  const moderator = await staffToken(app, 'moderator')
  const editor = await staffToken(app, 'editor')
  const submitted = (await submitComment(app)).json()
  t.equal((await moderate(app, submitted.id, 'approved', moderator.headers)).statusCode, 200)
  const read = (headers: Record<string, string> = {}) => app.inject({ url: `/v1/comments/${submitted.id}`, headers })
  t.equal((await read()).statusCode, 200, 'public while the article is published')

  t.equal((await app.inject({ method: 'POST', url: `/v1/articles/${SEED_SLUG}/unpublish`, headers: editor.headers })).statusCode, 200)
  const hidden = await read()
  t.equal(hidden.statusCode, 404, 'gone once the article is unpublished')
  t.equal(hidden.json().code, 'comment_not_found')
  const own = await read({ 'x-receipt-token': submitted.receiptToken })
  t.equal(own.statusCode, 200, 'its author can still read it')
  t.equal(own.json().status, 'approved')

  t.equal((await app.inject({ method: 'POST', url: `/v1/articles/${SEED_SLUG}/publish`, headers: editor.headers })).statusCode, 200)
  t.equal((await read()).statusCode, 200, 'public again once republished')
})

t.test('replies are public only while the whole thread above them is', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const top = (await submitComment(app)).json()
  await moderate(app, top.id, 'approved', moderator.headers)
  const reply = (await submitComment(app, { payload: { parentId: top.id } })).json()
  await moderate(app, reply.id, 'approved', moderator.headers)
  const nested = (await submitComment(app, { payload: { parentId: reply.id } })).json()
  await moderate(app, nested.id, 'approved', moderator.headers)

  const listing = async () => (await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })).json().items as Array<{ id: string; parentId: string | null }>
  const ids = async () => (await listing()).map((comment) => comment.id)
  t.same((await listing()).slice(1).map(({ id, parentId }) => ({ id, parentId })), [
    { id: top.id, parentId: null },
    { id: reply.id, parentId: top.id },
    { id: nested.id, parentId: reply.id },
  ], 'the thread, oldest first')

  await moderate(app, top.id, 'rejected', moderator.headers)
  const body = (await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })).body
  t.notMatch(body, top.id, 'the rejected comment\'s id appears nowhere')
  t.notOk((await ids()).includes(reply.id), 'its reply is hidden')
  t.notOk((await ids()).includes(nested.id), 'and so is the reply to the reply')
  for (const comment of [reply, nested]) {
    t.equal((await app.inject({ url: `/v1/comments/${comment.id}` })).statusCode, 404, 'not readable publicly either')
    t.equal((await app.inject({ url: `/v1/comments/${comment.id}`, headers: { 'x-receipt-token': comment.receiptToken } })).statusCode, 200,
      'but its author still sees it')
  }

  await moderate(app, top.id, 'approved', moderator.headers)
  t.same((await ids()).slice(1), [top.id, reply.id, nested.id], 'approving the top comment again brings the thread back')
  await moderate(app, reply.id, 'spam', moderator.headers)
  t.same((await ids()).slice(1), [top.id], 'a middle comment taken down hides what hangs below it')

  // The article's count is the listing's count, in the detail and in the list alike.
  const shown = (await listing()).length
  t.equal(shown, 2, 'the seed comment and the top comment')
  t.equal((await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json().approvedCommentCount, shown, 'the article counts what is shown')
  const summary = (await app.inject({ url: '/v1/articles' })).json().items.find((item: { slug: string }) => item.slug === SEED_SLUG)
  t.equal(summary.approvedCommentCount, shown, 'and so does the list')
})

t.test('a reply cannot slip in while its parent is being rejected', { skip: !environmentConfig.databaseUrl && 'PGlite is one session' }, async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const parent = (await submitComment(app)).json()
  await moderate(app, parent.id, 'approved', moderator.headers)
  // A moderator's transaction is rejecting the parent; the reply's check must wait for its outcome.
  const lock = await holdRowLock(db.url, 'comments', parent.id)
  let replied
  try {
    const replying = submitComment(app, { payload: { parentId: parent.id } })
    await lock.waitForWaiters(1)
    await lock.query("UPDATE comments SET status = 'rejected', version = version + 1 WHERE id = $1", [parent.id])
    await lock.release()
    replied = await replying
  } catch (error) {
    await lock.release().catch(() => {})
    throw error
  }
  t.equal(replied.statusCode, 400, 'the reply sees the rejection')
  t.equal(replied.json().code, 'invalid_parent')
  t.equal((await db.one('SELECT count(*)::int AS n FROM comments WHERE parent_id = $1', [parent.id])).n, 0)
})
