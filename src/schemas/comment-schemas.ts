import { Type } from 'typebox'
import { CANONICAL_UUID, IfMatchHeaders, IfMatchRequiredHeaders, listOf } from './common-schemas.js'
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

export const EVENT_KINDS = ['submission', 'decision', 'erasure', 'author_edit', 'withdrawal', 'flagged', 'flags_dismissed'] as const
export const FLAG_REASONS = ['spam', 'abuse', 'off_topic', 'other'] as const
const flagReasonEnum = (description?: string) =>
  Type.Unsafe<(typeof FLAG_REASONS)[number]>({ type: 'string', enum: [...FLAG_REASONS], ...(description ? { description } : {}) })

export const CommentFlagSummarySchema = Type.Object(
  {
    count: Type.Integer({ minimum: 0, description: 'Readers\' flags not dismissed, one per client' }),
    reasons: Type.Object({
      spam: Type.Integer({ minimum: 0 }),
      abuse: Type.Integer({ minimum: 0 }),
      off_topic: Type.Integer({ minimum: 0 }),
      other: Type.Integer({ minimum: 0 }),
    }, { description: 'How many flags give each reason' }),
    notes: Type.Array(Type.Object({ reason: flagReasonEnum(), note: Type.String(), createdAt: Type.String({ format: 'date-time' }) }), {
      description: 'The notes readers left, oldest first',
    }),
  },
  { $id: 'CommentFlagSummary', title: 'CommentFlagSummary', description: 'Readers\' flags not yet dismissed. Never who flagged: flaggers are stored only as a salted hash of their client' },
)

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
    withdrawn: Type.Boolean({
      description: 'Its author withdrew it: `authorName` and `body` are empty. Listed only while a visible reply hangs from it, to hold the thread together',
    }),
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
    withdrawn: Type.Boolean({ description: 'The author withdrew it: name and text are gone' }),
    editedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the author last edited it' }),
  },
  { $id: 'CommentReceipt', title: 'CommentReceipt', description: 'A comment as its author (receipt token) or anyone (approved) sees it' },
)

export const ModerationEventSchema = Type.Object(
  {
    id: Uuid,
    kind: Type.Unsafe<(typeof EVENT_KINDS)[number]>({
      type: 'string',
      enum: [...EVENT_KINDS],
      description:
        '`submission`: the comment arrived; `decision`: a moderator set its status; `erasure`: the commenter\'s personal data was ' +
        'erased (the status stays); `author_edit`: the author changed the text (`previousBody`), which sends an approved comment ' +
        'back to `pending`; `withdrawal`: the author withdrew it (text and personal data gone); `flagged`: readers\' flags reached ' +
        'the threshold and sent it back to `pending`; `flags_dismissed`: a moderator set its flags aside',
    }),
    erasureId: Type.Union([Uuid, Type.Null()], { description: 'For an erasure: the id of the erasure record' }),
    previousBody: Type.Union([Type.String(), Type.Null()], { description: 'For an author\'s edit: the text before it (gone once the comment is withdrawn)' }),
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
    needsAttention: Type.Boolean({ description: 'A submission check flagged it, or readers\' flags sent it back to the queue' }),
    spamSignals: Type.Array(Type.Object({ signal: Type.String(), detail: Type.String() })),
    ipAddress: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    version: Type.Integer({ minimum: 1 }),
    etag: Type.String({ description: 'Send as If-Match to PATCH /v1/comments/{id}' }),
    updatedAt: Type.String({ format: 'date-time' }),
    editedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the author last edited it' }),
    withdrawnAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the author withdrew it' }),
    flags: Type.Ref('CommentFlagSummary'),
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
    needsAttention: Type.Integer({ minimum: 0, description: 'Of the pending: those flagged for attention (by the submission checks or by readers\' flags)' }),
    flagged: Type.Integer({ minimum: 0, description: 'Comments with readers\' flags not yet dismissed, whatever their status (an approved one below the threshold too)' }),
  },
  { $id: 'CommentCounts', title: 'CommentCounts', description: '`pending` leaves out comments their authors withdrew: they are no work' },
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
      description: '`true`: only comments flagged for attention (by a submission check, or sent back by readers\' flags); `false`: only the others. Absent: both',
    })),
    flagged: Type.Optional(Type.Boolean({
      description: '`true`: only comments with readers\' flags not yet dismissed; `false`: only those without. Absent: both',
    })),
    sort: Type.Unsafe<'oldest' | 'flags'>({
      type: 'string',
      enum: ['oldest', 'flags'],
      default: 'oldest',
      description: '`oldest` (the default): oldest first; `flags`: most readers\' flags first, then oldest first. A cursor belongs to the sort it came from',
    }),
    article: Type.Optional(Type.String({ minLength: 1, maxLength: 120, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', description: 'Article slug' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
)

export const ReceiptHeaders = Type.Object({
  'x-receipt-token': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The receiptToken from submitting the comment' })),
})

export const AuthorEditBody = Type.Object(
  {
    body: Type.String({ minLength: 1, maxLength: 5000, description: 'The new text: checked as a submission is', examples: ['Does Yintang help with sleep? (Edited: I meant at night.)'] }),
  },
  { additionalProperties: false },
)

export const AuthorEditHeaders = Type.Object({
  'x-receipt-token': ReceiptHeaders.properties['x-receipt-token'],
  'if-match': IfMatchRequiredHeaders.properties['if-match'],
})

export const AuthorWithdrawHeaders = Type.Object({
  'x-receipt-token': ReceiptHeaders.properties['x-receipt-token'],
  'if-match': IfMatchHeaders.properties['if-match'],
})

export const FlagBody = Type.Object(
  {
    reason: flagReasonEnum('Why the comment should be looked at again'),
    note: Type.Optional(Type.String({ maxLength: 500, description: 'Anything the moderators should know; shown to them, never to the public', examples: ['Advertises a clinic.'] })),
  },
  { additionalProperties: false },
)

export const FlagReceiptSchema = Type.Object(
  {
    commentId: Uuid,
    counted: Type.Boolean({ description: '`false`: you had flagged this comment already, and it is counted once' }),
  },
  { $id: 'FlagReceipt', title: 'FlagReceipt' },
)

export const DismissFlagsBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Recorded in the comment\'s history' })) },
  { additionalProperties: false },
)

export const CommentIdParams = Type.Object({ id: Type.String({ format: 'uuid', examples: ['0b6f2d4e-8c1a-4e3b-9f5d-7a2c6e1b3d40'] }) })
