import type { PrismaClient } from '../generated/prisma/client.js'
import type { CommentStatus } from '../generated/prisma/enums.js'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, PreconditionFailedError } from '../errors/app-errors.js'
import { classify, commentFingerprint, hasControlCharacters, isVisiblyBlank, normaliseBody, type CommentPolicy } from './comment-policy.js'
import { commentEtag, presentReceiptView, publicThreadKeys, receiptMatches, sha256 } from './comment-service.js'
import { invalidating, type ReferenceCache } from './reference-cache.js'
import { assertAcceptingComments, type ThreadFacts } from './comment-threads.js'
import { recordWebhookEvent, scrubCommentPayloads } from './webhooks/webhook-events.js'

export interface AuthorSettings extends CommentPolicy {
  /** COMMENTS_CLOSE_AFTER_DAYS, as for submissions. */
  closeAfterDays: number
  /** COMMENT_EDIT_WINDOW_MINUTES: how long after submitting the author may edit (0: never). */
  editWindowMinutes: number
}

interface OwnedRow {
  id: string
  articleId: string
  status: CommentStatus
  authorName: string
  authorEmail: string | null
  body: string
  receiptTokenHash: Uint8Array
  version: number
  createdAt: Date
  updatedAt: Date
  withdrawnAt: Date | null
  article: ThreadFacts & { slug: string }
}

const notFound = (id: string) => new NotFoundError(`No comment has the id ${id}.`, 'comment_not_found')

/**
 * What the author of a comment may do with its receipt token: edit it within the window, and
 * withdraw it. To anyone without the token the comment does not exist here (404), so the routes
 * reveal nothing a GET without it would not. Each change is one transaction with its history entry:
 * the place a `comment.edited` notice would be recorded too.
 */
