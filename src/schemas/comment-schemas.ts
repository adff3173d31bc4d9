import { Type } from 'typebox'
import { CANONICAL_UUID, listOf } from './common-schemas.js'
import { COMMENT_ACCEPTED_EXAMPLE, PUBLIC_COMMENT_EXAMPLE } from './examples.js'

export const COMMENT_STATUSES = ['pending', 'approved', 'rejected', 'spam'] as const
export const CommentStatusSchema = Type.Unsafe<(typeof COMMENT_STATUSES)[number]>({
  $id: 'CommentStatus',
  title: 'CommentStatus',
  type: 'string',
  enum: [...COMMENT_STATUSES],
  description: 'Spelled the same when written and read.',
})
const statusEnum = (description?: string) =>
  Type.Unsafe<(typeof COMMENT_STATUSES)[number]>({ type: 'string', enum: [...COMMENT_STATUSES], ...(description ? { description } : {}) })

const Uuid = Type.String({ format: 'uuid' })

export const CommentSubmitBody = Type.Object(
  {
    authorName: Type.String({ minLength: 1, maxLength: 100, examples: ['Ada'] }),
    authorEmail: Type.String({ format: 'email', maxLength: 254, description: 'Never shown publicly', examples: ['ada@example.org'] }),
    body: Type.String({ minLength: 1, maxLength: 5000, description: 'Plain text; stored as given and returned for the client to escape', examples: ['Does Yintang help with sleep?'] }),
    parentId: Type.Optional({ ...Uuid, description: 'An approved comment of the same article to reply to' }),
    website: Type.Optional(Type.String({ maxLength: 500, description: 'Honeypot: leave empty. Forms should hide this field.' })),
  },
  { additionalProperties: false },
)

