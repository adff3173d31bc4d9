import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { Prisma, type PrismaClient } from '../generated/prisma/client.js'
import type { CommentStatus } from '../generated/prisma/enums.js'
import { BadRequestError, ConflictError, NotFoundError, PreconditionFailedError, PreconditionRequiredError, TooManyRequestsError } from '../errors/app-errors.js'
import { clientKey } from '../http/client-address.js'
import { decodeCursor, encodeCursor, isCursorId, isCursorInt4, isCursorTimestamp, toPage } from '../http/pagination.js'
import { classify, commentFingerprint, hasBidiControls, hasControlCharacters, isVisiblyBlank, normaliseBody, normaliseEmail, normaliseName, type CommentPolicy } from './comment-policy.js'
import { createKeyedSerializer } from './keyed-serializer.js'
import { LRUCache } from 'lru-cache'
import { createReferenceCache, invalidating, type ReferenceCache } from './reference-cache.js'
import { assertAcceptingComments } from './comment-threads.js'
import { outboxInsertSql, scrubCommentPayloads } from './webhooks/webhook-events.js'

export interface SubmitInput {
  authorName: string
  authorEmail: string
  body: string
  parentId?: string | undefined
  website?: string | undefined
}

export interface SubmitMeta {
  ipAddress: string
  userAgent: string | undefined
}

export interface CommentSettings extends CommentPolicy {
  floodSeconds: number
  /** COMMENTS_CLOSE_AFTER_DAYS: a thread stops taking comments this long after publishedAt (0: never). */
  closeAfterDays: number
}

type CommentRow = Prisma.CommentGetPayload<{ include: { article: { select: { slug: true } } } }>
type FlagRow = Pick<Prisma.CommentFlagGetPayload<object>, 'reason' | 'note' | 'createdAt'>
type EventRow = Prisma.ModerationEventGetPayload<{ include: { staffMember: { select: { id: true; name: true } } } }>

export const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest()

/** Whether `receiptToken` is the one handed out for the comment whose stored hash is `hash` (constant time). */
export function receiptMatches(hash: Uint8Array, receiptToken: string | undefined): boolean {
  if (!receiptToken) return false
  const presented = new Uint8Array(sha256(receiptToken))
  return hash.length === presented.length && timingSafeEqual(hash, presented)
}
const isKeyset = (value: Record<string, unknown>): value is { t: string; id: string } =>
  isCursorTimestamp(value.t) && isCursorId(value.id) && Object.keys(value).length === 2

/**
 * "After (t, id)" in (created_at, id) order. The redundant `created_at >= t` becomes an index
 * bound, so a page 10,000 comments deep starts where it should instead of filtering its way there
 * (EXPLAIN: 621 buffers and 12–19 ms without it, 5 buffers and 0.04–0.07 ms with it; bench/README.md).
 */
function keysetAfter(after: { t: string; id: string } | undefined): Prisma.CommentWhereInput {
  if (!after) return {}
  const t = new Date(after.t)
  return { createdAt: { gte: t }, OR: [{ createdAt: { gt: t } }, { createdAt: t, id: { gt: after.id } }] }
}

/**
 * The ETag a moderator must send back: it changes with every decision. A hash of the id, version
 * and last change time, so it cannot be guessed without reading the comment (knowing the id and
 * counting versions is not enough).
 */
export const commentEtag = (comment: { id: string; version: number; updatedAt: Date }) =>
  `"${sha256(`${comment.id}:${comment.version}:${comment.updatedAt.toISOString()}`).toString('base64url').slice(0, 27)}"`

/** commentEtag, computed by PostgreSQL from the row aliased `alias`: the same hash of the same text. */
export const commentEtagSql = (alias: string) => {
  const row = Prisma.raw(alias)
  return Prisma.sql`('"' || substr(translate(encode(sha256(convert_to(
    ${row}.id::text || ':' || ${row}.version::text || ':' || to_char(${row}.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'UTF8')), 'base64'), '+/', '-_'), 1, 27) || '"')`
}

/**
 * A withdrawn comment is a tombstone: no name, no text, `withdrawn: true`. The public page lists one
 * only while a visible reply hangs from it (listPublic).
 */
