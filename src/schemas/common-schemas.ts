import { Type, type TSchema } from 'typebox'

/**
 * The only spelling of an id the API accepts: 8-4-4-4-12 hex digits (RFC 9562's form, which JSON
 * Schema's `uuid` format names). Ajv's own `uuid` format also lets `urn:uuid:…` through, which
 * PostgreSQL refuses; app.ts puts this in its place, so every `format: uuid` means exactly this.
 */
export const CANONICAL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

export const PaginationQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page (1–100)' }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'The `nextCursor` of the previous page (also in the `Link` header)' }),
  ),
}

// Response headers. `x-required: true` becomes `required: true` in the document (see plugins/external/openapi.ts),
// and the contract test fails any response that lacks one.
const REQUIRED = { 'x-required': true }
export const ETAG_HEADER = {
  ETag: Type.String({ ...REQUIRED, pattern: '^(W/)?"[^"]*"$', description: 'The representation\'s entity tag, for If-None-Match and If-Match', examples: ['"Xr8pQ2m0bUFZs3c1Ew4K9aLdT7v"'] }),
}
export const CACHE_CONTROL_HEADER = {
  'Cache-Control': Type.String({ ...REQUIRED, description: 'Caching directives', examples: ['public, max-age=60, must-revalidate'] }),
}
export const CACHE_HEADERS = { ...ETAG_HEADER, ...CACHE_CONTROL_HEADER }
export const LINK_HEADER = {
  Link: Type.String({
    pattern: '^<[^>]+>; rel="next"$',
    description: 'RFC 8288 link to the next page: `<…>; rel="next"` (absent on the last page)',
    examples: ['</v1/acupoints?limit=20&cursor=eyJzIjoyMH0>; rel="next"'],
  }),
}
export const LOCATION_HEADER = {
  Location: Type.String({ ...REQUIRED, description: 'Where the new resource can be read', examples: ['/v1/acupoints/EX-HN3'] }),
}
export const RETRY_AFTER_HEADER = {
  'Retry-After': Type.Integer({ ...REQUIRED, minimum: 0, description: 'Seconds to wait before retrying', examples: [5] }),
}

export const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ maxLength: 1024, description: 'ETags you hold; 304 if one is current' })),
})

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({
    maxLength: 1024,
    description: 'Exactly one ETag, the one you last read: checked when sent (412 if the resource changed since; a list is refused)',
    examples: ['"Xr8pQ2m0bUFZs3c1Ew4K9aLdT7v"'],
  })),
})

/**
 * For writes that refuse to run without a precondition. Required here, so generated clients make
 * you send it; a request without it still gets 428 Precondition Required (RFC 6585), not a
 * validation 400 (plugins/app/error-handler.ts), as the description says.
 */
export const IfMatchRequiredHeaders = Type.Object({
  'if-match': Type.String({
    maxLength: 1024,
    description: 'Exactly one ETag: the one you last read. Required: without it (or with `*`) the answer is 428 Precondition Required; with a stale one, 412; a list of tags is a 400.',
    examples: ['"Xr8pQ2m0bUFZs3c1Ew4K9aLdT7v"'],
  }),
})

/** A success response with headers, in the shape @fastify/swagger turns into OpenAPI. */
export function withHeaders<S extends TSchema>(schema: S, headers: Record<string, TSchema>, description: string) {
  return { description, headers, content: { 'application/json': { schema } } }
}

export const NotModified = Type.Null({ description: 'Not modified: your copy (If-None-Match) is current', headers: ETAG_HEADER })
export const NoContent = Type.Null({ description: 'Deleted' })

/** `total` for lists of reference data: how many items match, on every page. */
export const TOTAL_PROPERTY = {
  total: Type.Integer({ minimum: 0, description: 'How many items match the query in all (on every page, whatever the cursor)', examples: [20] }),
}

export function listOf<S extends TSchema>(item: S, id: string, description: string, examples?: unknown[], extra: Record<string, TSchema> = {}) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last' }),
      ...extra,
    },
    { $id: id, title: id, description, ...(examples ? { examples } : {}) },
  )
}
