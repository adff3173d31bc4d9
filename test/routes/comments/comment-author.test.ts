import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { SEED_SLUG, moderate, moderationView, submitComment } from '../../helpers/comments.js'

async function submitted(app: FastifyInstance, payload: Record<string, unknown> = {}) {
  const response = await submitComment(app, { payload })
  if (response.statusCode !== 202) throw new Error(response.body)
  return response.json() as { id: string; receiptToken: string }
}

const read = (app: FastifyInstance, id: string, token?: string) =>
  app.inject({ url: `/v1/comments/${id}`, headers: token ? { 'x-receipt-token': token } : {} })

async function edit(app: FastifyInstance, id: string, token: string | undefined, body: string, etag?: string) {
  const current = etag ?? (await read(app, id, token)).headers.etag as string
  return app.inject({
    method: 'PATCH', url: `/v1/comments/${id}/by-author`,
    headers: { ...(token ? { 'x-receipt-token': token } : {}), ...(current ? { 'if-match': current } : {}) },
    payload: { body },
  })
}

const publicIds = async (app: FastifyInstance) =>
  ((await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })).json().items as Array<{ id: string }>).map((item) => item.id)

t.test('an author\'s edit sends an approved comment back to the queue and off the public page', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const comment = await submitted(app, { body: 'Does Yintang help with sleep?' })
  t.equal((await moderate(app, comment.id, 'approved', moderator.headers)).statusCode, 200)

  // A reader's copy of the page, and its ETag, before the edit.
  const page = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments` })
  t.ok(page.json().items.some((item: { id: string }) => item.id === comment.id), 'public before the edit')
  const articleBefore = (await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json()

  const edited = await edit(app, comment.id, comment.receiptToken, 'Does Yintang help with sleep at night?')
  t.equal(edited.statusCode, 200, edited.body)
  t.match(edited.json(), { id: comment.id, body: 'Does Yintang help with sleep at night?', status: 'pending', withdrawn: false })
  t.ok(edited.json().editedAt, 'editedAt is set')
  t.ok(edited.headers.etag, 'the new ETag')

  t.notOk((await publicIds(app)).includes(comment.id), 'off the public page at once')
  const revalidated = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments`, headers: { 'if-none-match': page.headers.etag as string } })
  t.equal(revalidated.statusCode, 200, 'the page\'s old ETag no longer matches')
  t.not(revalidated.headers.etag, page.headers.etag)
  t.equal((await read(app, comment.id)).statusCode, 404, 'not readable without the receipt any more')
  const articleAfter = (await app.inject({ url: `/v1/articles/${SEED_SLUG}` })).json()
  t.equal(articleAfter.approvedCommentCount, articleBefore.approvedCommentCount - 1, 'the article\'s public comment count follows')

  const view = (await moderationView(app, comment.id, moderator.headers)).body
  t.equal(view.status, 'pending')
  t.ok(view.editedAt)
  const last = view.history.at(-1)
  t.match(last, { kind: 'author_edit', fromStatus: 'approved', toStatus: 'pending', previousBody: 'Does Yintang help with sleep?', staffMember: null })
  t.ok((await app.inject({ url: '/v1/moderation/comments?limit=100', headers: moderator.headers })).json().items.some((item: { id: string }) => item.id === comment.id),
    'back in the default queue')

  // Approved again, it is public again with the new text.
  t.equal((await moderate(app, comment.id, 'approved', moderator.headers)).statusCode, 200)
  const listed = (await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })).json().items.find((item: { id: string }) => item.id === comment.id)
  t.equal(listed?.body, 'Does Yintang help with sleep at night?')
  t.equal((await db.one('SELECT count(*)::int AS n FROM moderation_events WHERE comment_id = $1', [comment.id])).n, 4, 'submission, approval, edit, approval')
})