export function presentPublicComment(comment: Pick<CommentRow, 'id' | 'parentId' | 'authorName' | 'body' | 'createdAt' | 'withdrawnAt'>) {
  const withdrawn = comment.withdrawnAt !== null
  return {
    id: comment.id,
    parentId: comment.parentId,
    authorName: withdrawn ? '' : comment.authorName,
    body: withdrawn ? '' : comment.body,
    withdrawn,
    createdAt: comment.createdAt.toISOString(),
  }
}

/** What the commenter sees with their receipt. Spam is shown as pending: spammers learn nothing. */
export function presentReceiptView(comment: CommentRow) {
  return {
    ...presentPublicComment(comment),
    articleSlug: comment.article.slug,
    status: comment.status === 'spam' ? ('pending' as const) : comment.status,
    editedAt: comment.editedAt?.toISOString() ?? null,
  }
}

export function presentEvent(event: EventRow) {
  return {
    id: event.id,
    kind: event.kind,
    erasureId: event.erasureId,
    previousBody: event.previousBody,
    fromStatus: event.fromStatus,
    toStatus: event.toStatus,
    reason: event.reason,
    forced: event.forced,
    staffMember: event.staffMember ? { id: event.staffMember.id, name: event.staffMember.name } : null,
    createdAt: event.createdAt.toISOString(),
  }
}

/** Readers' flags not yet dismissed: counts by reason and the notes. Never who flagged. */
export function presentFlags(flags: FlagRow[]) {
  const reasons = { spam: 0, abuse: 0, off_topic: 0, other: 0 }
  for (const flag of flags) reasons[flag.reason]++
  return {
    count: flags.length,
    reasons,
    notes: flags.filter((flag) => flag.note !== null).map((flag) => ({ reason: flag.reason, note: flag.note!, createdAt: flag.createdAt.toISOString() })),
  }
}

export function presentModerationComment(comment: CommentRow & { events: EventRow[]; flags: FlagRow[] }) {
  return {
    ...presentPublicComment(comment),
    articleSlug: comment.article.slug,
    authorEmail: comment.authorEmail,
    status: comment.status,
    needsAttention: comment.needsAttention,
    spamSignals: comment.spamSignals as Array<{ signal: string; detail: string }>,
    ipAddress: comment.ipAddress,
    userAgent: comment.userAgent,
    version: comment.version,
    etag: commentEtag(comment),
    updatedAt: comment.updatedAt.toISOString(),
    editedAt: comment.editedAt?.toISOString() ?? null,
    withdrawnAt: comment.withdrawnAt?.toISOString() ?? null,
    flags: presentFlags(comment.flags),
    history: comment.events.map(presentEvent),
  }
}


