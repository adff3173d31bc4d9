import statuses from 'statuses'
import type { Problem } from './problem-schemas.js'

/** An operation as the OpenAPI document has it, enough to say what its errors look like. */
export interface ExampleOperation {
  method: string
  /** The path template, e.g. `/v1/comments/{id}`. */
  path: string
  /** Path parameter examples by name, to fill in the template. */
  pathExamples: Record<string, unknown>
  /** The first body or query field, for a validation example that points somewhere real. */
  firstField?: { in: string; name: string }
}

// The not-found code each resource's routes raise (see the services' NotFoundError calls).
const NOT_FOUND_CODES: Array<[RegExp, string]> = [
  [/^\/v1\/acupoints\/\{code\}/, 'acupoint_not_found'],
  [/^\/v1\/channels\//, 'channel_not_found'],
  [/^\/v1\/sources\//, 'source_not_found'],
  [/^\/v1\/claims\//, 'claim_not_found'],
  [/^\/v1\/articles\/\{slug\}(\/publish|\/unpublish)?$/, 'article_not_found'],
  [/^\/v1\/articles\/\{slug\}\/comments$/, 'article_not_found'],
  [/\/comments(\/bulk|\/\{id\})/, 'comment_not_found'],
  [/^\/v1\/webhooks\/\{id\}\/deliveries\/\{deliveryId\}/, 'delivery_not_found'],
  [/^\/v1\/webhooks\//, 'webhook_not_found'],
]

// Conflicts: what each kind of write collides with.
const CONFLICT_CODES: Array<[RegExp, string, string]> = [
  [/^post \/v1\/articles\/\{slug\}\/comments$/, 'duplicate_comment', 'The same comment was already submitted; it is waiting for moderation.'],
  [/^patch \/v1\/comments\/\{id\}\/by-author$/, 'duplicate_comment', 'You have already posted this comment on this article.'],
  [/^post \/v1\/acupoints$/, 'duplicate_acupoint', 'A point with the code EX-HN5 already exists.'],
  [/^patch \/v1\/acupoints\//, 'duplicate_acupoint', 'Another point already has channel LI and number 20.'],
  [/^post \/v1\/articles$/, 'duplicate_slug', 'An article with the slug facial-acupuncture-six-points already exists.'],
  [/^post \/v1\/webhooks\/\{id\}\/(ping|deliveries)/, 'webhook_inactive', 'The subscription is inactive: activate it (PATCH active: true) first.'],
  [/^delete /, 'still_referenced', 'Claims or articles still refer to it: remove those references first.'],
]

const DETAILS: Record<number, (operation: ExampleOperation) => { code: string; detail: string }> = {
  400: (operation) => ({ code: 'validation_failed', detail: `Invalid request: ${operation.firstField ? `${operation.firstField.in}/${operation.firstField.name} ` : ''}is invalid.` }),
  401: () => ({ code: 'unauthorized', detail: 'This operation needs an Authorization: Bearer token.' }),
  403: (operation) => operation.method === 'post' && operation.path === '/v1/articles/{slug}/comments'
    ? { code: 'comments_closed', detail: 'The comment thread of "facial-acupuncture-six-points" is closed: it takes no new comments.' }
    : operation.path.endsWith('/by-author')
      ? { code: 'edit_window_closed', detail: 'A comment can be edited for 15 minute(s) after it was submitted; that time ended at 2026-11-24T09:45:00.000Z.' }
      : { code: 'forbidden', detail: 'This operation needs one of the roles: editor, admin.' },
  404: (operation) => {
    const code = NOT_FOUND_CODES.find(([pattern]) => pattern.test(operation.path))?.[1] ?? 'not_found'
    return { code, detail: code === 'not_found' ? 'Nothing exists at this address.' : `No ${code.replace(/_not_found$/, '')} matches the request.` }
  },
  409: (operation) => {
    const match = CONFLICT_CODES.find(([pattern]) => pattern.test(`${operation.method} ${operation.path}`))
    return match ? { code: match[1], detail: match[2] } : { code: 'conflict', detail: 'The change conflicts with other stored data and was not made.' }
  },
  412: () => ({ code: 'precondition_failed', detail: 'The resource has changed since you read it: fetch it again and retry.' }),
  413: () => ({ code: 'body_too_large', detail: 'Request body is too large' }),
  415: () => ({ code: 'unsupported_media_type', detail: 'Unsupported Media Type: text/plain' }),
  428: (operation) => operation.path.endsWith('/bulk')
    ? { code: 'precondition_required', detail: '1 id(s) have no ETag in `etags`: send the ETag you read for each, or `force: true` to skip the check; nothing was changed.' }
    : { code: 'precondition_required', detail: 'This request needs an If-Match header with the ETag you last read.' },
  429: (operation) => operation.method === 'post' && operation.path.endsWith('/comments')
    ? { code: 'comment_flood', detail: 'Please wait 15 s between comments.' }
    : { code: 'rate_limited', detail: 'Too many requests: at most 120 per 1 minute. Retry later.' },
  500: () => ({ code: 'internal_error', detail: 'An unexpected error occurred. It has been logged.' }),
  503: () => ({ code: 'database_unavailable', detail: 'The database cannot be reached right now. Retry shortly.' }),
}

/** The problem an operation answers with this status, as its own example in the document. */
export function problemExample(status: number, operation: ExampleOperation): Problem {
  const { code, detail } = (DETAILS[status] ?? (() => ({ code: 'bad_request', detail: 'The request could not be processed.' })))(operation)
  const instance = operation.path.replace(/\{(\w+)\}/g, (_whole, name: string) => encodeURIComponent(String(operation.pathExamples[name] ?? name)))
  return {
    type: `urn:acupoint-api:problem:${code}`,
    title: statuses(status),
    status,
    detail,
    instance,
    code,
    requestId: '5f0c7a2e-3b1d-4c1e-9a57-0b7b4f1c2d3e',
    ...(status === 400 && operation.firstField
      ? { errors: [{ in: operation.firstField.in, pointer: `/${operation.firstField.name}`, message: 'is invalid' }] }
      : {}),
  }
}
