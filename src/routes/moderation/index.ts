import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { setNextLink } from '../../http/pagination.js'
import { ifMatchTag } from '../../http/conditional-requests.js'
import { ETAG_HEADER, IfMatchHeaders, LINK_HEADER, withHeaders } from '../../schemas/common-schemas.js'
import { BulkModerationBody, CommentIdParams, DismissFlagsBody, ErasureBody, QueueQuery } from '../../schemas/comment-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { MODERATOR_ROLES, STAFF_SECURITY } from '../route-helpers.js'

const moderationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onSend', async (_request, reply) => {
    // Moderation responses carry personal data: never cache them anywhere.
    reply.header('cache-control', 'no-store')
  })

  app.get('/moderation/comments', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'listModerationQueue',
      summary: 'The moderation queue',
      description:
        'Roles: moderator, admin. Oldest first, full detail, history and readers\' flags included. By default only `pending` ' +
        'comments, the work to do (withdrawn ones left out); `status` picks another status, or `all` for every status. Filter ' +
        'further by `needsAttention` (what the submission checks flagged, or what readers\' flags sent back), by `flagged` ' +
        '(comments with readers\' flags not dismissed, e.g. `status=approved&flagged=true` for those below the threshold) and ' +
        'by article; `sort=flags` puts the most flagged first.',
      security: STAFF_SECURITY,
      querystring: QueueQuery,
      response: {
        200: withHeaders(Type.Ref('ModerationQueue'), LINK_HEADER, 'A page of the queue'),
        ...problemResponses(400, ...STAFF_ONLY, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const page = await app.comments.queue(request.query)
    setNextLink(request, reply, page.nextCursor)
    return page
  })

  app.get('/moderation/comments/counts', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'getCommentCounts',
      summary: 'How many comments have each status',
      description: 'Roles: moderator, admin. Per status, and how many of the queue need attention or carry readers\' flags.',
      security: STAFF_SECURITY,
      response: { 200: Type.Ref('CommentCounts'), ...problemResponses(...STAFF_ONLY, ...ALWAYS) },
    },
  }, async () => app.comments.counts())

  app.get('/moderation/comments/:id', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'getModerationComment',
      summary: 'One comment with everything a moderator needs',
      description: 'Roles: moderator, admin. Its ETag is what PATCH /v1/comments/{id} wants in If-Match.',
      security: STAFF_SECURITY,
      params: CommentIdParams,
      response: {
        200: withHeaders(Type.Ref('ModerationComment'), ETAG_HEADER, 'The comment'),
        ...problemResponses(400, ...STAFF_ONLY, 404, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const comment = await app.comments.moderationView(request.params.id)
    reply.header('etag', comment.etag)
    return comment
  })

  app.post('/moderation/comments/:id/flags/dismiss', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'dismissCommentFlags',
      summary: 'Dismiss the readers\' flags on a comment',
      description:
        'Roles: moderator, admin. The comment\'s flags stop counting (they stay stored, and the clients that sent them cannot ' +
        'flag it again); recorded in its history (`flags_dismissed`). The status is not touched: a comment the flags sent back ' +
        'to the queue is approved again with `PATCH /v1/comments/{id}`, as any decision. An action of its own rather than a ' +
        'PATCH field, because it changes the flags, not the comment, and PATCH sets a status. `If-Match` (the comment\'s ' +
        'ETag) is checked when sent. With no flags to dismiss it changes nothing.',
      security: STAFF_SECURITY,
      params: CommentIdParams,
      headers: IfMatchHeaders,
      body: DismissFlagsBody,
      response: {
        200: withHeaders(Type.Ref('ModerationComment'), ETAG_HEADER, 'The comment after the dismissal'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const { comment } = await app.commentFlags.dismiss(request.params.id, ifMatchTag(request), request.body.reason, request.staff!.id)
    reply.header('etag', comment.etag)
    return comment
  })

  app.post('/moderation/comments/bulk', {
    onRequest: app.requireRole(...MODERATOR_ROLES),
    schema: {
      tags: ['moderation'],
      operationId: 'moderateCommentsInBulk',
      summary: 'Set the status of up to 100 comments at once',
      description:
        'Roles: moderator, admin. Atomic: either every id gets the status or nothing changes. Nothing changes if ' +
        'any id is unknown (404 naming them) or if any ETag given in `etags` is stale, i.e. another moderator ' +
        'decided on that comment after you read it (412; `errors` has one entry per stale id, pointing at ' +
        '`/etags/{id}`). Every id needs its ETag in `etags` (428 naming those without one), so you never ' +
        'overwrite someone else\'s decision; `force: true` skips the check for the ids without one, and the ' +
        'history records those changes as forced. The result gives each id\'s outcome (`updated` or ' +
        '`unchanged`) and new ETag; each change is recorded in that comment\'s history.',
      security: STAFF_SECURITY,
      body: BulkModerationBody,
      response: { 200: Type.Ref('BulkModerationResult'), ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, 428, ...ALWAYS) },
    },
  }, async (request) =>
    app.comments.bulkSetStatus(request.body.ids, request.body.status, request.body.reason, request.staff!.id, request.body.etags, request.body.force))

  app.post('/moderation/erasures', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags: ['moderation'],
      operationId: 'eraseCommenter',
      summary: 'Erase a commenter\'s personal data',
      description:
        'Role: admin. Anonymises name, e-mail, IP address and user agent on every comment with this e-mail address; ' +
        'the comments\' text stays. The erasure is recorded (with an unsalted SHA-256 of the normalised address, ' +
        'not the address: enough to show that a request for a given address was carried out, though anyone who ' +
        'already knows an address can test it against the hash), and each affected comment\'s history gets an ' +
        '`erasure` entry. Submissions with the address are serialised with the erasure, so none slips past it.',
      security: STAFF_SECURITY,
      body: ErasureBody,
      response: { 200: Type.Ref('ErasureResult'), ...problemResponses(400, ...STAFF_ONLY, 413, 415, ...ALWAYS) },
    },
  }, async (request) => app.comments.erase(request.body.email, request.staff!.id))
}

export default moderationRoutes
