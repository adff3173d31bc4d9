import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { BadRequestError, PreconditionFailedError, PreconditionRequiredError } from '../errors/app-errors.js'

/**
 * A strong ETag that is a hash of the representation itself. Whatever changes what a client
 * would read (the row, its claims, a renamed source) changes the tag, so no write can forget to
 * invalidate it, and a PATCH can check If-Match against the very representation the client saw.
 */
export function etagOf(representation: unknown): string {
  const memo = typeof representation === 'object' && representation !== null ? etags.get(representation) : undefined
  if (memo) return memo
  const digest = createHash('sha256').update(JSON.stringify(representation)).digest('base64url')
  const etag = `"${digest.slice(0, 27)}"`
  if (typeof representation === 'object' && representation !== null) etags.set(representation, etag)
  return etag
}

// A cached representation is the same object on every request, and never mutated (see
// reference-cache.ts): its tag is hashed once, and a 304 for it costs no hashing at all.
const etags = new WeakMap<object, string>()

function tagsIn(header: string): string[] {
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, '')).filter(Boolean)
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2). */
export function matchesIfNoneMatch(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match']
  if (!header) return false
  const tags = tagsIn(header)
  return tags.includes('*') || tags.includes(etag)
}

export const PUBLIC_CACHE = 'public, max-age=60, must-revalidate'
export const PRIVATE_NO_STORE = 'private, no-store'
/** For lists that change when a moderator acts: always revalidate (cheap, thanks to 304). */
export const PUBLIC_REVALIDATE = 'public, no-cache'

/**
 * Sends a cacheable representation with its ETag, or 304 with no body when the client's copy is
 * current.
 */
export function sendRepresentation<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  representation: T,
  cacheControl: string = PUBLIC_CACHE,
  etag: string = etagOf(representation),
): T | FastifyReply {
  reply.header('etag', etag).header('cache-control', cacheControl)
  // Appended: CORS may already vary on Origin.
  const vary = reply.getHeader('vary')
  reply.header('vary', vary ? `${String(vary)}, Authorization` : 'Authorization')
  if (matchesIfNoneMatch(request, etag)) return reply.code(304).send()
  // Serialised once per object and route, with the route's own 200 serializer (the one Fastify
  // would use), so a cached representation is sent as ready-made bytes.
  const serialize = reply.getSerializationFunction('200', 'application/json')
  if (!serialize || typeof representation !== 'object' || representation === null) return representation
  const route = `${request.method} ${request.routeOptions.url}`
  let byRoute = bodies.get(representation)
  if (!byRoute) bodies.set(representation, (byRoute = new Map()))
  let body = byRoute.get(route)
  // Kept as UTF-8 bytes: names in characters and tone-marked pinyin make these two-byte strings,
  // and re-encoding one on every send cost a quarter of a cached read's CPU (bench/README.md).
  if (body === undefined) byRoute.set(route, (body = Buffer.from(serialize(representation as Record<string, unknown>), 'utf8')))
  return reply.type('application/json; charset=utf-8').send(body)
}

const bodies = new WeakMap<object, Map<string, Buffer>>()

// RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE.
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7E\x80-\xFF]*"$/

/**
 * The one place If-Match is read. It carries exactly one entity tag, or `*`: a list would let a
 * client name every version it can think of, so anything else is a 400. Returns undefined when no
 * If-Match was sent.
 */
export function ifMatchTag(request: FastifyRequest): string | undefined {
  const header = request.headers['if-match']
  const value = typeof header === 'string' ? header.trim() : ''
  if (value === '') return undefined
  if (value !== '*' && !ENTITY_TAG.test(value)) {
    throw new BadRequestError('If-Match must carry exactly one entity tag: the ETag you last read.', [
      { in: 'headers', pointer: '/if-match', message: 'is not exactly one entity tag' },
    ], 'invalid_if_match')
  }
  return value
}

/**
 * The If-Match tag a write cannot go without: missing is a 428, and so is `*` (any version),
 * which proves nothing about what the client read.
 */
export function requiredIfMatchTag(request: FastifyRequest): string {
  const tag = ifMatchTag(request)
  if (tag === undefined) throw new PreconditionRequiredError()
  if (tag === '*') {
    throw new PreconditionRequiredError('If-Match: * is not accepted here: send the ETag you last read, so a change made on an old view is refused.')
  }
  return tag
}

/**
 * A write needs If-Match with the ETag the client last read: missing gives 428, stale gives 412,
 * so two editors cannot silently overwrite each other. The comparison is strong: a weak tag never matches.
 */
export function requireIfMatch(request: FastifyRequest, currentEtag: string, matches = (tag: string) => tag === currentEtag): void {
  if (!matches(requiredIfMatchTag(request))) throw new PreconditionFailedError()
}

/** Like requireIfMatch, but only when the client sent If-Match (for DELETE and state changes); `*` (it exists) passes. */
export function checkOptionalIfMatch(request: FastifyRequest, currentEtag: string, matches = (tag: string) => tag === currentEtag): void {
  const tag = ifMatchTag(request)
  if (tag !== undefined && tag !== '*' && !matches(tag)) throw new PreconditionFailedError()
}
