import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { freshIp, moderationView, submitComment } from '../../helpers/comments.js'

t.test('submission defences', async (t) => {
  const { app, db } = await buildTestApp(t, {
    COMMENT_MAX_LINKS: '1',
    COMMENT_SPAM_WORDS: 'casino,cheap pills',
    COMMENT_HOLD_WORDS: 'miracle cure',
  })
  const moderator = await staffToken(app, 'moderator')
  const view = async (id: string) => (await moderationView(app, id, moderator.headers)).body

  t.test('honeypot: stored as spam, answered as pending', async (t) => {
    const response = await submitComment(app, { payload: { website: 'http://bot.example' } })
    t.equal(response.statusCode, 202)
    t.equal(response.json().status, 'pending', 'the bot learns nothing')
    const stored = await view(response.json().id)
    t.equal(stored.status, 'spam')
    t.same(stored.spamSignals.map((signal: { signal: string }) => signal.signal), ['honeypot'])
    const receipt = await app.inject({ url: `/v1/comments/${response.json().id}`, headers: { 'x-receipt-token': response.json().receiptToken } })
    t.equal(receipt.json().status, 'pending', 'nor does its receipt')
  })

  t.test('a repeated comment is a 409', async (t) => {
    const payload = { authorName: 'Sam', authorEmail: 'sam@example.org', body: 'Same words' }
    t.equal((await submitComment(app, { payload })).statusCode, 202)
    const again = await submitComment(app, { payload: { ...payload, body: '  Same words  ' } })
    t.equal(again.statusCode, 409, 'same article, author and (normalised) body')
    t.equal(again.json().code, 'duplicate_comment')
    const sameAuthor = await submitComment(app, { payload: { authorName: '  SAM ', authorEmail: 'Sam@Example.ORG', body: 'Same words' } })
    t.equal(sameAuthor.statusCode, 409, 'the author is the same whatever the case and spacing of name and e-mail')
    t.equal((await db.one("SELECT count(*)::int AS n FROM comments WHERE body = 'Same words'")).n, 1)
  })

  t.test('flood control: one comment per 15 s per IP or e-mail', async (t) => {
    const ip = freshIp()
    t.equal((await submitComment(app, { ip })).statusCode, 202)
    const sameIp = await submitComment(app, { ip })
    t.equal(sameIp.statusCode, 429)
    t.equal(sameIp.json().code, 'comment_flood')
    const retryAfter = Number(sameIp.headers['retry-after'])
    t.ok(retryAfter >= 1 && retryAfter <= 15, `Retry-After is ${retryAfter}`)
    t.equal((await submitComment(app, { payload: { authorEmail: 'flood@example.org' } })).statusCode, 202)
    t.equal((await submitComment(app, { payload: { authorEmail: 'FLOOD@example.org' } })).statusCode, 429, 'same e-mail from another IP')
  })

  t.test('flood control counts an IPv6 client by its /64', async (t) => {
    const prefix = `2001:db8:${randomBytes(2).toString('hex')}:1`
    t.equal((await submitComment(app, { ip: `${prefix}::1` })).statusCode, 202)
    const rotated = await submitComment(app, { ip: `${prefix}:ffff:ffff:ffff:fffe` })
    t.equal(rotated.statusCode, 429, 'another address in the same /64 is the same client')
    t.equal(rotated.json().code, 'comment_flood')
    t.equal((await submitComment(app, { ip: `${prefix.slice(0, -1)}2::1` })).statusCode, 202, 'the next /64 is another client')
  })

  t.test('links and word lists', async (t) => {
    const links = await submitComment(app, { payload: { body: 'See https://a.example and www.b.example now' } })
    const linked = await view(links.json().id)
    t.equal(linked.status, 'pending')
    t.equal(linked.needsAttention, true)
    t.match(linked.spamSignals[0], { signal: 'links', detail: /2 links/ })
    const spam = await view((await submitComment(app, { payload: { body: 'Best CASINO bonus' } })).json().id)
    t.equal(spam.status, 'spam')
    t.match(spam.spamSignals[0], { signal: 'spam_word', detail: /casino/ })
    const hold = await view((await submitComment(app, { payload: { body: 'This is a miracle cure!' } })).json().id)
    t.equal(hold.status, 'pending')
    t.equal(hold.needsAttention, true)
    const clean = await view((await submitComment(app, { payload: { body: 'Casinos aside, thanks.' } })).json().id)
    t.equal(clean.needsAttention, false, 'words match whole words only')
    t.match(spam.history[0].reason, /casino/, 'the reason is recorded in the history')
  })
})

