import { Type, type Static, type TSchema } from 'typebox'
import { RETRY_AFTER_HEADER } from './common-schemas.js'
import { PROBLEM_EXAMPLE } from './examples.js'

export const FieldIssueSchema = Type.Object(
  {
    in: Type.String({ description: 'Part of the request: body, query, params or headers', examples: ['body'] }),
    pointer: Type.String({ description: 'JSON Pointer into that part', examples: ['/authorEmail'] }),
    message: Type.String({ examples: ['must match format "email"'] }),
  },
  { $id: 'FieldIssue', title: 'FieldIssue' },
)

export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: 'A URN naming the kind of problem; stable, so clients can switch on it',
      examples: ['urn:acupoint-api:problem:not_found'],
    }),
    title: Type.String({ description: 'Short summary of the kind of problem', examples: ['Not found'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, examples: [404] }),
    detail: Type.String({ description: 'What went wrong with this request', examples: ['No acupoint has the code "XX1".'] }),
    instance: Type.String({ description: 'The request path', examples: ['/v1/acupoints/XX1'] }),
    code: Type.String({ description: 'The same kind as `type`, as a plain identifier', examples: ['not_found'] }),
    requestId: Type.String({ description: 'Quote this when reporting a problem', examples: ['5f0c7a2e-3b1d-4c1e-9a57-0b7b4f1c2d3e'] }),
    errors: Type.Optional(Type.Array(Type.Ref('FieldIssue'), { description: 'One entry per invalid field' })),
  },
  {
    $id: 'Problem',
    title: 'Problem',
    description: 'An RFC 9457 problem details object, sent as application/problem+json.',
    examples: [PROBLEM_EXAMPLE],
  },
)
export type Problem = Static<typeof ProblemSchema>

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation',
  401: 'No valid bearer token',
  403: 'The token\'s role may not do this',
  404: 'Not found',
  405: 'Method not allowed on this path',
  409: 'Conflicts with the current state',
  412: 'If-Match does not match the current ETag',
  413: 'The body is larger than the limit',
  415: 'Unsupported Content-Type',
  428: 'If-Match is required',
  429: 'Too many requests; see Retry-After',
  500: 'Unexpected failure (no internals are revealed)',
  503: 'The database is unreachable or the server is overloaded; see Retry-After',
}


export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 415 | 428 | 429 | 500 | 503

export interface ProblemResponse {
  description: string
  headers?: Record<string, TSchema>
  content: { 'application/problem+json': { schema: TSchema } }
}

/** Problem responses for a route's `response` schema, one entry per status it can return. */
export function problemResponses(...statuses: ErrorStatus[]): Record<number, ProblemResponse> {
  const responses: Record<number, ProblemResponse> = {}
  for (const status of [...new Set(statuses)].sort()) {
    responses[status] = {
      description: STATUS_DESCRIPTIONS[status] ?? 'Problem',
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER_HEADER } : {}),
      content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
    }
  }
  return responses
}

/** Every route can fail unexpectedly or find the database gone. */
export const ALWAYS = [500, 503] as const satisfies ErrorStatus[]
/** Routes behind staff authentication. */
export const STAFF_ONLY = [401, 403] as const satisfies ErrorStatus[]
