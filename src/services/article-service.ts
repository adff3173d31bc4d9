import { Prisma, type PrismaClient } from '../generated/prisma/client.js'
import { BadRequestError, ConflictError, NotFoundError } from '../errors/app-errors.js'
import { decodeCursor, encodeCursor, isCursorId, isCursorTimestamp, toPage } from '../http/pagination.js'
import { normaliseCode } from './acupoint-service.js'
import { articleSourceIds, presentArticleDetail, presentArticleSummary } from './reference-presenters.js'
import type { SourceService } from './source-service.js'
import { countPublicComments } from './comment-visibility.js'
import { createReferenceCache, invalidating, type ReferenceCache } from './reference-cache.js'
import { recordWebhookEvent } from './webhooks/webhook-events.js'

export interface ArticleInput {
  slug: string
  title: string
  summary: string
  body: string
  attribution: string
  sourceUrl?: string | null
  sourceId?: string | null
  points?: string[]
  cautions?: unknown[]
  treatmentPlan?: unknown
  commentsOpen?: boolean
}

type ArticleView = ReturnType<typeof presentArticleDetail>

interface ArticleListRow {
  id: string
  slug: string
  title: string
  summary: string
  attribution: string
  status: 'draft' | 'published'
  published_at: Date | null
  point_codes: string[]
  total: bigint | number
}


// Each point comes with every claim about it, so the article renders from one response.
const DETAIL_INCLUDE = {
  points: {
    include: { acupoint: { include: { channel: true, claims: { orderBy: [{ kind: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }] } } } },
    orderBy: { position: 'asc' },
  },
} satisfies Prisma.ArticleInclude

const isArticleCursor = (value: Record<string, unknown>): value is { p: string; id: string } =>
  isCursorTimestamp(value.p) && isCursorId(value.id) && Object.keys(value).length === 2

/**
 * Public reads are cached (`article:`/`articles:` keys); editor writes clear the whole reference
 * cache, and moderation clears the article keys, whose approved-comment counts it changes.
 */