export function createCommentAuthorService(
  prisma: PrismaClient,
  settings: AuthorSettings,
  cache: ReferenceCache,
  /** Told after a commit that queued webhook deliveries. */
  onOutbox: () => void = () => {},
) {
  /** The comment, locked for this transaction, if the token is its receipt; otherwise 404. */
  async function lockOwned(tx: Pick<PrismaClient, '$queryRaw'>, id: string, receiptToken: string | undefined): Promise<OwnedRow> {
    const [row] = await tx.$queryRaw<OwnedRow[]>`
      SELECT c.id::text, c.article_id::text AS "articleId", c.status::text AS status, c.author_name AS "authorName", c.author_email AS "authorEmail",
             c.body, c.receipt_token_hash AS "receiptTokenHash", c.version, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
             c.withdrawn_at AS "withdrawnAt",
             json_build_object('slug', a.slug, 'status', a.status, 'commentsOpen', a.comments_open, 'publishedAt', a.published_at) AS article
        FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.id = ${id}::uuid FOR UPDATE OF c`
    if (!row || !receiptMatches(row.receiptTokenHash, receiptToken)) throw notFound(id)
    return row
  }

  async function receipt(id: string) {
    const comment = await prisma.comment.findUniqueOrThrow({ where: { id }, include: { article: { select: { slug: true } } } })
    return { comment: presentReceiptView(comment), etag: commentEtag(comment) }
  }

  return {
    /**
     * The author's new text, checked as a submission is (control characters, blank, links and word
     * lists). An approved comment goes back to `pending` (a spam verdict: `spam`), out of public view
     * until a moderator approves it again; the old text is kept in its history.
     */
    async edit(id: string, receiptToken: string | undefined, ifMatch: string, input: { body: string }) {
      if (hasControlCharacters(input.body)) {
        throw new BadRequestError('body contains control characters.', [{ in: 'body', pointer: '/body', message: 'contains control characters' }])
      }
      const body = normaliseBody(input.body)
      if (isVisiblyBlank(body)) throw new BadRequestError('The comment must not be blank.', [{ in: 'body', pointer: '/body', message: 'is blank' }])

      let queued = 0
      const changed = await invalidating(cache, () => prisma.$transaction(async (tx) => {
        const row = await lockOwned(tx, id, receiptToken)
        if (row.withdrawnAt) throw notFound(id)
        if (commentEtag(row) !== ifMatch) throw new PreconditionFailedError()
        if (row.status === 'rejected') {
          throw new ForbiddenError('A rejected comment cannot be edited: submit a new one.', 'comment_rejected')
        }
        // A thread that takes no new comments takes no new text either (403 comments_closed, as a submission).
        assertAcceptingComments(row.article.slug, { ...row.article, publishedAt: row.article.publishedAt && new Date(row.article.publishedAt) }, settings.closeAfterDays)
        const closesAt = row.createdAt.getTime() + settings.editWindowMinutes * 60_000
        if (Date.now() >= closesAt) {
          throw new ForbiddenError(
            `A comment can be edited for ${settings.editWindowMinutes} minute(s) after it was submitted; that time ended at ${new Date(closesAt).toISOString()}.`,
            'edit_window_closed',
          )
        }
        // The same text again changes nothing (an idempotent retry).
        if (body === row.body) return false
        const verdict = classify({ name: row.authorName, email: row.authorEmail ?? '', body, honeypot: undefined }, settings)
        // Spam stays spam (its author is told `pending` whatever happens): editing is no way to probe the checks.
        const status: CommentStatus = row.status === 'spam' || verdict.status === 'spam' ? 'spam' : 'pending'
        // Erased comments keep the fingerprint the erasure gave them (it is not derived from the address).
        const fingerprint = row.authorEmail ? commentFingerprint(row.articleId, row.authorEmail, row.authorName, body) : null
        if (fingerprint) {
          const [taken] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM comments WHERE fingerprint = ${fingerprint} AND id <> ${id}::uuid`
          if (taken) throw new ConflictError('You have already posted this comment on this article.', 'duplicate_comment')
        }
        const reason = `Edited by the author${verdict.signals.length > 0 ? `; ${verdict.signals.map((signal) => signal.detail).join(' ')}` : ''}`
        await tx.$executeRaw`
          UPDATE comments SET body = ${body}, status = ${status}::"CommentStatus", needs_attention = ${verdict.needsAttention},
                 spam_signals = ${JSON.stringify(verdict.signals)}::jsonb, fingerprint = COALESCE(${fingerprint}, fingerprint),
                 edited_at = CURRENT_TIMESTAMP, version = version + 1, updated_at = CURRENT_TIMESTAMP
           WHERE id = ${id}::uuid`
        await tx.moderationEvent.create({
          data: { kind: 'author_edit', commentId: id, fromStatus: row.status, toStatus: status, reason, previousBody: row.body },
        })
        // Spam stays unannounced, as at submission: a spammer's edits are nobody's work.
        if (status !== 'spam') {
          queued = await recordWebhookEvent(tx, 'comment.edited', {
            commentId: id, articleSlug: row.article.slug, authorName: row.authorName, body, previousBody: row.body,
            from: row.status, to: status, editedAt: new Date().toISOString(),
          })
        }
        return true
      // What a moderator's decision clears: the thread's pages and the articles' comment counts
      // (the comments trigger tells the other instances, at commit).
      }), ...publicThreadKeys())
      if (queued > 0) onOutbox()
      return { ...(await receipt(id)), changed }
    },

    /**
     * Withdraws a comment: its text and everything that identifies its author go (name, e-mail, IP
     * address, client, user agent), at any time. The row stays as a tombstone, so replies keep their
     * thread: the public page shows it (empty, `withdrawn: true`) only while a visible reply hangs
     * from it. Withdrawing again is a no-op.
     */
    async withdraw(id: string, receiptToken: string | undefined, ifMatch: string | undefined) {
      await invalidating(cache, () => prisma.$transaction(async (tx) => {
        const row = await lockOwned(tx, id, receiptToken)
        if (row.withdrawnAt) return
        if (ifMatch !== undefined && ifMatch !== '*' && commentEtag(row) !== ifMatch) throw new PreconditionFailedError()
        await tx.$executeRaw`
          UPDATE comments SET body = '', author_name = '', author_email = NULL, ip_address = NULL, client_key = NULL, user_agent = NULL,
                 spam_signals = '[]'::jsonb, needs_attention = false,
                 fingerprint = ${sha256(`withdrawn:${id}`).toString('hex')},
                 withdrawn_at = CURRENT_TIMESTAMP, version = version + 1, updated_at = CURRENT_TIMESTAMP
           WHERE id = ${id}::uuid`
        // Earlier text kept by edits is the author's too.
        await tx.$executeRaw`UPDATE moderation_events SET previous_body = NULL WHERE comment_id = ${id}::uuid AND previous_body IS NOT NULL`
        // And what the webhook outbox holds of it (submitted, edited, flagged, status changes).
        await scrubCommentPayloads(tx, [id], { authorName: '', body: '' })
        await tx.moderationEvent.create({
          data: { kind: 'withdrawal', commentId: id, fromStatus: row.status, toStatus: row.status, reason: 'Withdrawn by the author' },
        })
      }), ...publicThreadKeys())
    },
  }
}

export type CommentAuthorService = ReturnType<typeof createCommentAuthorService>
