import type { PrismaClient } from '../generated/prisma/client.js'
import type { CommentStatus, FlagReason } from '../generated/prisma/enums.js'
import { BadRequestError, NotFoundError, PreconditionFailedError } from '../errors/app-errors.js'
import { clientKey } from '../http/client-address.js'
import { hasControlCharacters, isVisiblyBlank, normaliseBody } from './comment-policy.js'
import { commentEtag, loadModerationComment, presentModerationComment, publicThreadKeys, sha256 } from './comment-service.js'
import type { ReferenceCache } from './reference-cache.js'
import { recordWebhookEvent } from './webhooks/webhook-events.js'

export interface FlagSettings {
  /** COMMENT_FLAG_THRESHOLD: distinct readers' flags that send an approved comment back to the queue. */
  flagThreshold: number
}

/**
 * Who flagged, as stored: a SHA-256 of the client (IPv4 address or IPv6 /64, as flood control counts
 * it) salted with the comment id, so one client's flags on different comments cannot be linked by
 * the hashes alone. Enough to count a client once per comment; never shown to anyone.
 */
export const flaggerHash = (commentId: string, ipAddress: string) => sha256(`flag:${commentId.toLowerCase()}:${clientKey(ipAddress)}`).toString('hex')

/**
 * Readers' flags on public comments, and moderators dismissing them. Reaching the threshold sends
 * an approved comment back to the queue (`pending`, `needsAttention`) in the transaction that
 * counted the flag, which also records the `comment.flagged` webhook event.
 */
export function createCommentFlagService(
  prisma: PrismaClient,
  settings: FlagSettings,
  cache: ReferenceCache,
  /** Told after a commit that queued webhook deliveries. */
  onOutbox: () => void = () => {},
) {
  return {
    /** `counted`: false when this client had flagged the comment already (nothing changes). */
    async flag(id: string, input: { reason: FlagReason; note?: string | undefined }, meta: { ipAddress: string }) {
      if (input.note !== undefined && hasControlCharacters(input.note)) {
        throw new BadRequestError('note contains control characters.', [{ in: 'body', pointer: '/note', message: 'contains control characters' }])
      }
      const note = input.note === undefined || isVisiblyBlank(input.note) ? null : normaliseBody(input.note)
      const clientHash = flaggerHash(id, meta.ipAddress)
      let requeued = false
      let queued = 0
      const outcome = await prisma.$transaction(async (tx) => {
        // Only what the public can see can be flagged: approved, every comment above it approved, its article published, not withdrawn.
        const [comment] = await tx.$queryRaw<Array<{ status: CommentStatus; visible: boolean; articleSlug: string; authorName: string; body: string }>>`
          SELECT c.status::text AS status, a.slug AS "articleSlug", c.author_name AS "authorName", c.body, (c.is_public AND a.status = 'published' AND c.withdrawn_at IS NULL) AS visible
            FROM comments c JOIN articles a ON a.id = c.article_id
           WHERE c.id = ${id}::uuid FOR UPDATE OF c`
        if (!comment?.visible) throw new NotFoundError(`No comment has the id ${id}.`, 'comment_not_found')
        const inserted = await tx.$queryRaw<Array<{ id: string }>>`
          INSERT INTO comment_flags (id, comment_id, client_hash, reason, note)
          VALUES (gen_random_uuid(), ${id}::uuid, ${clientHash}, ${input.reason}::"FlagReason", ${note})
          ON CONFLICT (comment_id, client_hash) DO NOTHING RETURNING id::text`
        if (inserted.length === 0) return { counted: false }
        const [{ flagCount }] = await tx.$queryRaw<[{ flagCount: number }]>`
          UPDATE comments SET flag_count = flag_count + 1 WHERE id = ${id}::uuid RETURNING flag_count AS "flagCount"`
        // Crossing the threshold sends it back, once: a moderator who approves it again has seen those
        // flags, and further flags do not undo that decision one by one; dismissing them starts the count afresh.
        if (flagCount === settings.flagThreshold && comment.status === 'approved') {
          // Back to the queue, out of public view (the visibility trigger hides it and its replies, and tells every instance).
          await tx.$executeRaw`
            UPDATE comments SET status = 'pending', needs_attention = true, version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = ${id}::uuid`
          const reasons = await tx.$queryRaw<Array<{ reason: string; n: number }>>`
            SELECT reason::text, count(*)::int AS n FROM comment_flags WHERE comment_id = ${id}::uuid AND dismissed_at IS NULL GROUP BY reason ORDER BY reason`
          await tx.moderationEvent.create({
            data: {
              kind: 'flagged', commentId: id, fromStatus: 'approved', toStatus: 'pending',
              reason: `${flagCount} readers flagged it (${reasons.map((row) => `${row.reason}: ${row.n}`).join(', ')}); back in the queue`,
            },
          })
          requeued = true
        }
        // Every counted flag, so a moderation screen can show flags as they come; `requeued` says
        // whether this one sent the comment back. Never who flagged.
        queued = await recordWebhookEvent(tx, 'comment.flagged', {
          commentId: id, articleSlug: comment.articleSlug, authorName: comment.authorName, body: comment.body,
          reason: input.reason, note, flagCount, threshold: settings.flagThreshold,
          requeued, status: requeued ? 'pending' : comment.status,
        })
        return { counted: true }
      })
      if (requeued) cache.clear(...publicThreadKeys())
      if (queued > 0) onOutbox()
      return { ...outcome, commentId: id }
    },

    /**
     * The moderator looked at the flags and sets them aside: they stop counting (the comment's
     * status is not changed: that is a decision, PATCH /v1/comments/{id}). Recorded in the history.
     * With If-Match, only if the comment is as the moderator saw it.
     */
    async dismiss(id: string, ifMatch: string | undefined, reason: string | undefined, staffMemberId: string) {
      // Nothing public changes: no cache to clear.
      return prisma.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<Array<{ id: string; status: CommentStatus; version: number; updatedAt: Date; flagCount: number }>>`
          SELECT id::text, status::text AS status, version, updated_at AS "updatedAt", flag_count AS "flagCount"
            FROM comments WHERE id = ${id}::uuid FOR UPDATE`
        if (!row) throw new NotFoundError(`No comment has the id ${id}.`, 'comment_not_found')
        if (ifMatch !== undefined && ifMatch !== '*' && commentEtag(row) !== ifMatch) throw new PreconditionFailedError()
        const dismissed = await tx.$executeRaw`
          UPDATE comment_flags SET dismissed_at = CURRENT_TIMESTAMP WHERE comment_id = ${id}::uuid AND dismissed_at IS NULL`
        if (dismissed > 0) {
          await tx.$executeRaw`
            UPDATE comments SET flag_count = 0, version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = ${id}::uuid`
          await tx.moderationEvent.create({
            data: {
              kind: 'flags_dismissed', commentId: id, staffMemberId, fromStatus: row.status, toStatus: row.status,
              reason: `${dismissed} flag(s) dismissed${reason ? `: ${reason}` : ''}`,
            },
          })
        }
        return { comment: presentModerationComment(await loadModerationComment(tx, id)), dismissed }
      })
    },
  }
}

export type CommentFlagService = ReturnType<typeof createCommentFlagService>
