import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PRIVATE_NO_STORE, PUBLIC_REVALIDATE, ifMatchTag, requiredIfMatchTag } from '../../http/conditional-requests.js'
import { CACHE_HEADERS, ETAG_HEADER, IfMatchRequiredHeaders, IfNoneMatchHeaders, LINK_HEADER, NotModified, PaginationQuery, withHeaders, LOCATION_HEADER, CACHE_CONTROL_HEADER } from '../../schemas/common-schemas.js'
import {
  AuthorEditBody, AuthorEditHeaders, AuthorWithdrawHeaders, CommentIdParams, CommentPatchBody, CommentSubmitBody, FlagBody, ReceiptHeaders,
} from '../../schemas/comment-schemas.js'
import { SlugParams } from '../../schemas/editor-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { MODERATOR_ROLES, STAFF_SECURITY, sendPage } from '../route-helpers.js'

const commentRoutes: FastifyPluginAsyncTypebox<{ rateLimitPerMinute: number }> = async (app, options) => {
  app.post('/articles/:slug/comments', {
    config: { rateLimit: { max: options.rateLimitPerMinute, timeWindow: '1 minute' } },
    schema: {
      tags: ['comments'],
      operationId: 'submitComment',
      summary: 'Submit a comment for moderation',
      description:
        'Anonymous. Never published directly: the comment waits for a moderator. Keep the `receiptToken` to read ' +
        'your comment and its status later. Defences: a honeypot field (`website`), 409 for a repeat of the same ' +
        'comment, 429 with Retry-After when posting faster than one comment per 15 s (per IP or e-mail) or over the ' +
        'per-IP rate limit (an IPv6 client counts by its /64), and link and word checks that hold a comment for ' +
        'attention or mark it as spam. The response is always `pending`, even for a comment stored as spam, so ' +
        'spammers learn nothing; its receipt shows it as `pending` too. A closed thread (the article\'s ' +
        '`acceptingComments` is false: an editor set `commentsOpen` to false, or COMMENTS_CLOSE_AFTER_DAYS have passed ' +
        'since it was published) refuses every submission, replies included, with 403 `comments_closed`; its ' +
        'approved comments are still listed.',
      params: SlugParams,
      body: CommentSubmitBody,
      response: {
        202: withHeaders(Type.Ref('CommentAccepted'), { ...LOCATION_HEADER }, 'Accepted for moderation'),
        ...problemResponses(400, 403, 404, 409, 413, 415, 429, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const accepted = await app.comments.submit(request.params.slug, request.body, {
      ipAddress: request.ip,
      userAgent: request.headers['user-agent'],
    })
    reply.code(202).header('location', `/v1/comments/${accepted.id}`).header('cache-control', 'no-store')
    return accepted
  })

  app.get('/articles/:slug/comments', {
    schema: {
      tags: ['comments'],
      operationId: 'listArticleComments',
      summary: 'Approved comments on an article',
      description:
        'Oldest first, with `parentId` for threading. Only approved comments; no e-mail or IP addresses. A reply ' +
        'is listed only while every comment above it in the thread is approved: a reply to a comment that was ' +
        'later rejected (or held, or marked as spam) is hidden with it, so no `parentId` ever names a comment ' +
        'that is not public.',
      params: SlugParams,
      querystring: Type.Object(PaginationQuery, { additionalProperties: false }),
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('PublicCommentList'), { ...CACHE_HEADERS, ...LINK_HEADER }, 'A page of comments'),
        304: NotModified,
        ...problemResponses(400, 404, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const page = await app.comments.listPublic(request.params.slug, request.query.limit, request.query.cursor)
    return sendPage(request, reply, page, PUBLIC_REVALIDATE)
  })

  app.get('/comments/:id', {
    schema: {
      tags: ['comments'],
      operationId: 'getComment',
      summary: 'A comment, for its author or (once approved) anyone',
      description:
        'With the `X-Receipt-Token` from submitting it, the author sees the comment and its status while it is ' +
        'still held (a comment marked as spam is shown to its author as `pending`, deliberately: spammers learn ' +
        'nothing). Without the token a comment is 404, as if it did not exist, unless it is approved and its ' +
        'article is published. The `ETag` is what editing (`PATCH /v1/comments/{id}/by-author`) and withdrawing want in `If-Match`.',
      params: CommentIdParams,
      headers: ReceiptHeaders,
      response: {
        200: withHeaders(Type.Ref('CommentReceipt'), { ...CACHE_CONTROL_HEADER, ...ETAG_HEADER }, 'The comment'),
        ...problemResponses(400, 404, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const { comment, etag } = await app.comments.readWithReceipt(request.params.id, request.headers['x-receipt-token'])
    reply.header('cache-control', PRIVATE_NO_STORE).header('etag', etag)
    return comment
  })

  app.patch('/comments/:id/by-author', {
    config: { rateLimit: { max: options.rateLimitPerMinute, timeWindow: '1 minute' } },
    schema: {
      tags: ['comments'],
      operationId: 'editOwnComment',
      summary: 'Edit your own comment (with its receipt token)',
      description:
        'For the author: `X-Receipt-Token` from submitting it, and `If-Match` with the ETag of `GET /v1/comments/{id}` (428 ' +
        'without it, 412 if the comment changed since, e.g. a moderator decided). Without the right token the comment is 404, ' +
        'as if it did not exist. Allowed for COMMENT_EDIT_WINDOW_MINUTES (15 by default) after submitting: later, 403 ' +
        '`edit_window_closed`; a rejected comment cannot be edited (403 `comment_rejected`), nor one in a closed thread (403 ' +
        '`comments_closed`, as a submission); a withdrawn one is 404. The new ' +
        'text goes through the submission checks (control characters, links, word lists; 409 if it repeats another comment of ' +
        'yours on the article; rate-limited like submissions). An approved comment goes back to `pending`: it leaves the public ' +
        'page until a moderator approves it again (its replies with it). The old text is kept in its history for moderators. ' +
        'The same text again is a no-op.',
      params: CommentIdParams,
      headers: AuthorEditHeaders,
      body: AuthorEditBody,
      response: {
        200: withHeaders(Type.Ref('CommentReceipt'), { ...CACHE_CONTROL_HEADER, ...ETAG_HEADER }, 'The comment after the edit'),
        ...problemResponses(400, 403, 404, 409, 412, 413, 415, 428, 429, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const ifMatch = requiredIfMatchTag(request)
    const { comment, etag } = await app.commentAuthors.edit(request.params.id, request.headers['x-receipt-token'], ifMatch, request.body)
    reply.header('cache-control', PRIVATE_NO_STORE).header('etag', etag)
    return comment
  })

  app.delete('/comments/:id', {
    schema: {
      tags: ['comments'],
      operationId: 'withdrawOwnComment',
      summary: 'Withdraw your own comment (with its receipt token)',
      description:
        'For the author, at any time: `X-Receipt-Token` from submitting it (without the right one the comment is 404, as if it ' +
        'did not exist). Its text and everything that identifies you (name, e-mail and IP address, user agent, earlier text ' +
        'kept by edits) are removed. The comment stays as an empty tombstone so replies keep their place: the public page lists ' +
        'it (`withdrawn: true`, no name, no text) only while a visible reply hangs from it, and it takes no new replies. ' +
        '`If-Match` is checked when sent. Withdrawing again is a no-op (204).',
      params: CommentIdParams,
      headers: AuthorWithdrawHeaders,
      response: { 204: Type.Null({ description: 'Withdrawn' }), ...problemResponses(400, 404, 412, 429, ...ALWAYS) },
    },
  }, async (request, reply) => {
    await app.commentAuthors.withdraw(request.params.id, request.headers['x-receipt-token'], ifMatchTag(request))
    return reply.code(204).header('cache-control', 'no-store').send(null)
  })

  app.post('/comments/:id/flags', {
    config: { rateLimit: { max: options.rateLimitPerMinute, timeWindow: '1 minute' } },
    schema: {
      tags: ['comments'],
      operationId: 'flagComment',
      summary: 'Flag a public comment for the moderators',
      description:
        'Anonymous. Only a comment the public can see can be flagged (anything else is 404). One flag per client (an IPv4 ' +
        'address, or an IPv6 /64) and comment: flagging again is answered 200 with `counted: false` and counts once. The client ' +
        'is stored only as a hash salted with the comment id; moderators see the reasons and notes, never who flagged. When ' +
        'COMMENT_FLAG_THRESHOLD (3 by default) distinct clients have flagged an approved comment, it goes back to the moderation ' +
        'queue (`pending`, `needsAttention`) and leaves the public page, once: after a moderator approves it again, further flags ' +
        'are counted and shown but do not send it back until the moderator dismisses the flags, which starts the count afresh. ' +
        'Rate-limited like submissions.',
      params: CommentIdParams,
      body: FlagBody,
      response: {
        200: withHeaders(Type.Ref('FlagReceipt'), CACHE_CONTROL_HEADER, 'Already flagged by this client: counted once'),
        202: withHeaders(Type.Ref('FlagReceipt'), CACHE_CONTROL_HEADER, 'Flag recorded'),
        ...problemResponses(400, 404, 413, 415, 429, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const receipt = await app.commentFlags.flag(request.params.id, request.body, { ipAddress: request.ip })
    reply.code(receipt.counted ? 202 : 200).header('cache-control', 'no-store')
    return receipt
  })

  app.patch('/comments/:id', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'moderateComment',
      summary: 'Approve, reject, mark as spam or hold a comment',
      description:
        'Roles: moderator, admin. Send `If-Match` with the comment\'s ETag (`etag` in the queue): 428 without it ' +
        '(or with `If-Match: *`, which would skip the version check), 400 for anything but exactly one entity tag (a list), ' +
        '412 if another moderator decided first. Setting the status the comment already has is a 200 no-op. ' +
        'Every change is recorded in the comment\'s history.',
      security: STAFF_SECURITY,
      params: CommentIdParams,
      headers: IfMatchRequiredHeaders,
      body: CommentPatchBody,
      response: {
        200: withHeaders(Type.Ref('ModerationComment'), ETAG_HEADER, 'The comment after the decision'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, 428, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const { comment } = await app.comments.setStatus(request.params.id, requiredIfMatchTag(request), request.body.status, request.body.reason, request.staff!.id)
    reply.header('etag', comment.etag).header('cache-control', 'no-store')
    return comment
  })

  app.get('/comments/:id/history', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'getCommentHistory',
      summary: 'Every decision on a comment, in order',
      description: 'Roles: moderator, admin. The first entry is the submission.',
      security: STAFF_SECURITY,
      params: CommentIdParams,
      response: { 200: Type.Ref('ModerationHistory'), ...problemResponses(400, ...STAFF_ONLY, 404, ...ALWAYS) },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return app.comments.history(request.params.id)
  })
}

export default commentRoutes