t.test('editing: the receipt, If-Match, the window, the checks', async (t) => {
  const { app, db } = await buildTestApp(t, {
    COMMENT_FLOOD_SECONDS: '0', COMMENT_EDIT_WINDOW_MINUTES: '5', COMMENT_SPAM_WORDS: 'casino', COMMENT_MAX_LINKS: '1', COMMENT_RATE_LIMIT_PER_MINUTE: '1000',
  })
  const moderator = await staffToken(app, 'moderator')
  const comment = await submitted(app)
  const etag = (await read(app, comment.id, comment.receiptToken)).headers.etag as string

  const noToken = await edit(app, comment.id, undefined, 'New text', etag)
  t.equal(noToken.statusCode, 404, 'without the receipt: 404, as if it did not exist')
  t.equal(noToken.json().code, 'comment_not_found')
  const other = await submitted(app)
  t.equal((await edit(app, comment.id, other.receiptToken, 'New text', etag)).statusCode, 404, 'another comment\'s receipt: 404')
  t.equal((await edit(app, '00000000-0000-4000-8000-000000000000', comment.receiptToken, 'New text', etag)).statusCode, 404)

  const noIfMatch = await app.inject({ method: 'PATCH', url: `/v1/comments/${comment.id}/by-author`, headers: { 'x-receipt-token': comment.receiptToken }, payload: { body: 'x' } })
  t.equal(noIfMatch.statusCode, 428, 'If-Match is required')
  t.equal((await edit(app, comment.id, comment.receiptToken, 'New text', '"stale"')).statusCode, 412, 'a stale ETag: 412')

  t.equal((await edit(app, comment.id, comment.receiptToken, '   ')).statusCode, 400, 'blank')
  t.equal((await edit(app, comment.id, comment.receiptToken, 'bad \u0007 bell')).statusCode, 400, 'control characters')

  // The submission checks: links and word lists.
  const linky = await edit(app, comment.id, comment.receiptToken, 'See https://a.example and https://b.example')
  t.equal(linky.statusCode, 200)
  t.equal(linky.json().status, 'pending')
  const afterLinks = (await moderationView(app, comment.id, moderator.headers)).body
  t.equal(afterLinks.needsAttention, true, 'too many links: held for attention')
  t.match(afterLinks.spamSignals, [{ signal: 'links' }])
  const spammy = await edit(app, comment.id, comment.receiptToken, 'Visit my casino')
  t.equal(spammy.statusCode, 200)
  t.equal(spammy.json().status, 'pending', 'the author is told pending')
  t.equal((await moderationView(app, comment.id, moderator.headers)).body.status, 'spam', 'but it is stored as spam')
  // Duplicate of another comment of the same author on the article: 409.
  const first = await submitted(app, { authorName: 'Twin', authorEmail: 'twin@example.org', body: 'The original' })
  const second = await submitted(app, { authorName: 'Twin', authorEmail: 'twin@example.org', body: 'Something else' })
  t.ok(first.id)
  const duplicate = await edit(app, second.id, second.receiptToken, 'The original')
  t.equal(duplicate.statusCode, 409)
  t.equal(duplicate.json().code, 'duplicate_comment')

  // The same text again changes nothing.
  const same = await read(app, second.id, second.receiptToken)
  const again = await edit(app, second.id, second.receiptToken, same.json().body, same.headers.etag as string)
  t.equal(again.statusCode, 200)
  t.equal(again.headers.etag, same.headers.etag, 'no new version')

  // A rejected comment cannot be edited.
  t.equal((await moderate(app, other.id, 'rejected', moderator.headers)).statusCode, 200)
  const rejected = await edit(app, other.id, other.receiptToken, 'Please reconsider')
  t.equal(rejected.statusCode, 403)
  t.equal(rejected.json().code, 'comment_rejected')

  // A closed thread takes no new text (as it takes no submission).
  await db.query("UPDATE articles SET comments_open = false WHERE slug = $1", [SEED_SLUG])
  const closed = await edit(app, second.id, second.receiptToken, 'Closed thread')
  t.equal(closed.statusCode, 403)
  t.equal(closed.json().code, 'comments_closed')
  await db.query("UPDATE articles SET comments_open = true WHERE slug = $1", [SEED_SLUG])

  // Past the window: 403 edit_window_closed, and nothing changes.
  await db.query("UPDATE comments SET created_at = now() - interval '6 minutes' WHERE id = $1", [second.id])
  const late = await edit(app, second.id, second.receiptToken, 'Too late')
  t.equal(late.statusCode, 403)
  t.equal(late.json().code, 'edit_window_closed')
  t.equal((await read(app, second.id, second.receiptToken)).json().body, 'Something else')
  await db.query("UPDATE comments SET created_at = now() - interval '4 minutes' WHERE id = $1", [second.id])
  t.equal((await edit(app, second.id, second.receiptToken, 'Just in time')).statusCode, 200, 'inside the window')
})

