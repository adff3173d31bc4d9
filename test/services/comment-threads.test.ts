import t from 'tap'
import { AppError } from '../../src/errors/app-errors.js'
import { assertAcceptingComments, automaticCloseAt, threadState } from '../../src/services/comment-threads.js'

const PUBLISHED = new Date('2026-01-01T00:00:00.000Z')
const at = (iso: string) => new Date(iso)

t.test('the automatic close: publishedAt plus the days, or never', async (t) => {
  t.equal(automaticCloseAt(PUBLISHED, 0), null, '0: never')
  t.equal(automaticCloseAt(null, 30), null, 'never published: no date')
  t.equal(automaticCloseAt(PUBLISHED, 30)?.toISOString(), '2026-01-31T00:00:00.000Z')
  t.equal(automaticCloseAt(PUBLISHED, 1)?.toISOString(), '2026-01-02T00:00:00.000Z')
})

t.test('a thread accepts comments while published, switched on and before its close', async (t) => {
  const open = { status: 'published' as const, commentsOpen: true, publishedAt: PUBLISHED }
  t.same(threadState(open, 0, at('2100-01-01T00:00:00Z')), { acceptingComments: true, commentsCloseAt: null })
  t.same(threadState(open, 30, at('2026-01-30T23:59:59.999Z')), { acceptingComments: true, commentsCloseAt: '2026-01-31T00:00:00.000Z' }, 'a millisecond before')
  t.same(threadState(open, 30, at('2026-01-31T00:00:00.000Z')), { acceptingComments: false, commentsCloseAt: '2026-01-31T00:00:00.000Z' }, 'closed at the instant')
  t.equal(threadState({ ...open, commentsOpen: false }, 0).acceptingComments, false, 'switched off')
  t.equal(threadState({ ...open, status: 'draft' }, 0).acceptingComments, false, 'a draft')
})

t.test('a submission to a closed thread is a 403 comments_closed that says why', async (t) => {
  const open = { status: 'published' as const, commentsOpen: true, publishedAt: PUBLISHED }
  t.doesNotThrow(() => assertAcceptingComments('a', open, 30, at('2026-01-15T00:00:00Z')))
  const switched = t.throws(() => assertAcceptingComments('a', { ...open, commentsOpen: false }, 0)) as AppError
  t.equal(switched.statusCode, 403)
  t.equal(switched.code, 'comments_closed')
  t.match(switched.message, /"a" is closed/)
  const aged = t.throws(() => assertAcceptingComments('a', open, 30, at('2026-02-01T00:00:00Z'))) as AppError
  t.equal(aged.statusCode, 403)
  t.equal(aged.code, 'comments_closed')
  t.match(aged.message, /closed on 2026-01-31T00:00:00\.000Z, 30 day\(s\) after/)
})
