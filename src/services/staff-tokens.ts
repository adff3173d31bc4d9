import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

// `acp_` + 16 hex chars of public id + `_` + 43 base64url chars (256 random bits) of secret.
const TOKEN_PATTERN = /^acp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

export interface ParsedToken {
  id: string
  secret: string
}

export interface IssuedToken extends ParsedToken {
  token: string
  secretHash: Uint8Array<ArrayBuffer>
}

export function issueToken(): IssuedToken {
  const id = randomBytes(8).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { id, secret, token: `acp_${id}_${secret}`, secretHash: hashSecret(secret) }
}

export function parseToken(token: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(token)
  return match ? { id: match[1]!, secret: match[2]! } : null
}

export function hashSecret(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(secret).digest())
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const presented = hashSecret(secret)
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash)
}