const MODERATION_INCLUDE = {
  article: { select: { slug: true } },
  events: { include: { staffMember: { select: { id: true, name: true } } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
  flags: { where: { dismissedAt: null }, select: { reason: true, note: true, createdAt: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
} satisfies Prisma.CommentInclude

const DEFAULT_PAGE_SIZE = 20

/** A comment with everything a moderator sees (history, flags), or 404. */
export async function loadModerationComment(client: Prisma.TransactionClient, id: string) {
  const comment = await client.comment.findUnique({ where: { id }, include: MODERATION_INCLUDE })
  if (!comment) throw new NotFoundError(`No comment has the id ${id}.`, 'comment_not_found')
  return comment
}

/** The queue's keyset when sorted by flags: most flags first, then oldest first. */
const isFlagKeyset = (value: Record<string, unknown>): value is { f: number; t: string; id: string } =>
  // flag_count is an int4: a larger number would be PostgreSQL's out-of-range error, not a 400.
  isCursorInt4(value.f) && value.f >= 0 && isCursorTimestamp(value.t) && isCursorId(value.id) && Object.keys(value).length === 3

function flagKeysetAfter(after: { f: number; t: string; id: string } | undefined): Prisma.CommentWhereInput {
  if (!after) return {}
  const t = new Date(after.t)
  return {
    flagCount: { lte: after.f },
    OR: [{ flagCount: { lt: after.f } }, { flagCount: after.f, createdAt: { gt: t } }, { flagCount: after.f, createdAt: t, id: { gt: after.id } }],
  }
}

/** Cache keys of an article's public comment pages (every article's, without an id). */
const threadKeys = (articleId = '') => `comments:${articleId}`
/**
 * What a change to the public view of a thread makes stale (every thread's, without an id): its
 * pages, and the approved-comment counts in article representations.
 */
export const publicThreadKeys = (articleId = '') => [threadKeys(articleId), 'article:', 'articles:']
const PUBLIC_THREAD_KEYS = publicThreadKeys()

const ISO_UTC = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`)

/**
 * The comment.status_changed outbox insert for the rows of `changes` (columns id, from_status,
 * event_id): what the moderator decided, by whom, on which comment. Never the e-mail or address.
 */
const statusChangedSql = (changes: Prisma.Sql, status: CommentStatus, reason: string | undefined, staffMemberId: string) => outboxInsertSql(
  'comment.status_changed',
  Prisma.sql`ch.event_id`,
  Prisma.sql`jsonb_build_object('commentId', cm.id::text, 'articleId', cm.article_id::text, 'articleSlug', a.slug, 'parentId', cm.parent_id::text,
    'authorName', cm.author_name, 'body', cm.body, 'from', ch.from_status::text, 'to', ${status}::text, 'reason', ${reason ?? null}::text,
    'by', jsonb_build_object('id', st.id::text, 'name', st.name), 'changedAt', ${ISO_UTC('CURRENT_TIMESTAMP')})`,
  Prisma.sql`${changes} JOIN comments cm ON cm.id = ch.id JOIN articles a ON a.id = cm.article_id JOIN staff_members st ON st.id = ${staffMemberId}::uuid`,
)

/**
 * `reader` serves the public thread (a read replica's client when there are any, read-replicas.ts);
 * submissions, receipts and moderation use the primary, `prisma`.
 */
export function createCommentService(
  prisma: PrismaClient,
  settings: CommentSettings,
  cache: ReferenceCache = createReferenceCache({ ttlMs: 0 }),
  reader: PrismaClient = prisma,
  /** Told after a commit that queued webhook deliveries, so they go out at once. */
  onOutbox: () => void = () => {},
) {
  // Cached with the reference data: article writes (publish, unpublish, close, delete) clear it.
  // Read like the other public reads: the replica router only picks a replica that has replayed
  // past every change this instance has heard of, so it is never older than the cache.
  function publishedArticle(slug: string) {
    return cache.get(`article-id:${slug}`, async () => {
      const article = await reader.article.findUnique({ where: { slug }, select: { id: true, status: true, commentsOpen: true, publishedAt: true } })
      if (!article || article.status !== 'published') throw new NotFoundError(`No published article has the slug "${slug}".`, 'article_not_found')
      return article
    })
  }

  const submissions = createKeyedSerializer()
  // What this process accepted within the flood interval (fingerprints, client and address keys):
  // a repeat is refused without a query, in the database check's order (409 before 429). Only a
  // hint, and bounded: a key evicted, or a comment accepted by another instance, is still caught
  // by the database check.
  const recent = settings.floodSeconds > 0 ? new LRUCache<string, number>({ max: 10_000, ttl: settings.floodSeconds * 1000 }) : undefined

  function refuseRecent(fingerprint: string, keys: string[]) {
    if (recent?.has(`fingerprint:${fingerprint}`)) throw duplicateRefusal()
    const last = Math.max(0, ...keys.map((key) => recent?.get(key) ?? 0))
    if (last > 0) throw floodRefusal(last)
  }

  /** 409 for a repeat of a stored comment, 429 within the flood interval of the client's or address's last one: one query. */
  async function refuseRepeat(client: Prisma.TransactionClient, submitter: { fingerprint: string; client: string; authorEmail: string }) {
    const since = new Date(Date.now() - settings.floodSeconds * 1000)
    const [found] = await client.$queryRaw<[{ duplicate: boolean; last: Date | null }]>`
      SELECT EXISTS (SELECT 1 FROM comments WHERE fingerprint = ${submitter.fingerprint}) AS duplicate,
             ${settings.floodSeconds > 0
               ? Prisma.sql`(SELECT max(created_at) FROM comments WHERE created_at > ${since}::timestamptz
                              AND (client_key = ${submitter.client} OR author_email = ${submitter.authorEmail}))`
               : Prisma.sql`NULL::timestamptz`} AS last`
    if (found.duplicate) throw duplicateRefusal()
    if (found.last) throw floodRefusal(found.last.getTime())
  }

  function duplicateRefusal() {
    return new ConflictError('You have already posted this comment on this article.', 'duplicate_comment')
  }

  function floodRefusal(lastAt: number) {
    const wait = Math.max(1, Math.ceil((lastAt + settings.floodSeconds * 1000 - Date.now()) / 1000))
    return new TooManyRequestsError(`You are posting too quickly: wait ${wait} s between comments.`, wait, 'comment_flood')
  }

  const loadForModeration = (id: string, client: Prisma.TransactionClient = prisma) => loadModerationComment(client, id)

  return {
    async submit(slug: string, input: SubmitInput, meta: SubmitMeta) {
      const article = await publishedArticle(slug)
      // Decided here, before any lock or transaction: a closed thread costs a cached lookup at most.
      // (An editor closing it while a submission is already past this point does not stop that one.)
      assertAcceptingComments(slug, article, settings.closeAfterDays)
      const articleId = article.id
      for (const [field, value] of [['authorName', input.authorName], ['body', input.body]] as const) {
        if (hasControlCharacters(value)) {
          throw new BadRequestError(`${field} contains control characters.`, [{ in: 'body', pointer: `/${field}`, message: 'contains control characters' }])
        }
      }
      if (hasBidiControls(input.authorName)) {
        throw new BadRequestError('authorName contains bidirectional control characters.', [
          { in: 'body', pointer: '/authorName', message: 'contains bidirectional control characters' },
        ])
      }
      const authorName = normaliseName(input.authorName)
      const authorEmail = normaliseEmail(input.authorEmail)
      const body = normaliseBody(input.body)
      if (isVisiblyBlank(authorName) || isVisiblyBlank(body)) {
        const pointer = isVisiblyBlank(authorName) ? '/authorName' : '/body'
        throw new BadRequestError('Name and comment must not be blank.', [{ in: 'body', pointer, message: 'is blank' }])
      }
      const fingerprint = commentFingerprint(articleId, authorEmail, authorName, body)
      const verdict = classify({ name: authorName, email: authorEmail, body, honeypot: input.website }, settings)
      const receiptToken = randomBytes(32).toString('base64url')
      // One IPv6 /64 is one client: rotating addresses inside it does not reset flood control.
      const client = clientKey(meta.ipAddress)
      const submitter = { fingerprint, client, authorEmail }

      // One submission per client and per address at a time in this process: a burst waits here,
      // holding no connection, and is then mostly refused by the check below without a transaction.
      const keys = [`ip:${client}`, `email:${authorEmail}`]
      const comment = await submissions.run(keys, async () => {
        refuseRecent(fingerprint, keys)
        // A refusal rests only on committed rows, so it needs no lock (nor a transaction).
        await refuseRepeat(prisma, submitter)
        const created = await prisma.$transaction(async (tx) => {
          // Serialise submissions per IP and per e-mail across instances, so the checks cannot be raced.
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`ip:${client}`})), pg_advisory_xact_lock(hashtext(${`email:${authorEmail}`}))`
          if (input.parentId) {
            // FOR SHARE: a moderator cannot un-approve the parent between this check and the commit.
            const [parent] = await tx.$queryRaw<Array<{ articleId: string; status: CommentStatus; withdrawn: boolean }>>`
              SELECT article_id::text AS "articleId", status::text AS status, withdrawn_at IS NOT NULL AS withdrawn
                FROM comments WHERE id = ${input.parentId}::uuid FOR SHARE`
            // A withdrawn comment takes no new replies: it stays only to hold the ones it has.
            if (!parent || parent.articleId !== articleId || parent.status !== 'approved' || parent.withdrawn) {
              throw new BadRequestError('A reply must answer an approved comment on the same article.', [
                { in: 'body', pointer: '/parentId', message: 'is not an approved comment of this article' },
              ], 'invalid_parent')
            }
          }
          // Again under the locks: another instance may have committed one since.
          await refuseRepeat(tx, submitter)
          // The comment and its submission event in one statement (one round trip, not three).
          const reason = verdict.signals.length > 0 ? `Submitted; ${verdict.signals.map((signal) => signal.detail).join(' ')}` : 'Submitted'
          // Moderators hear of the comments held for them; spam is never announced.
          const announce = verdict.status === 'pending'
          const announced = { articleId, articleSlug: slug, parentId: input.parentId ?? null, authorName, body, status: verdict.status, needsAttention: verdict.needsAttention }
          const [row] = await tx.$queryRaw<[{ id: string; createdAt: Date; queued: number }]>`
            WITH comment AS (
              INSERT INTO comments (id, article_id, parent_id, author_name, author_email, body, status, needs_attention, spam_signals,
                                    ip_address, client_key, user_agent, fingerprint, receipt_token_hash, updated_at)
              VALUES (gen_random_uuid(), ${articleId}::uuid, ${input.parentId ?? null}::uuid, ${authorName}, ${authorEmail}, ${body},
                      ${verdict.status}::"CommentStatus", ${verdict.needsAttention}, ${JSON.stringify(verdict.signals)}::jsonb,
                      ${meta.ipAddress}, ${client}, ${meta.userAgent?.slice(0, 500) ?? null}, ${fingerprint}, ${new Uint8Array(sha256(receiptToken))},
                      CURRENT_TIMESTAMP)
              RETURNING id, created_at),
            event AS (
              INSERT INTO moderation_events (id, kind, comment_id, to_status, reason, created_at)
              SELECT gen_random_uuid(), 'submission', id, ${verdict.status}::"CommentStatus", ${reason}, created_at FROM comment)
            ${announce ? Prisma.sql`, hook AS (${outboxInsertSql('comment.submitted', Prisma.sql`${randomUUID()}::uuid`,
              Prisma.sql`jsonb_build_object('commentId', comment.id::text, 'createdAt', ${ISO_UTC('comment.created_at')}) || ${JSON.stringify(announced)}::jsonb`,
              Prisma.sql`comment`)} RETURNING 1)` : Prisma.empty}
            SELECT id::text AS id, created_at AS "createdAt", ${announce ? Prisma.sql`(SELECT count(*)::int FROM hook)` : Prisma.sql`0`} AS queued FROM comment`
          return row
        })
        for (const key of [...keys, `fingerprint:${fingerprint}`]) recent?.set(key, created.createdAt.getTime())
        if (created.queued > 0) onOutbox()
        return created
      })
      return { id: comment.id, status: 'pending' as const, receiptToken, createdAt: comment.createdAt.toISOString() }
    },

    /**
     * A comment for whoever may see it: anyone if approved; its author (with the receipt token) and
     * moderators otherwise. To anyone else it does not exist.
     */
    async readWithReceipt(id: string, receiptToken: string | undefined) {
      const comment = await prisma.comment.findUnique({ where: { id }, include: { article: { select: { slug: true, status: true } } } })
      const ownsIt = comment && receiptMatches(comment.receiptTokenHash, receiptToken)
      // Public only while both the comment and its article are: an unpublished article takes its comments with it.
      // isPublic: approved, and so is every comment above it (kept at write time).
      const isPublic = comment?.isPublic === true && comment.article.status === 'published'
      if (!comment || (!ownsIt && !isPublic)) throw new NotFoundError(`No comment has the id ${id}.`, 'comment_not_found')
      return { comment: presentReceiptView(comment), etag: commentEtag(comment) }
    },

    /**
     * A page of an article's public thread. Cached until a change to that thread is announced
     * (the comments trigger's NOTIFY, change-notices.ts) or made here; pages behind a client-chosen
     * cursor go to the cache's small pool. A page served from the cache, and its 304, cost no query.
     */
    async listPublic(slug: string, limit: number, cursor?: string) {
      // A closed thread is still read as ever.
      const { id: articleId } = await publishedArticle(slug)
      const after = decodeCursor(cursor, isKeyset)
      return cache.get(`${threadKeys(articleId)}:${limit}:${cursor ?? ''}`, async () => {
        // is_public is kept at write time (migration 20261202005850): one scan of the partial index.
        const rows = await reader.$queryRaw<Array<{ id: string; parentId: string | null; authorName: string; body: string; createdAt: Date; withdrawnAt: Date | null }>>`
          SELECT c.id::text AS "id", c.parent_id::text AS "parentId", c.author_name AS "authorName", c.body, c.created_at AS "createdAt",
                 c.withdrawn_at AS "withdrawnAt"
            FROM comments c
           WHERE c.article_id = ${articleId}::uuid AND c.is_public
             -- A withdrawn comment is listed (as an empty tombstone) only while it holds a public reply,
             -- so that no listed reply's parentId names a comment that is not listed (one index probe,
             -- for withdrawn rows only). A tombstone whose only public replies are withdrawn and
             -- childless tombstones themselves is still listed: never a dangling parentId, at worst an empty one.
             AND (c.withdrawn_at IS NULL OR EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id AND r.is_public))
             ${after
               // The plain bound lets the index range start at the cursor; the row comparison breaks ties.
               ? Prisma.sql`AND c.created_at >= ${new Date(after.t)}::timestamptz AND (c.created_at, c.id) > (${new Date(after.t)}::timestamptz, ${after.id}::uuid)`
               : Prisma.empty}
           ORDER BY c.created_at, c.id
           LIMIT ${limit + 1}`
        return toPage(rows, limit, presentPublicComment, (row) => encodeCursor({ t: row.createdAt.toISOString(), id: row.id }))
      // Most readers load the first page at the default size; other sizes and cursors are the
      // client's choice, and go to the small pool.
      }, { volatile: cursor !== undefined || limit !== DEFAULT_PAGE_SIZE })
    },

    /**
     * `status`: one status, or `all`; the route defaults it to `pending`, the work to do (a comment
     * its author withdrew is no work: it is left out of `pending`). `sort=flags`: most readers'
     * flags first, then oldest first.
     */
    async queue(filters: {
      status: CommentStatus | 'all'
      needsAttention?: boolean | undefined
      flagged?: boolean | undefined
      sort?: 'oldest' | 'flags' | undefined
      article?: string | undefined
      limit: number
      cursor?: string | undefined
    }) {
      const byFlags = filters.sort === 'flags'
      const where: Prisma.CommentWhereInput = {
        ...(filters.status !== 'all' ? { status: filters.status } : {}),
        ...(filters.status === 'pending' ? { withdrawnAt: null } : {}),
        ...(filters.needsAttention !== undefined ? { needsAttention: filters.needsAttention } : {}),
        ...(filters.flagged !== undefined ? { flagCount: filters.flagged ? { gt: 0 } : 0 } : {}),
        ...(filters.article ? { article: { slug: filters.article } } : {}),
      }
      const rows = await prisma.comment.findMany({
        where: { AND: [where, byFlags ? flagKeysetAfter(decodeCursor(filters.cursor, isFlagKeyset)) : keysetAfter(decodeCursor(filters.cursor, isKeyset))] },
        include: MODERATION_INCLUDE,
        orderBy: byFlags ? [{ flagCount: 'desc' }, { createdAt: 'asc' }, { id: 'asc' }] : [{ createdAt: 'asc' }, { id: 'asc' }],
        take: filters.limit + 1,
      })
      return toPage(rows, filters.limit, presentModerationComment, (row) =>
        encodeCursor(byFlags ? { f: row.flagCount, t: row.createdAt.toISOString(), id: row.id } : { t: row.createdAt.toISOString(), id: row.id }))
    },

    /**
     * Comments per status (`pending` without withdrawn ones, as the queue counts them), and within
     * the queue: how many need attention, and how many carry readers' flags (any status: a flagged
     * comment below the threshold is still approved). One statement.
     */
    async counts() {
      const [row] = await prisma.$queryRaw<[{ pending: number; approved: number; rejected: number; spam: number; needsAttention: number; flagged: number }]>`
        SELECT count(*) FILTER (WHERE status = 'pending' AND withdrawn_at IS NULL)::int AS pending,
               count(*) FILTER (WHERE status = 'approved')::int AS approved,
               count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
               count(*) FILTER (WHERE status = 'spam')::int AS spam,
               count(*) FILTER (WHERE status = 'pending' AND withdrawn_at IS NULL AND needs_attention)::int AS "needsAttention",
               count(*) FILTER (WHERE flag_count > 0 AND withdrawn_at IS NULL)::int AS flagged
          FROM comments`
      return row
    },

    async moderationView(id: string) {
      return presentModerationComment(await loadForModeration(id))
    },

    async history(id: string) {
      return { items: (await loadForModeration(id)).events.map(presentEvent) }
    },

    /**
     * Sets a status if the client's ETag is current: one statement, with no transaction held open
     * across round trips. The ETag is compared by PostgreSQL in the UPDATE's own condition, which
     * it re-checks on the newest row after waiting for any concurrent writer, so of two moderators
     * holding the same ETag exactly one wins; the event is written by the same statement.
     */
    async setStatus(id: string, ifMatch: string, status: CommentStatus, reason: string | undefined, staffMemberId: string) {
      const [outcome] = await invalidating(cache, () => prisma.$queryRaw<Array<{ matched: boolean; current: CommentStatus; changed: boolean; queued: number }>>`
        WITH before AS (SELECT c.id, c.status, c.version, c.updated_at FROM comments c WHERE c.id = ${id}::uuid),
        changed AS (
          UPDATE comments c SET status = ${status}::"CommentStatus", version = c.version + 1, updated_at = CURRENT_TIMESTAMP
           WHERE c.id = ${id}::uuid AND c.status <> ${status}::"CommentStatus" AND ${commentEtagSql('c')} = ${ifMatch}
          RETURNING c.id),
        event AS (
          INSERT INTO moderation_events (id, comment_id, staff_member_id, from_status, to_status, reason, created_at)
          SELECT gen_random_uuid(), b.id, ${staffMemberId}::uuid, b.status, ${status}::"CommentStatus", ${reason ?? null}, CURRENT_TIMESTAMP
            FROM before b JOIN changed USING (id)),
        -- The webhook outbox in the same statement, so in the same transaction as the decision.
        hook AS (${statusChangedSql(Prisma.sql`(SELECT b.id, b.status AS from_status, ${randomUUID()}::uuid AS event_id FROM before b JOIN changed USING (id)) AS ch`,
          status, reason, staffMemberId)} RETURNING 1)
        SELECT ${commentEtagSql('b')} = ${ifMatch} AS matched, b.status::text AS current, EXISTS (SELECT 1 FROM changed) AS changed,
               (SELECT count(*)::int FROM hook) AS queued FROM before b`,
      ...PUBLIC_THREAD_KEYS)
      if (outcome?.queued) onOutbox()
      if (!outcome) throw new NotFoundError(`No comment has the id ${id}.`, 'comment_not_found')
      // Stale, or changed by someone else between this statement's snapshot and its update.
      if (!outcome.matched || (!outcome.changed && outcome.current !== status)) throw new PreconditionFailedError()
      return { comment: presentModerationComment(await loadForModeration(id)), changed: outcome.changed }
    },

    /**
     * Up to 100 comments in one transaction: all change, or none does (an unknown id, a stale
     * ETag). The rows are locked first, so the versions checked are the versions overwritten.
     */
    /**
     * Every id needs the ETag the moderator decided on (428 naming those without one), unless the
     * request says `force`: then ids without an ETag are set whatever their version, and each
     * change it makes is recorded as forced in the comment's history.
     */
    async bulkSetStatus(ids: string[], status: CommentStatus, reason: string | undefined, staffMemberId: string, etags: Record<string, string> = {}, force = false) {
      // An id given twice (in any letter case) is a mistake to report, not to resolve by guessing which one was meant.
      for (const [field, list] of [['ids', ids], ['etags', Object.keys(etags)]] as const) {
        const repeats = list.map((id, index) => ({ id, index }))
          .filter(({ id, index }) => list.findIndex((other) => other.toLowerCase() === id.toLowerCase()) !== index)
        if (repeats.length > 0) {
          throw new BadRequestError(`Each comment may appear once in \`${field}\`; repeated (letter case aside): ${repeats.map(({ id }) => id).join(', ')}.`,
            repeats.map(({ id, index }) => ({ in: 'body', pointer: field === 'ids' ? `/ids/${index}` : `/etags/${id}`, message: 'repeats another id' })), 'duplicate_ids')
        }
      }
      const unique = ids.map((id) => id.toLowerCase())
      const expected = new Map(Object.entries(etags).map(([id, etag]) => [id.toLowerCase(), etag.trim()]))
      const strays = [...expected.keys()].filter((id) => !unique.includes(id))
      if (strays.length > 0) {
        throw new BadRequestError('Every id in `etags` must also be in `ids`.',
          strays.map((id) => ({ in: 'body', pointer: `/etags/${id}`, message: 'is not one of ids' })))
      }
      const unguarded = force ? [] : unique.filter((id) => !expected.has(id))
      if (unguarded.length > 0) {
        throw new PreconditionRequiredError(
          `${unguarded.length} id(s) have no ETag in \`etags\`: send the ETag you read for each (so a decision made on an old view is refused), or \`force: true\` to skip the check; nothing was changed.`,
          unguarded.map((id) => ({ in: 'body', pointer: `/etags/${id}`, message: 'is missing' })),
        )
      }
      return invalidating(cache, () => prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<Array<{ id: string; status: CommentStatus; version: number; updatedAt: Date }>>`
          SELECT id::text, status::text AS status, version, updated_at AS "updatedAt" FROM comments WHERE id = ANY(${unique}::uuid[]) ORDER BY id FOR UPDATE`
        const found = new Map(rows.map((row) => [row.id, row]))
        const missing = unique.filter((id) => !found.has(id))
        if (missing.length > 0) {
          throw new NotFoundError(`No comment has the id(s) ${missing.join(', ')}; nothing was changed.`, 'comment_not_found')
        }
        const stale = [...expected].filter(([id, etag]) => etag !== commentEtag(found.get(id)!))
        if (stale.length > 0) {
          throw new PreconditionFailedError(
            `${stale.length} comment(s) changed since you read them (${stale.map(([id]) => id).join(', ')}); nothing was changed.`,
            stale.map(([id]) => ({ in: 'body', pointer: `/etags/${id}`, message: `is stale: the current ETag is ${commentEtag(found.get(id)!)}` })),
          )
        }
        const results = []
        for (const id of unique) {
          const row = found.get(id)!
          if (row.status === status) {
            results.push({ id, outcome: 'unchanged' as const, fromStatus: row.status, toStatus: status, version: row.version, etag: commentEtag(row) })
            continue
          }
          const updated = await tx.comment.update({ where: { id }, data: { status, version: { increment: 1 } }, select: { id: true, version: true, updatedAt: true } })
          await tx.moderationEvent.create({ data: { commentId: id, staffMemberId, fromStatus: row.status, toStatus: status, reason: reason ?? null, forced: force && !expected.has(id) } })
          results.push({ id, outcome: 'updated' as const, fromStatus: row.status, toStatus: status, version: updated.version, etag: commentEtag(updated) })
        }
        const changed = results.filter((result) => result.outcome === 'updated')
        // One statement for every change's webhook event, in the decision's transaction.
        const queued = changed.length === 0 ? 0 : await tx.$executeRaw(statusChangedSql(
          Prisma.sql`unnest(${changed.map((result) => result.id)}::uuid[], ${changed.map((result) => result.fromStatus)}::text[],
                            ${changed.map(() => randomUUID())}::uuid[]) AS ch(id, from_status, event_id)`,
          status, reason, staffMemberId))
        return { status, results, queued }
      }), ...PUBLIC_THREAD_KEYS).then(({ queued, ...result }) => {
        if (queued > 0) onOutbox()
        return result
      })
    },

    /**
     * Right to erasure: anonymise everything that identifies the commenter; bodies stay. Each
     * affected comment's history records the erasure (its status is unchanged).
     */
    async erase(email: string, staffMemberId: string) {
      const address = normaliseEmail(email)
      const emailHash = sha256(address).toString('hex')
      // An erased commenter's public comments now read "Anonymous".
      return invalidating(cache, () => prisma.$transaction(async (tx) => {
        // The lock submit takes for this address: a submission racing the erasure is either
        // committed before it (and erased) or starts after it, never half-seen.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`email:${address}`}))`
        const comments = await tx.comment.findMany({ where: { authorEmail: address }, select: { id: true, status: true }, orderBy: { id: 'asc' } })
        const erasure = await tx.erasure.create({ data: { emailHash, staffMemberId, commentCount: comments.length } })
        for (const { id, status } of comments) {
          await tx.comment.update({
            where: { id },
            data: {
              authorName: 'Anonymous',
              authorEmail: null,
              ipAddress: null,
              clientKey: null,
              userAgent: null,
              // The old fingerprint was derived from the address.
              fingerprint: sha256(`erased:${id}`).toString('hex'),
              version: { increment: 1 },
            },
          })
          await tx.moderationEvent.create({
            data: { kind: 'erasure', commentId: id, staffMemberId, fromStatus: status, toStatus: status, reason: 'Personal data erased at the commenter\'s request', erasureId: erasure.id },
          })
        }
        // The name the webhook outbox holds for them, too (bodies stay, as in the comments).
        await scrubCommentPayloads(tx, comments.map((comment) => comment.id), { authorName: 'Anonymous' })
        return { id: erasure.id, erasedComments: comments.length, createdAt: erasure.createdAt.toISOString() }
      }), ...PUBLIC_THREAD_KEYS)
    },
  }
}

export type CommentService = ReturnType<typeof createCommentService>