t.test('withdrawal removes the text and personal data and keeps the thread together', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const parent = await submitted(app, { authorName: 'Parent', body: 'The question' })
  t.equal((await moderate(app, parent.id, 'approved', moderator.headers)).statusCode, 200)
  const reply = await submitted(app, { parentId: parent.id, body: 'The answer' })
  t.equal((await moderate(app, reply.id, 'approved', moderator.headers)).statusCode, 200)
  const lonely = await submitted(app, { body: 'Nobody answered me' })
  t.equal((await moderate(app, lonely.id, 'approved', moderator.headers)).statusCode, 200)
  const page = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100` })

  const unauthorised = await app.inject({ method: 'DELETE', url: `/v1/comments/${parent.id}` })
  t.equal(unauthorised.statusCode, 404, 'without the receipt: 404')
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/comments/${parent.id}`, headers: { 'x-receipt-token': parent.receiptToken, 'if-match': '"stale"' } })).statusCode, 412)

  for (const comment of [parent, lonely]) {
    const withdrawn = await app.inject({ method: 'DELETE', url: `/v1/comments/${comment.id}`, headers: { 'x-receipt-token': comment.receiptToken } })
    t.equal(withdrawn.statusCode, 204)
  }
  const again = await app.inject({ method: 'DELETE', url: `/v1/comments/${parent.id}`, headers: { 'x-receipt-token': parent.receiptToken } })
  t.equal(again.statusCode, 204, 'withdrawing again is a no-op')

  const stored = await db.one('SELECT author_name, author_email, ip_address, client_key, user_agent, body, status::text, withdrawn_at FROM comments WHERE id = $1', [parent.id])
  t.match(stored, { author_name: '', author_email: null, ip_address: null, client_key: null, user_agent: null, body: '', status: 'approved' })
  t.ok(stored.withdrawn_at)

  const after = await app.inject({ url: `/v1/articles/${SEED_SLUG}/comments?limit=100`, headers: { 'if-none-match': page.headers.etag as string } })
  t.equal(after.statusCode, 200, 'the page changed')
  const items = after.json().items as Array<{ id: string; parentId: string | null; authorName: string; body: string; withdrawn: boolean }>
  const tombstone = items.find((item) => item.id === parent.id)
  t.same(tombstone && { authorName: tombstone.authorName, body: tombstone.body, withdrawn: tombstone.withdrawn }, { authorName: '', body: '', withdrawn: true },
    'a withdrawn comment with a visible reply stays as an empty placeholder')
  t.match(items.find((item) => item.id === reply.id), { parentId: parent.id, body: 'The answer', withdrawn: false }, 'the reply keeps its thread')
  t.notOk(items.some((item) => item.id === lonely.id), 'a withdrawn comment without replies leaves the page')
  t.notOk(JSON.stringify(items).includes('The question'), 'the text is gone')

  // Its author reads it as withdrawn; it takes no edits and no replies.
  t.match((await read(app, parent.id, parent.receiptToken)).json(), { withdrawn: true, body: '', authorName: '' })
  t.equal((await edit(app, parent.id, parent.receiptToken, 'Back again')).statusCode, 404)
  const replyToTombstone = await submitComment(app, { payload: { parentId: parent.id } })
  t.equal(replyToTombstone.statusCode, 400)
  t.equal(replyToTombstone.json().code, 'invalid_parent')

  const history = (await moderationView(app, parent.id, moderator.headers)).body.history
  t.match(history.at(-1), { kind: 'withdrawal', fromStatus: 'approved', toStatus: 'approved', staffMember: null })

  // When the reply goes, so does the placeholder.
  t.equal((await moderate(app, reply.id, 'rejected', moderator.headers)).statusCode, 200)
  t.notOk((await publicIds(app)).includes(parent.id), 'no visible reply left: the tombstone is not listed')
})

t.test('withdrawing a held comment takes it out of the queue; an edit then withdrawal keeps no old text', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const comment = await submitted(app, { body: 'First words' })
  t.equal((await edit(app, comment.id, comment.receiptToken, 'Second words')).statusCode, 200)
  const counts = (await app.inject({ url: '/v1/moderation/comments/counts', headers: moderator.headers })).json()
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/comments/${comment.id}`, headers: { 'x-receipt-token': comment.receiptToken } })).statusCode, 204)
  const queue = (await app.inject({ url: '/v1/moderation/comments?limit=100', headers: moderator.headers })).json().items as Array<{ id: string }>
  t.notOk(queue.some((item) => item.id === comment.id), 'not in the default queue')
  t.equal((await app.inject({ url: '/v1/moderation/comments/counts', headers: moderator.headers })).json().pending, counts.pending - 1)
  const leftovers = await db.one(`SELECT count(*)::int AS n FROM moderation_events WHERE comment_id = $1 AND (previous_body IS NOT NULL OR reason LIKE '%words%')`, [comment.id])
  t.equal(leftovers.n, 0, 'the earlier text is gone from the history too')
})

t.test('edits are rate-limited like submissions', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_RATE_LIMIT_PER_MINUTE: '2' })
  const comment = await submitted(app)
  const statuses: number[] = []
  for (const text of ['One', 'Two', 'Three']) statuses.push((await edit(app, comment.id, comment.receiptToken, text)).statusCode)
  t.same(statuses, [200, 200, 429], 'the third edit in a minute is refused')
})
