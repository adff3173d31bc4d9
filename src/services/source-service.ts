import type { PrismaClient } from '../generated/prisma/client.js'
import { BadRequestError, ConflictError, NotFoundError } from '../errors/app-errors.js'
import { decodeCursor, encodeCursor, isCursorId, toPage } from '../http/pagination.js'
import { presentSource } from './reference-presenters.js'
import { createReferenceCache, invalidating, type ReferenceCache } from './reference-cache.js'

export interface SourceInput {
  kind: 'standard' | 'article' | 'book'
  title: string
  author?: string | null
  publisher?: string | null
  url?: string | null
  publishedOn?: string | null
  note?: string | null
}

type SourceView = ReturnType<typeof presentSource>
const isIdCursor = (value: Record<string, unknown>): value is { id: string } =>
  isCursorId(value.id) && Object.keys(value).length === 1

/** Sources appear inside points, claims and articles: every write clears the reference cache. */
/** `reader` serves the public reads (a read replica's client, read-replicas.ts); writes and their checks use `prisma`. */
export function createSourceService(prisma: PrismaClient, cache: ReferenceCache = createReferenceCache({ ttlMs: 0 }), reader: PrismaClient = prisma) {
  async function find(id: string) {
    const source = await reader.source.findUnique({ where: { id } })
    if (!source) throw new NotFoundError(`No source has the id ${id}.`, 'source_not_found')
    return source
  }

  return {
    async detail(id: string) {
      return presentSource(await find(id))
    },

    async list(limit: number, cursor?: string) {
      const after = decodeCursor(cursor, isIdCursor)
      const rows = await reader.source.findMany({
        where: after ? { id: { gt: after.id } } : {},
        orderBy: { id: 'asc' },
        take: limit + 1,
      })
      return { ...toPage(rows, limit, presentSource, (row) => encodeCursor({ id: row.id })), total: await reader.source.count() }
    },

    /** Throws 400 unless the source exists: for bodies that refer to one. */
    async assertExists(id: string, pointer: string) {
      const found = await prisma.source.findUnique({ where: { id }, select: { id: true } })
      if (!found) throw new BadRequestError(`No source has the id ${id}.`, [{ in: 'body', pointer, message: 'is not a known source' }], 'unknown_source')
    },

    create: (input: SourceInput) => invalidating(cache, async () => presentSource(await prisma.source.create({ data: input }))),

    update: (id: string, patch: Partial<SourceInput>, check: (current: SourceView) => void) => invalidating(cache, async () => {
      await find(id)
      const updated = await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM sources WHERE id = ${id}::uuid FOR UPDATE`
        check(presentSource(await tx.source.findUniqueOrThrow({ where: { id } })))
        return tx.source.update({ where: { id }, data: { ...patch, version: { increment: 1 } } })
      })
      return presentSource(updated)
    }),

    remove: (id: string, check: (current: SourceView) => void) => invalidating(cache, async () => {
      await find(id)
      await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM sources WHERE id = ${id}::uuid FOR UPDATE`
        const current = await tx.source.findUniqueOrThrow({
          where: { id },
          include: { _count: { select: { claims: true, articles: true, acupoints: true } } },
        })
        check(presentSource(current))
        const { claims, articles, acupoints } = current._count
        if (claims + articles + acupoints > 0) {
          throw new ConflictError(
            `The source is still cited by ${claims} claim(s), ${articles} article(s) and ${acupoints} acupoint(s).`,
            'still_referenced',
          )
        }
        await tx.source.delete({ where: { id } })
      })
    }),
  }
}

export type SourceService = ReturnType<typeof createSourceService>
