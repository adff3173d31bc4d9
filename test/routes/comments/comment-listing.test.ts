import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import type { TestDatabase } from '../../helpers/test-database.js'
import { SEED_SLUG, freshIp, moderate, submitComment } from '../../helpers/comments.js'

const OTHER_SLUG = 'ear-points'

/** Follows the `Link: rel="next"` header from `url` to the last page, collecting the items. */
async function allPages(app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  const pages: Array<Array<Record<string, any>>> = []
  let next: string | undefined = url
  while (next) {
    const response: LightMyRequestResponse = await app.inject({ url: next, headers })
    if (response.statusCode !== 200) throw new Error(`${next}: ${response.statusCode} ${response.body}`)
    pages.push(response.json().items)
    next = /<([^>]+)>; rel="next"/.exec(String(response.headers.link ?? ''))?.[1]
    if (pages.length > 50) throw new Error('the cursor never ended')
  }
  return pages
}

/** Gives each comment a creation time, so that the expected order is neither insertion nor id order. */
async function setCreatedAt(db: TestDatabase, times: Map<string, string>) {
  for (const [id, at] of times) await db.query('UPDATE comments SET created_at = $2 WHERE id = $1', [id, at])
}

async function publishOtherArticle(app: FastifyInstance) {
  const editor = await staffToken(app, 'editor')
  const created = await app.inject({
    method: 'POST', url: '/v1/articles', headers: editor.headers,
    payload: { slug: OTHER_SLUG, title: 'Ear points', summary: 'Ears', body: 'Text', attribution: 'The editors', points: ['ST36'] },
  })
  if (created.statusCode !== 201) throw new Error(created.body)
  await app.inject({ method: 'POST', url: `/v1/articles/${OTHER_SLUG}/publish`, headers: editor.headers })
}

// Creation times out of insertion order; two share a millisecond, to test the id tie-break.
const TIMES = ['2030-01-01T10:03:00.000Z', '2030-01-01T10:00:00.000Z', '2030-01-01T10:04:00.000Z', '2030-01-01T10:01:00.000Z', '2030-01-01T10:01:00.000Z']
const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
const byTimeThenId = (a: { at: string; id: string }, b: { at: string; id: string }) => compare(a.at, b.at) || compare(a.id, b.id)

t.test('the public listing: oldest first, every approved comment exactly once across pages', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  const ids: string[] = []
  for (let index = 0; index < TIMES.length; index++) ids.push((await submitComment(app)).json().id)
  // Approved in reverse order: the approval order must not matter either.
  for (const id of [...ids].reverse()) await moderate(app, id, 'approved', moderator.headers)
  await setCreatedAt(db, new Map(ids.map((id, index) => [id, TIMES[index]!])))
  const expected = ids.map((id, index) => ({ id, at: TIMES[index]! })).sort(byTimeThenId).map((entry) => entry.id)

  for (const limit of [1, 2, 100]) {
    const pages = await allPages(app, `/v1/articles/${SEED_SLUG}/comments?limit=${limit}`)
    const items = pages.flat()
    t.same(items.map((item) => item.id).slice(1), expected, `limit ${limit}: the seeded comment, then oldest first`)
    t.equal(items[0]!.createdAt, '2022-08-17T12:00:00.000Z')
    t.ok(pages.every((page) => page.length <= limit), 'no page is longer than the limit')
    const times = items.map((item) => item.createdAt as string)
    t.same(times, [...times].sort(), 'createdAt never goes backwards')
  }
})

