import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type FieldIssue } from '../../errors/app-errors.js'
import { isDatabaseUnavailable } from '../../db/database-errors.js'
import type { Problem } from '../../schemas/problem-schemas.js'

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Content too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  428: 'Precondition required',
  429: 'Too many requests',
  431: 'Request header fields too large',
  500: 'Internal server error',
  503: 'Service unavailable',
}

// Fastify's own 4xx errors, given stable codes of ours.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: { headers?: Record<string, string>; errors?: FieldIssue[]; title?: string } = {},
): FastifyReply {
  const problem: Problem = {
    type: `urn:acupoint-api:problem:${code}`,
    title: extra.title ?? TITLES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?', 1)[0] ?? request.url,
    code,
    requestId: String(request.id),
    ...(extra.errors ? { errors: extra.errors } : {}),
  }
  return reply.code(status).headers(extra.headers ?? {}).type('application/problem+json').send(problem)
}

function validationIssues(error: FastifyError): FieldIssue[] {
  const where = error.validationContext ?? 'request'
  const part = where === 'querystring' ? 'query' : where
  return (error.validation ?? []).map((issue) => {
    const missing = (issue.params as { missingProperty?: string } | undefined)?.missingProperty
    const extra = (issue.params as { additionalProperty?: string } | undefined)?.additionalProperty
    const pointer = issue.instancePath + (missing ? `/${missing}` : extra ? `/${extra}` : '')
    const message = extra ? 'is not an accepted field' : issue.message ?? 'is invalid'
    return { in: part, pointer: pointer || '/', message }
  })
}

/**
 * The one place where failures become RFC 9457 responses. 4xx details are safe to show; anything
 * unexpected is logged with its stack and answered with a bare 500.
 */
export default fp(
  async function errorHandler(app: FastifyInstance, options: { retryAfterSeconds: number }) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof AppError) {
        if (error.statusCode >= 500) request.log.warn({ code: error.code }, error.message)
        return sendProblem(request, reply, error.statusCode, error.code, error.message, {
          headers: error.headers,
          ...(error.errors ? { errors: error.errors } : {}),
        })
      }
      if (error.validation) {
        const errors = validationIssues(error)
        const summary = errors.map((issue) => `${issue.in}${issue.pointer === '/' ? '' : issue.pointer} ${issue.message}`)
        return sendProblem(request, reply, 400, 'validation_failed', `Invalid request: ${summary.join('; ')}.`, { errors })
      }
      // Constraint violations the services did not foresee (a race between two writers, say).
      const prismaCode = (error as { code?: unknown }).code
      if (prismaCode === 'P2002' || prismaCode === 'P2003' || prismaCode === 'P2014') {
        request.log.warn({ err: error }, 'constraint violation')
        return sendProblem(request, reply, 409, 'conflict', 'The change conflicts with other stored data and was not made.')
      }
      if (prismaCode === 'P2025') {
        return sendProblem(request, reply, 404, 'not_found', 'The record no longer exists.')
      }
      if (isDatabaseUnavailable(error)) {
        request.log.error({ err: error }, 'database unavailable')
        return sendProblem(request, reply, 503, 'database_unavailable', 'The database cannot be reached right now. Retry shortly.', {
          headers: { 'retry-after': String(options.retryAfterSeconds) },
        })
      }
      const status = error.statusCode ?? 500
      if (status >= 400 && status < 500) {
        const code = FASTIFY_CODES[error.code] ?? (status === 429 ? 'too_many_requests' : 'bad_request')
        return sendProblem(request, reply, status, code, error.message)
      }
      request.log.error({ err: error }, 'unexpected error')
      return sendProblem(request, reply, 500, 'internal_error', 'An unexpected error occurred. It has been logged.')
    })
  },
  { name: 'error-handler' },
)
