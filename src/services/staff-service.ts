import type { PrismaClient } from '../generated/prisma/client.js'
import type { StaffRole } from '../generated/prisma/enums.js'
import { hashSecret, issueToken, parseToken, secretMatches } from './staff-tokens.js'

export interface StaffIdentity {
  id: string
  name: string
  role: StaffRole
  tokenId: string
  createdAt: Date
}

// Compared against when the token id is unknown, so a miss costs the same as a hit.
const DECOY_HASH = hashSecret('decoy')

export function createStaffService(prisma: PrismaClient) {
  return {
    /** The staff member a bearer token belongs to, or null for a malformed, unknown or revoked one. */
    async authenticate(token: string): Promise<StaffIdentity | null> {
      const parsed = parseToken(token)
      if (!parsed) return null
      const record = await prisma.apiToken.findUnique({
        where: { id: parsed.id },
        select: { id: true, secretHash: true, revokedAt: true, staffMember: true },
      })
      const matches = secretMatches(parsed.secret, record?.secretHash ?? DECOY_HASH)
      if (!record || !matches || record.revokedAt) return null
      const { staffMember } = record
      return { id: staffMember.id, name: staffMember.name, role: staffMember.role, tokenId: record.id, createdAt: staffMember.createdAt }
    },

    async createStaffMember(name: string, role: StaffRole) {
      const issued = issueToken()
      const staffMember = await prisma.staffMember.create({
        data: { name, role, tokens: { create: { id: issued.id, secretHash: issued.secretHash } } },
      })
      return { staffMember, token: issued.token, tokenId: issued.id }
    },

    async issueToken(staffMemberId: string) {
      const issued = issueToken()
      await prisma.apiToken.create({ data: { id: issued.id, staffMemberId, secretHash: issued.secretHash } })
      return { token: issued.token, tokenId: issued.id }
    },

    /** Revokes a token by its id (the part after `acp_`). Returns false when there is no such token. */
    async revokeToken(tokenId: string): Promise<boolean> {
      const { count } = await prisma.apiToken.updateMany({
        where: { id: tokenId, revokedAt: null },
        data: { revokedAt: new Date() },
      })
      return count === 1
    },
  }
}

export type StaffService = ReturnType<typeof createStaffService>