t.test('the moderation queue: oldest first, cursor paging, status and article filters', async (t) => {
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const moderator = await staffToken(app, 'moderator')
  await publishOtherArticle(app)
  const slugs = [SEED_SLUG, OTHER_SLUG, SEED_SLUG, OTHER_SLUG, SEED_SLUG]
  const ids: string[] = []
  for (const slug of slugs) ids.push((await submitComment(app, { slug })).json().id)
  await moderate(app, ids[2]!, 'approved', moderator.headers)
  await setCreatedAt(db, new Map(ids.map((id, index) => [id, TIMES[index]!])))
  const entries = ids.map((id, index) => ({ id, at: TIMES[index]!, slug: slugs[index]!, pending: index !== 2 })).sort(byTimeThenId)

  const queue = async (query: string) => (await allPages(app, `/v1/moderation/comments?${query}`, moderator.headers)).flat()
  const pending = await queue('status=pending&limit=2')
  t.same(pending.map((item) => item.id), entries.filter((entry) => entry.pending).map((entry) => entry.id), 'pending only, oldest first, across pages')
  t.ok(pending.every((item) => item.status === 'pending'))

  const other = await queue(`status=all&article=${OTHER_SLUG}&limit=1`)
  t.same(other.map((item) => item.id), entries.filter((entry) => entry.slug === OTHER_SLUG).map((entry) => entry.id), 'one article, any status')
  t.ok(other.every((item) => item.articleSlug === OTHER_SLUG))

  const both = await queue(`status=approved&article=${SEED_SLUG}&limit=1`)
  t.same(both.map((item) => item.id).filter((id) => ids.includes(id)), [ids[2]], 'filters combine')
  t.ok(both.every((item) => item.status === 'approved' && item.articleSlug === SEED_SLUG))

  const everything = await queue('status=all&limit=3')
  const mine = everything.filter((item) => ids.includes(item.id))
  t.same(mine.map((item) => item.id), entries.map((entry) => entry.id), 'status=all: every status, oldest first')
  const times = everything.map((item) => item.createdAt as string)
  t.same(times, [...times].sort())

  const byDefault = await queue('limit=2')
  t.same(byDefault.map((item) => item.id), pending.map((item) => item.id), 'without a status: the pending comments only, the work to do')
  t.ok(byDefault.every((item) => item.status === 'pending'))
  t.notOk(byDefault.some((item) => item.id === ids[2]), 'the approved comment is not in the default queue')

  t.same(await queue('article=no-such-article'), [], 'an unknown article has an empty queue')
  t.same(await queue('status=all&article=no-such-article'), [], 'with any status')
  for (const bad of ['status=everything', 'status=', 'status=ALL', 'needsAttention=maybe']) {
    const refused = await app.inject({ url: `/v1/moderation/comments?${bad}`, headers: moderator.headers })
    t.equal(refused.statusCode, 400, `${bad} is refused`)
  }
  t.equal((await app.inject({ url: '/v1/moderation/comments?cursor=bogus', headers: moderator.headers })).statusCode, 400)
})

t.test('the moderation queue filters by needsAttention, on its own and with a status', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_HOLD_WORDS: 'miracle cure' })
  const moderator = await staffToken(app, 'moderator')
  const flagged = (await submitComment(app, { payload: { body: 'A miracle cure, surely?' } })).json().id as string
  const plain = (await submitComment(app)).json().id as string
  const flaggedApproved = (await submitComment(app, { payload: { body: 'Another miracle cure story.' } })).json().id as string
  t.equal((await moderate(app, flaggedApproved, 'approved', moderator.headers)).statusCode, 200)

  const ids = async (query: string) => {
    const response = await app.inject({ url: `/v1/moderation/comments?limit=100&${query}`, headers: moderator.headers })
    t.equal(response.statusCode, 200, query)
    return (response.json().items as Array<{ id: string; needsAttention: boolean }>).map((item) => item.id).filter((id) => [flagged, plain, flaggedApproved].includes(id))
  }
  t.same(await ids('needsAttention=true'), [flagged], 'pending (the default) and flagged')
  t.same(await ids('needsAttention=false'), [plain], 'pending and not flagged')
  t.same(await ids('status=all&needsAttention=true'), [flagged, flaggedApproved], 'flagged, any status')
  t.same(await ids('status=approved&needsAttention=true'), [flaggedApproved])
  t.same(await ids('status=approved&needsAttention=false'), [])
  t.same(await ids('status=all'), [flagged, plain, flaggedApproved], 'without needsAttention: both')
})

t.test('flood control lets the same client in again once the window has passed', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '1' })
  const ip = freshIp()
  t.equal((await submitComment(app, { ip })).statusCode, 202)
  const early = await submitComment(app, { ip })
  t.equal(early.statusCode, 429)
  t.equal(early.headers['retry-after'], '1')
  await new Promise((resolve) => setTimeout(resolve, 1_100))
  t.equal((await submitComment(app, { ip })).statusCode, 202, 'accepted after Retry-After')
})