export const CommentAcceptedSchema = Type.Object(
  {
    id: Uuid,
    status: Type.Literal('pending', { description: 'Always pending, even when the checks marked the comment as spam' }),
    receiptToken: Type.String({ description: 'Send as X-Receipt-Token to GET /v1/comments/{id}: shown once, stored only as a hash' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'CommentAccepted', title: 'CommentAccepted', examples: [COMMENT_ACCEPTED_EXAMPLE] },
)

export const PublicCommentSchema = Type.Object(
  {
    id: Uuid,
    parentId: Type.Union([Uuid, Type.Null()], { description: 'The comment this replies to; always a public comment (replies to hidden comments are hidden too)' }),
    authorName: Type.String({ examples: ['A reader'] }),
    body: Type.String({ examples: ['I have Bell palsy I would like to know if this will help me'] }),
    createdAt: Type.String({ format: 'date-time', examples: ['2022-08-17T12:00:00.000Z'] }),
  },
  { $id: 'PublicComment', title: 'PublicComment', description: 'An approved comment: no e-mail, IP or moderation data', examples: [PUBLIC_COMMENT_EXAMPLE] },
)

export const CommentReceiptSchema = Type.Object(
  {
    id: Uuid,
    parentId: Type.Union([Uuid, Type.Null()]),
    authorName: Type.String(),
    body: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    articleSlug: Type.String({ examples: ['facial-acupuncture-six-points'] }),
    status: Type.Unsafe<'pending' | 'approved' | 'rejected'>({
      type: 'string',
      enum: ['pending', 'approved', 'rejected'],
      description: 'A comment stored as spam reads as `pending` here, deliberately: spammers learn nothing',
    }),
  },
  { $id: 'CommentReceipt', title: 'CommentReceipt', description: 'A comment as its author (receipt token) or anyone (approved) sees it' },
)

export const ModerationEventSchema = Type.Object(
  {
    id: Uuid,
    kind: Type.Unsafe<'submission' | 'decision' | 'erasure'>({
      type: 'string',
      enum: ['submission', 'decision', 'erasure'],
      description: '`submission`: the comment arrived; `decision`: a moderator set its status; `erasure`: the commenter\'s personal data was erased (the status stays)',
    }),
    erasureId: Type.Union([Uuid, Type.Null()], { description: 'For an erasure: the id of the erasure record' }),
    fromStatus: Type.Union([statusEnum(), Type.Null()], { description: 'Null for the submission itself' }),
    toStatus: statusEnum(),
    reason: Type.Union([Type.String(), Type.Null()]),
    forced: Type.Boolean({ description: 'A bulk decision made with `force: true`, without checking the version the moderator saw' }),
    staffMember: Type.Union([Type.Object({ id: Uuid, name: Type.String() }), Type.Null()], { description: 'Null for the submission' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ModerationEvent', title: 'ModerationEvent' },
)

export const ModerationCommentSchema = Type.Object(
  {
    id: Uuid,
    parentId: Type.Union([Uuid, Type.Null()]),
    authorName: Type.String(),
    body: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    articleSlug: Type.String(),
    authorEmail: Type.Union([Type.String(), Type.Null()], { description: 'Null after erasure' }),
    status: Type.Ref('CommentStatus'),
    needsAttention: Type.Boolean({ description: 'A submission check flagged it' }),
    spamSignals: Type.Array(Type.Object({ signal: Type.String(), detail: Type.String() })),
    ipAddress: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    version: Type.Integer({ minimum: 1 }),
    etag: Type.String({ description: 'Send as If-Match to PATCH /v1/comments/{id}' }),
    updatedAt: Type.String({ format: 'date-time' }),
    history: Type.Array(Type.Ref('ModerationEvent')),
  },
  { $id: 'ModerationComment', title: 'ModerationComment', description: 'Everything a moderator needs to decide' },
)

export const CommentPatchBody = Type.Object(
  {
    status: statusEnum('The status to set; the same one again is a no-op'),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
)

const UUID_PATTERN = CANONICAL_UUID.source

export const BulkModerationBody = Type.Object(
  {
    ids: Type.Array(Uuid, { minItems: 1, maxItems: 100, description: 'Up to 100 comment ids' }),
    status: statusEnum(),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    etags: Type.Optional(
      Type.Record(Type.String({ pattern: UUID_PATTERN }), Type.String({ minLength: 1, maxLength: 200 }), {
        additionalProperties: false,
        maxProperties: 100,
        description:
          'For every id, the ETag (`etag`) you last read, keyed by id. Required for each id unless `force` is true: ' +
          'an id without one is refused with 428 (`errors` names each). If one of them is no longer current ' +
          '(another moderator decided in between), the whole request is refused with 412 and nothing changes; ' +
          '`errors` names each stale id. Every key must also be in `ids`, once, in any letter case.',
        examples: [{ '0f8fad5b-d9cb-469f-a165-70867728950e': '"q3Yx0lP2c7RkV9bTn4WsZa8eHdU"' }],
      }),
    ),
    force: Type.Optional(Type.Boolean({
      default: false,
      description:
        'Set the ids that have no ETag in `etags` whatever their version (ETags that are given are still checked). ' +
        'Each change made this way is recorded in the comment\'s history with `forced: true`.',
    })),
  },
  { additionalProperties: false },
)

export const BulkModerationResultSchema = Type.Object(
  {
    status: Type.Ref('CommentStatus'),
    results: Type.Array(
      Type.Object({
        id: Uuid,
        outcome: Type.Unsafe<'updated' | 'unchanged'>({ type: 'string', enum: ['updated', 'unchanged'] }),
        fromStatus: Type.Ref('CommentStatus'),
        toStatus: Type.Ref('CommentStatus'),
        version: Type.Integer(),
        etag: Type.String({ description: 'The comment\'s ETag after this request' }),
      }),
    ),
  },
  { $id: 'BulkModerationResult', title: 'BulkModerationResult', description: 'All ids changed together, or none did' },
)

export const CommentCountsSchema = Type.Object(
  {
    pending: Type.Integer({ minimum: 0 }),
    approved: Type.Integer({ minimum: 0 }),
    rejected: Type.Integer({ minimum: 0 }),
    spam: Type.Integer({ minimum: 0 }),
  },
  { $id: 'CommentCounts', title: 'CommentCounts' },
)

export const ErasureBody = Type.Object(
  { email: Type.String({ format: 'email', maxLength: 254 }) },
  { additionalProperties: false },
)

export const ErasureResultSchema = Type.Object(
  { id: Uuid, erasedComments: Type.Integer({ minimum: 0 }), createdAt: Type.String({ format: 'date-time' }) },
  { $id: 'ErasureResult', title: 'ErasureResult' },
)

export const PublicCommentListSchema = listOf(Type.Ref('PublicComment'), 'PublicCommentList', 'Approved comments, oldest first')
export const ModerationQueueSchema = listOf(Type.Ref('ModerationComment'), 'ModerationQueue', 'Comments, oldest first')
export const ModerationHistorySchema = Type.Object({ items: Type.Array(Type.Ref('ModerationEvent')) }, { $id: 'ModerationHistory', title: 'ModerationHistory' })

export const QueueQuery = Type.Object(
  {
    status: Type.Unsafe<(typeof COMMENT_STATUSES)[number] | 'all'>({
      type: 'string',
      enum: [...COMMENT_STATUSES, 'all'],
      default: 'pending',
      description: 'The comments with this status: `pending` (the default, the work to do), or `all` for every status',
    }),
    needsAttention: Type.Optional(Type.Boolean({
      description: '`true`: only comments a submission check flagged for attention; `false`: only the others. Absent: both',
    })),
    article: Type.Optional(Type.String({ minLength: 1, maxLength: 120, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', description: 'Article slug' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
)

export const ReceiptHeaders = Type.Object({
  'x-receipt-token': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The receiptToken from submitting the comment' })),
})

export const CommentIdParams = Type.Object({ id: Type.String({ format: 'uuid', examples: ['0b6f2d4e-8c1a-4e3b-9f5d-7a2c6e1b3d40'] }) })
