import { PUBLIC_CACHE, etagOf, matchesIfNoneMatch, requireIfMatch, checkOptionalIfMatch, sendRepresentation } from '../http/conditional-requests.js'
import { FIGURE_CSP } from '../schemas/reference-schemas.js'
import type { Figure } from '../services/figures/figure-service.js'
import { setNextLink, type Page } from '../http/pagination.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

export const EDITOR_ROLES = ['editor', 'admin'] as const
export const MODERATOR_ROLES = ['moderator', 'admin'] as const
export const STAFF_SECURITY = [{ bearerAuth: [] }]

/** The If-Match test a write applies to the representation it is about to change. */
export const ifMatch = (request: FastifyRequest) => (current: unknown) => requireIfMatch(request, etagOf(current))
export const optionalIfMatch = (request: FastifyRequest) => (current: unknown) => checkOptionalIfMatch(request, etagOf(current))

/** Answers a write with the new representation and its ETag, so the client can chain edits. */
export function withEtag<T>(reply: FastifyReply, representation: T, status = 200, etag = etagOf(representation)): T {
  reply.code(status).header('etag', etag).header('cache-control', 'no-store')
  return representation
}

type CountedArticle = { approvedCommentCount: number }
const articleEtags = new WeakMap<object, string>()

/**
 * An article's ETag has two parts: a digest of everything but its approved-comment count, then
 * that count. Any change to the representation changes the tag, so a cached copy never hides a new
 * count; but a write's If-Match is compared on the first part only, so a moderator's approval
 * does not make an editor's pending edit fail with 412 (its count is not the editor's to change).
 */
export function articleEtag(article: CountedArticle): string {
  let etag = articleEtags.get(article)
  if (!etag) {
    const { approvedCommentCount, ...edited } = article
    etag = `"${etagOf(edited).slice(1, -1)}.${approvedCommentCount}"`
    articleEtags.set(article, etag)
  }
  return etag
}

const editedPart = (tag: string) => (tag.includes('.') ? tag.slice(0, tag.lastIndexOf('.')) : undefined)
const sameEditedState = (current: CountedArticle) => (tag: string) => editedPart(tag) !== undefined && editedPart(tag) === editedPart(articleEtag(current))

export const articleIfMatch = (request: FastifyRequest) => (current: CountedArticle) =>
  requireIfMatch(request, articleEtag(current), sameEditedState(current))
export const optionalArticleIfMatch = (request: FastifyRequest) => (current: CountedArticle) =>
  checkOptionalIfMatch(request, articleEtag(current), sameEditedState(current))

/** A cacheable page of a list: the `Link` to the next page, ETag and 304 handling. */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>, cacheControl?: string) {
  setNextLink(request, reply, page.nextCursor)
  return sendRepresentation(request, reply, page, cacheControl)
}

/** An SVG figure with its ETag, a CSP that lets nothing run in it, or 304 when the client's copy is current. */
export function sendFigure(request: FastifyRequest, reply: FastifyReply, figure: Figure) {
  reply.header('etag', figure.etag).header('cache-control', PUBLIC_CACHE)
    .header('content-security-policy', FIGURE_CSP).header('cross-origin-resource-policy', 'cross-origin')
  if (matchesIfNoneMatch(request, figure.etag)) return reply.code(304).send()
  return reply.type('image/svg+xml; charset=utf-8').send(figure.svg)
}