t.test('duplicates: only the same article, author and body', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const payload = { authorName: 'Kim  Lee', authorEmail: 'kim@example.org', body: 'Same words' }
  t.equal((await submitComment(app, { payload })).statusCode, 202)
  t.equal((await submitComment(app, { payload: { ...payload, authorName: 'kim lee' } })).statusCode, 409, 'name case and spacing do not matter')
  // Issue 11: duplicate detection ignored case and spacing changes in the body.
  for (const [body, what] of [
    ['same words', 'case'], ['SAME   WORDS', 'case and spacing'], ['Same\n\nwords', 'line breaks'], ['Same\u200Bwords'.replace('\u200B', ' \u200B'), 'an invisible character'],
    ['Ｓａｍｅ ｗｏｒｄｓ', 'full-width letters (NFKC)'], ['Same words\u00A0', 'a trailing no-break space'],
  ] as const) {
    const repeat = await submitComment(app, { payload: { ...payload, body } })
    t.equal(repeat.statusCode, 409, `a body that differs only in ${what} is the same comment`)
  }
  t.equal((await submitComment(app, { payload: { ...payload, body: 'Same words!' } })).statusCode, 202, 'different words are another comment')
  t.equal((await submitComment(app, { payload: { ...payload, authorName: 'Kim Leeds' } })).statusCode, 202, 'another name is another author')
  t.equal((await submitComment(app, { payload: { ...payload, authorEmail: 'kim@example.net' } })).statusCode, 202, 'another e-mail is another author')
})

t.test('the per-IP rate limit', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_RATE_LIMIT_PER_MINUTE: '2', COMMENT_FLOOD_SECONDS: '0' })
  const ip = freshIp()
  t.equal((await submitComment(app, { ip })).statusCode, 202)
  t.equal((await submitComment(app, { ip })).statusCode, 202)
  const limited = await submitComment(app, { ip })
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal((await submitComment(app, { ip: freshIp() })).statusCode, 202, 'other addresses are unaffected')

  const prefix = `2001:db8:${randomBytes(2).toString('hex')}:7`
  t.equal((await submitComment(app, { ip: `${prefix}::1` })).statusCode, 202)
  t.equal((await submitComment(app, { ip: `${prefix}::2` })).statusCode, 202)
  const rotated = await submitComment(app, { ip: `${prefix}:abcd::3` })
  t.equal(rotated.statusCode, 429, 'rotating IPv6 addresses inside one /64 does not reset the limit')
  t.equal(rotated.json().code, 'rate_limited')
})

t.test('with REDIS_URL, instances share the rate limit', async (t) => {
  const env = { COMMENT_RATE_LIMIT_PER_MINUTE: '2', COMMENT_FLOOD_SECONDS: '0', REDIS_URL: 'redis://127.0.0.1:6379' }
  const first = await buildTestApp(t, env)
  const second = await buildTestApp(t, env)
  const ip = freshIp()
  t.equal((await submitComment(first.app, { ip })).statusCode, 202)
  t.equal((await submitComment(second.app, { ip })).statusCode, 202)
  t.equal((await submitComment(first.app, { ip })).statusCode, 429, 'the third request is limited, whichever instance gets it')
  t.equal((await submitComment(second.app, { ip })).statusCode, 429)
})
