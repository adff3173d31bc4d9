import t, { type Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { freshIp, moderate, submitComment } from '../../helpers/comments.js'

/** Flags comment `id` from `clients` distinct addresses; every flag must be counted. */
async function flagFrom(t: Test, app: FastifyInstance, id: string, clients: number, reason = 'spam') {
  for (let index = 0; index < clients; index++) {
    const response = await app.inject({ method: 'POST', url: `/v1/comments/${id}/flags`, remoteAddress: freshIp(), payload: { reason } })
    t.equal(response.statusCode, 202, `flag ${index + 1} on ${id} is counted`)
  }
}

async function approved(app: FastifyInstance, headers: Record<string, string>) {
  const { id } = (await submitComment(app)).json()
  const decided = await moderate(app, id, 'approved', headers)
  if (decided.statusCode !== 200) throw new Error(decided.body)
  return id as string
}

t.test('the queue: pending by default, flagged and needsAttention filters, sort=flags, counts', async (t) => {
  // A threshold the test never reaches with its flags, so flagged comments stay approved.
  const { app, db } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_FLAG_THRESHOLD: '100', COMMENT_HOLD_WORDS: 'miracle' })
  const moderator = await staffToken(app, 'moderator')
  const held = (await submitComment(app)).json().id as string
  const attention = (await submitComment(app, { payload: { body: 'A miracle, truly.' } })).json().id as string
  const once = await approved(app, moderator.headers)
  const thrice = await approved(app, moderator.headers)
  const twice = await approved(app, moderator.headers)
  await flagFrom(t, app, once, 1)
  await flagFrom(t, app, thrice, 3, 'abuse')
  await flagFrom(t, app, twice, 2)
  const mine = [held, attention, once, thrice, twice]
  const ids = async (query: string) => {
    const response = await app.inject({ url: `/v1/moderation/comments?limit=100&${query}`, headers: moderator.headers })
    t.equal(response.statusCode, 200, query)
    return (response.json().items as Array<{ id: string }>).map((item) => item.id).filter((id) => mine.includes(id))
  }

  t.same(await ids(''), [held, attention], 'no status: the pending comments only, oldest first')
  t.same(await ids('needsAttention=true'), [attention], 'needsAttention=true keeps to pending by default')
  t.same(await ids('flagged=true'), [], 'no pending comment has flags')
  t.same(await ids('status=approved&flagged=true'), [once, thrice, twice], 'flagged approved comments, oldest first')
  t.same(await ids('status=approved&flagged=false'), [], 'every approved comment here has flags')
  t.same(await ids('status=all&flagged=false'), [held, attention])
  t.same(await ids('status=approved&flagged=true&sort=flags'), [thrice, twice, once], 'sort=flags: most flags first')
  t.same(await ids('status=all&sort=flags'), [thrice, twice, once, held, attention], 'then oldest first among equals')

  // sort=flags pages with its own cursor, one comment a page, without skipping or repeating.
  const paged: string[] = []
  let next: string | undefined = '/v1/moderation/comments?status=all&sort=flags&limit=1'
  while (next) {
    const response: LightMyRequestResponse = await app.inject({ url: next, headers: moderator.headers })
    t.equal(response.statusCode, 200)
    paged.push(...(response.json().items as Array<{ id: string }>).map((item) => item.id))
    next = /<([^>]+)>; rel="next"/.exec(String(response.headers.link ?? ''))?.[1]
    if (paged.length > 50) throw new Error('the cursor never ended')
  }
  t.same(paged.filter((id) => mine.includes(id)), [thrice, twice, once, held, attention], 'paged by flags: the same order')
  // A cursor from one sort is refused by the other, not misread.
  const oldestCursor = /cursor=([^&>]+)/.exec(String((await app.inject({ url: '/v1/moderation/comments?status=all&limit=1', headers: moderator.headers })).headers.link))?.[1]
  t.ok(oldestCursor)
  t.equal((await app.inject({ url: `/v1/moderation/comments?status=all&sort=flags&cursor=${oldestCursor}`, headers: moderator.headers })).statusCode, 400)
  // A flag count past PostgreSQL's integer is a bad cursor (400), not the database's out-of-range error.
  const huge = Buffer.from(JSON.stringify({ f: 2_147_483_648, t: '2026-01-01T00:00:00.000Z', id: thrice })).toString('base64url')
  const hugeResponse = await app.inject({ url: `/v1/moderation/comments?status=all&sort=flags&cursor=${huge}`, headers: moderator.headers })
  t.equal(hugeResponse.statusCode, 400, 'a flag count beyond int4 in the cursor')
  t.equal(hugeResponse.json().code, 'invalid_cursor')
  for (const bad of ['sort=newest', 'flagged=perhaps']) {
    t.equal((await app.inject({ url: `/v1/moderation/comments?${bad}`, headers: moderator.headers })).statusCode, 400, `${bad} is refused`)
  }

  // The queue item shows the flags: counts by reason, never who flagged.
  const item = (await app.inject({ url: `/v1/moderation/comments/${thrice}`, headers: moderator.headers })).json()
  t.same(item.flags, { count: 3, reasons: { spam: 0, abuse: 3, off_topic: 0, other: 0 }, notes: [] })

  const counts = (await app.inject({ url: '/v1/moderation/comments/counts', headers: moderator.headers })).json()
  const expected = await db.one(`SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
                                        count(*) FILTER (WHERE status = 'pending' AND needs_attention)::int AS "needsAttention",
                                        count(*) FILTER (WHERE flag_count > 0)::int AS flagged FROM comments`)
  t.equal(counts.pending, expected.pending)
  t.equal(counts.needsAttention, expected.needsAttention)
  t.ok(counts.needsAttention >= 1, 'the comment held for attention is counted')
  t.equal(counts.flagged, 3, 'the three flagged comments')
})

t.test('a comment sent back by flags is in the default queue, needing attention, most flagged first', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0', COMMENT_FLAG_THRESHOLD: '2' })
  const moderator = await staffToken(app, 'moderator')
  const plain = (await submitComment(app)).json().id as string
  const reported = await approved(app, moderator.headers)
  const before = (await app.inject({ url: '/v1/moderation/comments/counts', headers: moderator.headers })).json()
  await flagFrom(t, app, reported, 2)
  const queue = (await app.inject({ url: '/v1/moderation/comments?sort=flags&limit=100', headers: moderator.headers })).json().items as Array<{ id: string; needsAttention: boolean; status: string }>
  t.same(queue.map((item) => item.id).filter((id) => [plain, reported].includes(id)), [reported, plain], 'the flagged one first')
  t.match(queue.find((item) => item.id === reported), { status: 'pending', needsAttention: true })
  const after = (await app.inject({ url: '/v1/moderation/comments/counts', headers: moderator.headers })).json()
  t.equal(after.pending, before.pending + 1, 'one more pending')
  t.equal(after.needsAttention, before.needsAttention + 1, 'and one more needing attention')
  t.equal(after.flagged, before.flagged + 1)
})
