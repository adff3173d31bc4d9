import t from 'tap'
import type { InjectOptions } from 'fastify'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { SEED_SLUG, moderate, moderationView, submitComment } from '../helpers/comments.js'

// How many SQL statements each main read costs, counted from Prisma's own query events. A read
// whose count grows with the size of the page is an N+1; a cached read costs nothing.
// A submission: the check outside any transaction; then, in one (BEGIN is not reported), the two
// advisory locks, the check again under them, the comment with its event in one statement, COMMIT.
const SUBMISSION_STATEMENTS = 5
// A moderator's PATCH: the token with its staff member; the decision, its ETag check and its event in
// one statement (no transaction held across round trips); the moderation view it answers with, its
// article and history joined in (relationJoins).
const DECISION_STATEMENTS = 3
// A reader's flag below the threshold, in one transaction: the comment locked, the flag, its count,
// the comment.flagged outbox insert (a no-op without subscribers), COMMIT.
const FLAG_STATEMENTS = 5
// An author's edit, in one transaction: the comment locked, the duplicate check, the update, its history
// entry, the comment.edited outbox insert, COMMIT; then the receipt it answers with (its article joined in).
const EDIT_STATEMENTS = 7

t.test('SQL statements per request', async (t) => {
  const statements: string[] = []
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' }, { onQuery: (sql) => statements.push(sql) })
  const moderator = await staffToken(app, 'moderator')

  async function cost(url: string, headers: Record<string, string> = {}) {
    statements.length = 0
    const response = await app.inject({ url, headers })
    t.equal(response.statusCode, 200, `${url} answers 200`)
    return { count: statements.length, statements: [...statements], body: response.json(), etag: String(response.headers.etag) }
  }

  t.test('a point: a fixed number of statements, then none from the cache', async (t) => {
    const cold = await cost('/v1/acupoints/LI20')
    t.ok(cold.count >= 1, 'the first read goes to the database')
    // Issue 13: the point with everything it presents, as JSON built by PostgreSQL (acupoint-detail-query.ts).
    t.equal(cold.count, 1, `one statement for a point with its channel, claims, articles and sources (got ${cold.count}: ${cold.statements.join('\n')})`)
    const coldOther = await cost('/v1/acupoints/ST36')
    t.equal(coldOther.count, cold.count, 'another point costs the same')
    t.equal((await cost('/v1/acupoints/LI20')).count, 0, 'the second read is served from the cache')
  })

  t.test('lists cost the same whatever their length (no N+1)', async (t) => {
    const short = await cost('/v1/acupoints?limit=2')
    const long = await cost('/v1/acupoints?limit=100')
    t.equal(long.body.items.length, 100)
    t.equal(long.count, short.count, `100 points cost what 2 do (${short.count})`)
    t.ok(short.count <= 2, `at most 2 statements (got ${short.count})`)

    // A search, or a filter on claims with the matching claims and their sources: one and two statements.
    t.equal((await cost('/v1/acupoints?q=Large%20Intestine&limit=100')).count, 1, 'a search: one statement, total included')
    const claimed = await cost('/v1/acupoints?effect=smile-lines')
    t.equal(claimed.body.items.length, 2)
    t.equal(claimed.count, 2, 'the page, then its matched claims with their sources')
    t.equal((await cost('/v1/acupoints?q=LI20')).count, 1, 'searches are not cached: the next costs the same')

    const small = await cost('/v1/channels/LU')
    const large = await cost('/v1/channels/BL')
    t.ok(large.body.points.length > 5 * small.body.points.length, 'BL has many more points than LU')
    t.equal(large.count, small.count, 'a channel with 67 points costs what one with 11 does')
  })

  t.test('an article with its points', async (t) => {
    const cold = await cost(`/v1/articles/${SEED_SLUG}`)
    t.equal(cold.body.points.length, 6)
    t.equal(cold.body.points.flatMap((point: { claims: unknown[] }) => point.claims).length, 22, 'with every claim about them')
    t.ok(cold.count <= 3, `at most 3 statements for the article with its 6 points, their channels and claims; the sources cited; its visible-comment count (got ${cold.count})`)
    t.equal((await cost(`/v1/articles/${SEED_SLUG}`)).count, 0, 'then none')
    const list = await cost('/v1/articles')
    t.ok(list.count <= 2, `the article list: at most 2 statements, one of them every article's comment count (got ${list.count})`)
  })

  t.test('comment pages and the moderation queue', async (t) => {
    for (let i = 0; i < 6; i += 1) {
      const submitted = await submitComment(app)
      t.equal(submitted.statusCode, 202)
      t.equal((await moderate(app, submitted.json().id, 'approved', moderator.headers)).statusCode, 200)
    }
    const url = `/v1/articles/${SEED_SLUG}/comments`
    const first = await cost(`${url}?limit=1`)
    const page = await cost(`${url}?limit=7`)
    t.equal(page.body.items.length, 7)
    t.equal(page.count, 1, `one statement for a page once the article is known (got ${page.count}: ${page.statements.join('\n')})`)
    t.notMatch(page.statements.join('\n'), /RECURSIVE/i, 'visibility is stored, not computed by a recursive query')
    const again = await cost(`${url}?limit=7`)
    t.equal(again.count, 0, 'the same page again: served from the cache, no statement')
    statements.length = 0
    const revalidated = await app.inject({ url: `${url}?limit=7`, headers: { 'if-none-match': again.etag } })
    t.equal(revalidated.statusCode, 304)
    t.equal(statements.length, 0, 'a 304 for a comment page costs no statement')
    const next = await cost(`${url}?limit=2&cursor=${first.body.nextCursor}`)
    t.equal(next.count, 1, 'a later page: one statement too')

    // A decision changes the page at once: the next read costs its one statement again, and shows it.
    statements.length = 0
    const held = await submitComment(app)
    t.equal(held.statusCode, 202)
    const submission = [...statements]
    const { etag } = await moderationView(app, held.json().id, moderator.headers)
    statements.length = 0
    const decided = await app.inject({
      method: 'PATCH', url: `/v1/comments/${held.json().id}`, headers: { ...moderator.headers, 'if-match': etag }, payload: { status: 'approved' },
    })
    t.equal(decided.statusCode, 200)
    const decision = [...statements]
    t.equal(submission.length, SUBMISSION_STATEMENTS, `a submission: ${submission.join('\n')}`)
    t.equal(decision.length, DECISION_STATEMENTS, `a moderator's decision: ${decision.join('\n')}`)
    const after = await cost(`${url}?limit=8`)
    t.equal(after.count, 1)
    t.ok(after.body.items.some((item: { id: string }) => item.id === held.json().id), 'the approved comment is on the next read')
    const queueOne = await cost('/v1/moderation/comments?status=all&limit=1', moderator.headers)
    const queueSeven = await cost('/v1/moderation/comments?status=all&limit=7', moderator.headers)
    t.ok(queueSeven.body.items.length > 1)
    t.equal(queueSeven.count, queueOne.count, 'the queue, with each comment\'s history, costs the same for 1 or 7 comments')
  })

  t.test('a reader\'s flag and an author\'s edit: a fixed number of statements', async (t) => {
    const submitted = await submitComment(app)
    const { id, receiptToken } = submitted.json()
    t.equal((await moderate(app, id, 'approved', moderator.headers)).statusCode, 200)
    const write = async (request: InjectOptions) => {
      statements.length = 0
      const response = await app.inject(request)
      return { status: response.statusCode, statements: [...statements], etag: response.headers.etag }
    }
    // In one transaction (BEGIN is not reported): the comment locked, the flag inserted, the count kept, COMMIT.
    const flagged = await write({ method: 'POST', url: `/v1/comments/${id}/flags`, remoteAddress: '127.0.0.9', payload: { reason: 'spam' } })
    t.equal(flagged.status, 202)
    t.equal(flagged.statements.length, FLAG_STATEMENTS, `a flag: ${flagged.statements.join('\n')}`)
    const repeat = await write({ method: 'POST', url: `/v1/comments/${id}/flags`, remoteAddress: '127.0.0.9', payload: { reason: 'spam' } })
    t.equal(repeat.status, 200)
    t.equal(repeat.statements.length, 3, 'a repeated flag counts nothing: the lock, the insert that does nothing, COMMIT')
    const etag = (await app.inject({ url: `/v1/comments/${id}`, headers: { 'x-receipt-token': receiptToken } })).headers.etag as string
    const edited = await write({ method: 'PATCH', url: `/v1/comments/${id}/by-author`, headers: { 'x-receipt-token': receiptToken, 'if-match': etag }, payload: { body: 'Edited text' } })
    t.equal(edited.status, 200)
    t.equal(edited.statements.length, EDIT_STATEMENTS, `an edit: ${edited.statements.join('\n')}`)
  })
})
