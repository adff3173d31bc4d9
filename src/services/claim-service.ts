import type { PrismaClient } from '../generated/prisma/client.js'
import { NotFoundError } from '../errors/app-errors.js'
import type { AcupointService } from './acupoint-service.js'
import { normaliseKeyword } from './acupoint-service.js'
import { presentClaim } from './reference-presenters.js'
import type { SourceService } from './source-service.js'
import { createReferenceCache, invalidating, type ReferenceCache } from './reference-cache.js'

export interface ClaimInput {
  kind: 'cosmetic_effect' | 'linked_organ' | 'health_benefit' | 'location_note'
  text: string
  keyword?: string | null
  sourceId: string
}

type ClaimView = ReturnType<typeof presentClaim>
const INCLUDE = { source: true, acupoint: { select: { code: true } } } as const

/** Claims are part of a point's representation: every write clears the reference cache. */
export function createClaimService(
  prisma: PrismaClient, acupoints: AcupointService, sources: SourceService, cache: ReferenceCache = createReferenceCache({ ttlMs: 0 }),
  reader: PrismaClient = prisma,
) {
  async function load(id: string) {
    const claim = await reader.claim.findUnique({ where: { id }, include: INCLUDE })
    if (!claim) throw new NotFoundError(`No claim has the id ${id}.`, 'claim_not_found')
    return claim
  }

  return {
    async detail(id: string) {
      const claim = await load(id)
      return presentClaim(claim, claim.acupoint.code)
    },

    create: (acupointCode: string, input: ClaimInput) => invalidating(cache, async () => {
      const point = await acupoints.findId(acupointCode)
      await sources.assertExists(input.sourceId, '/sourceId')
      const claim = await prisma.claim.create({
        data: {
          acupointId: point.id,
          sourceId: input.sourceId,
          kind: input.kind,
          text: input.text,
          keyword: input.keyword ? normaliseKeyword(input.keyword) : null,
        },
        include: INCLUDE,
      })
      return presentClaim(claim, claim.acupoint.code)
    }),

    update: (id: string, patch: Partial<ClaimInput>, check: (current: ClaimView) => void) => invalidating(cache, async () => {
      await load(id)
      if (patch.sourceId) await sources.assertExists(patch.sourceId, '/sourceId')
      const updated = await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM claims WHERE id = ${id}::uuid FOR UPDATE`
        const current = await tx.claim.findUniqueOrThrow({ where: { id }, include: INCLUDE })
        check(presentClaim(current, current.acupoint.code))
        return tx.claim.update({
          where: { id },
          data: {
            ...(patch.kind !== undefined ? { kind: patch.kind } : {}),
            ...(patch.text !== undefined ? { text: patch.text } : {}),
            ...(patch.keyword !== undefined ? { keyword: patch.keyword ? normaliseKeyword(patch.keyword) : null } : {}),
            ...(patch.sourceId !== undefined ? { sourceId: patch.sourceId } : {}),
            version: { increment: 1 },
          },
          include: INCLUDE,
        })
      })
      return presentClaim(updated, updated.acupoint.code)
    }),

    remove: (id: string, check: (current: ClaimView) => void) => invalidating(cache, async () => {
      await load(id)
      await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM claims WHERE id = ${id}::uuid FOR UPDATE`
        const current = await tx.claim.findUniqueOrThrow({ where: { id }, include: INCLUDE })
        check(presentClaim(current, current.acupoint.code))
        await tx.claim.delete({ where: { id } })
      })
    }),
  }
}

export type ClaimService = ReturnType<typeof createClaimService>