export function createArticleService(
  prisma: PrismaClient,
  sources: SourceService,
  cache: ReferenceCache = createReferenceCache({ ttlMs: 0 }),
  threads: { closeAfterDays: number } = { closeAfterDays: 0 },
  /** Serves the public reads (a read replica's client, read-replicas.ts); editors' reads and writes use `prisma`. */
  reader: PrismaClient = prisma,
  /** Told after a commit that queued webhook deliveries, so they go out at once. */
  onOutbox: () => void = () => {},
) {
  /** The row, for callers that need more than the representation (the figure's point positions). */
  async function loadRow(slug: string, includeDrafts: boolean, client: Prisma.TransactionClient = prisma) {
    const article = await client.article.findUnique({ where: { slug }, include: DETAIL_INCLUDE })
    if (!article || (!includeDrafts && article.status !== 'published')) {
      throw new NotFoundError(`No published article has the slug "${slug}".`, 'article_not_found')
    }
    return article
  }

  /** Drafts exist only for editors: to everyone else they are 404, as if they did not exist. */
  async function load(slug: string, includeDrafts: boolean, client: Prisma.TransactionClient = prisma) {
    const article = await loadRow(slug, includeDrafts, client)
    const counts = await countPublicComments(client, [article.id])
    const row = { ...article, _count: { comments: counts.get(article.id) ?? 0 } }
    const sources = await client.source.findMany({ where: { id: { in: articleSourceIds(row) } } })
    return presentArticleDetail(row, sources, threads.closeAfterDays)
  }

  async function resolvePoints(codes: string[]): Promise<string[]> {
    const canonical = codes.map(normaliseCode)
    if (new Set(canonical).size !== canonical.length) {
      throw new BadRequestError('An article lists each point once.', [{ in: 'body', pointer: '/points', message: 'has duplicates' }], 'duplicate_points')
    }
    const found = await prisma.acupoint.findMany({ where: { code: { in: canonical } }, select: { id: true, code: true } })
    const idOf = new Map(found.map((point) => [point.code, point.id]))
    const missing = canonical.filter((code) => !idOf.has(code))
    if (missing.length > 0) {
      throw new BadRequestError(`Unknown acupoint code(s): ${missing.join(', ')}.`, [{ in: 'body', pointer: '/points', message: 'lists unknown codes' }], 'unknown_acupoint')
    }
    return canonical.map((code) => idOf.get(code)!)
  }

  async function mutate(slug: string, check: (current: ArticleView) => void, change: (tx: Prisma.TransactionClient, id: string) => Promise<void>) {
    const { id } = await loadRow(slug, true)
    await prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM articles WHERE id = ${id}::uuid FOR UPDATE`
      check(await load(slug, true, tx))
      await change(tx, id)
    })
  }

  return {
    async detail(slug: string, includeDrafts: boolean) {
      // Editors see drafts, and always the database's current state.
      if (includeDrafts) return load(slug, true)
      return cache.get(`article:${slug}`, () => load(slug, false, reader))
    },

    /** A published article with its points' rows (figure positions, channels), for drawing. */
    published: (slug: string) => loadRow(slug, false, reader),

    // A page behind a cursor has a client-chosen key: it goes to the cache's small pool.
    list: (limit: number, cursor?: string) => cache.get(`articles:${limit}:${cursor ?? ''}`, async () => {
      const after = decodeCursor(cursor, isArticleCursor)
      // The page, each article's point codes and the total, in one statement: the total is counted
      // before the cursor's window, the codes only for the page.
      const window = after
        ? Prisma.sql`WHERE r.published_at < ${new Date(after.p)} OR (r.published_at = ${new Date(after.p)} AND r.id < ${after.id}::uuid)`
        : Prisma.empty
      const rows = await reader.$queryRaw<ArticleListRow[]>`
        SELECT r.*, ARRAY(SELECT p.code FROM article_points ap JOIN acupoints p ON p.id = ap.acupoint_id
                           WHERE ap.article_id = r.id ORDER BY ap.position) AS point_codes
          FROM (SELECT a.id, a.slug, a.title, a.summary, a.attribution, a.status::text AS status, a.published_at, count(*) OVER () AS total
                  FROM articles a WHERE a.status = 'published') r
          ${window}
         ORDER BY r.published_at DESC, r.id DESC
         LIMIT ${limit + 1}`
      // The count the listing would show: replies under a hidden comment are not counted.
      const counts = await countPublicComments(reader, rows.slice(0, limit).map((row) => row.id))
      const page = toPage(rows, limit, (row) => presentArticleSummary({
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        attribution: row.attribution,
        status: row.status,
        publishedAt: row.published_at,
        pointCodes: row.point_codes,
        approvedCommentCount: counts.get(row.id) ?? 0,
      }), (row) => encodeCursor({ p: row.published_at!.toISOString(), id: row.id }))
      return { ...page, total: Number(rows[0]?.total ?? 0) }
    }, { volatile: cursor !== undefined }),

    create: (input: ArticleInput) => invalidating(cache, async () => {
      if (input.sourceId) await sources.assertExists(input.sourceId, '/sourceId')
      const pointIds = await resolvePoints(input.points ?? [])
      const taken = await prisma.article.findUnique({ where: { slug: input.slug }, select: { id: true } })
      if (taken) throw new ConflictError(`The slug "${input.slug}" is taken.`, 'duplicate_slug')
      await prisma.article.create({
        data: {
          slug: input.slug,
          title: input.title,
          summary: input.summary,
          body: input.body,
          attribution: input.attribution,
          sourceUrl: input.sourceUrl ?? null,
          sourceId: input.sourceId ?? null,
          cautions: (input.cautions ?? []) as Prisma.InputJsonValue,
          ...(input.treatmentPlan ? { treatmentPlan: input.treatmentPlan as Prisma.InputJsonValue } : {}),
          ...(input.commentsOpen !== undefined ? { commentsOpen: input.commentsOpen } : {}),
          points: { create: pointIds.map((acupointId, position) => ({ acupointId, position })) },
        },
      })
      return load(input.slug, true)
    }),

    update: (slug: string, patch: Partial<Omit<ArticleInput, 'slug'>>, check: (current: ArticleView) => void) => invalidating(cache, async () => {
      if (patch.sourceId) await sources.assertExists(patch.sourceId, '/sourceId')
      const pointIds = patch.points ? await resolvePoints(patch.points) : undefined
      await mutate(slug, check, async (tx, id) => {
        if (pointIds) {
          await tx.articlePoint.deleteMany({ where: { articleId: id } })
          await tx.articlePoint.createMany({ data: pointIds.map((acupointId, position) => ({ articleId: id, acupointId, position })) })
        }
        await tx.article.update({
          where: { id },
          data: {
            ...(patch.title !== undefined ? { title: patch.title } : {}),
            ...(patch.summary !== undefined ? { summary: patch.summary } : {}),
            ...(patch.body !== undefined ? { body: patch.body } : {}),
            ...(patch.attribution !== undefined ? { attribution: patch.attribution } : {}),
            ...(patch.sourceUrl !== undefined ? { sourceUrl: patch.sourceUrl } : {}),
            ...(patch.sourceId !== undefined ? { sourceId: patch.sourceId } : {}),
            ...(patch.cautions !== undefined ? { cautions: patch.cautions as Prisma.InputJsonValue } : {}),
            ...(patch.treatmentPlan !== undefined ? { treatmentPlan: patch.treatmentPlan as Prisma.InputJsonValue } : {}),
            ...(patch.commentsOpen !== undefined ? { commentsOpen: patch.commentsOpen } : {}),
            version: { increment: 1 },
          },
        })
      })
      return load(slug, true)
    }),

    /** Publishing twice (or unpublishing a draft) is a no-op that answers the current article. */
    setStatus: (slug: string, status: 'draft' | 'published', check: (current: ArticleView) => void) => invalidating(cache, async () => {
      let queued = 0
      await mutate(slug, check, async (tx, id) => {
        const current = await tx.article.findUniqueOrThrow({ where: { id }, select: { status: true, publishedAt: true } })
        if (current.status === status) return
        const updated = await tx.article.update({
          where: { id },
          data: { status, publishedAt: status === 'published' ? (current.publishedAt ?? new Date()) : current.publishedAt, version: { increment: 1 } },
          select: { title: true, publishedAt: true },
        })
        queued = await recordWebhookEvent(tx, status === 'published' ? 'article.published' : 'article.unpublished', {
          articleId: id, articleSlug: slug, title: updated.title, status, publishedAt: updated.publishedAt?.toISOString() ?? null,
        })
      })
      if (queued > 0) onOutbox()
      return load(slug, true)
    }),

    remove: (slug: string, check: (current: ArticleView) => void) => invalidating(cache, async () => {
      await mutate(slug, check, async (tx, id) => {
        const comments = await tx.comment.count({ where: { articleId: id } })
        if (comments > 0) throw new ConflictError(`The article has ${comments} comment(s); unpublish it instead.`, 'still_referenced')
        await tx.article.delete({ where: { id } })
      })
    }),
  }
}

export type ArticleService = ReturnType<typeof createArticleService>
