import { ForbiddenError } from '../errors/app-errors.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** What decides whether an article's comment thread takes submissions. */
export interface ThreadFacts {
  status: 'draft' | 'published'
  /** The editors' switch (PATCH /v1/articles/{slug}). */
  commentsOpen: boolean
  /** When the article was first published: republishing keeps it, so the clock does not restart. */
  publishedAt: Date | null
}

/** When the thread closes on its own (COMMENTS_CLOSE_AFTER_DAYS after publishedAt); null: never. */
export function automaticCloseAt(publishedAt: Date | null, closeAfterDays: number): Date | null {
  if (closeAfterDays <= 0 || !publishedAt) return null
  return new Date(publishedAt.getTime() + closeAfterDays * DAY_MS)
}

/**
 * A thread accepts comments while its article is published, the editors have not closed it, and
 * the automatic close (if configured) has not come. Reading a closed thread is unaffected.
 */
export function threadState(article: ThreadFacts, closeAfterDays: number, now: Date = new Date()) {
  const closesAt = automaticCloseAt(article.publishedAt, closeAfterDays)
  return {
    acceptingComments: article.status === 'published' && article.commentsOpen && (closesAt === null || now < closesAt),
    commentsCloseAt: closesAt?.toISOString() ?? null,
  }
}

/** 403 `comments_closed` for a submission to a thread that takes none; why is in the detail. */
export function assertAcceptingComments(slug: string, article: ThreadFacts, closeAfterDays: number, now: Date = new Date()) {
  const { acceptingComments, commentsCloseAt } = threadState(article, closeAfterDays, now)
  if (acceptingComments) return
  throw new ForbiddenError(
    !article.commentsOpen || commentsCloseAt === null
      ? `The comment thread of "${slug}" is closed: it takes no new comments.`
      : `The comment thread of "${slug}" closed on ${commentsCloseAt}, ${closeAfterDays} day(s) after the article was published: it takes no new comments.`,
    'comments_closed',
  )
}
