import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import statuses from 'statuses'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, PreconditionRequiredError, type FieldIssue } from '../../errors/app-errors.js'
import { classifyDatabaseError, describeDatabaseError } from '../../db/database-errors.js'
import type { Problem } from '../../schemas/problem-schemas.js'

// Fastify's own 4xx errors, given stable codes of ours.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'path_parameter_too_long',
}

// The router's rejections, in words a client can act on.
const FRAMEWORK_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL contains a percent-encoded sequence that is not valid UTF-8.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is longer than any valid value.',
}

// Codes for 4xx errors that arrive without one of ours (from a plugin, say): the status's reason
// phrase in snake case (404 not_found, 429 too_many_requests), except where ours predate it.
const CODE_OVERRIDES: Record<number, string> = { 413: 'body_too_large', 431: 'headers_too_large' }
const titleOf = (status: number) => statuses.message[status] ?? 'Error'
const codeOf = (status: number) =>
  CODE_OVERRIDES[status] ?? (statuses.message[status] ? titleOf(status).toLowerCase().replace(/[^a-z0-9]+/g, '_') : 'bad_request')

function problemCodeFor(error: FastifyError, status: number): string {
  return FASTIFY_CODES[error.code] ?? codeOf(status)
}

/**
 * Fastify's router errors (a malformed URL such as `/%`) bypass the error handler; this option
 * handler gives them the same problem shape.
 */
export function frameworkErrorResponse(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // Always 400: whatever the router objects to (an undecodable escape, an over-long parameter) is a malformed request.
  const status = 400
  // No onRequest hook ran for this request, so the id header is set here.
  reply.header('x-request-id', request.id)
  void sendProblem(request, reply, status, problemCodeFor(error, status), FRAMEWORK_DETAILS[error.code] ?? 'The request could not be routed.')
}

/**
 * Requests Node's HTTP parser rejects never become Fastify requests: answer them on the socket
 * with a problem of our own shape (431 for oversized headers, 408 for a timed-out request).
 */
export function clientErrorResponse(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
    socket.destroy()
    return
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const code = codeOf(status)
  const title = titleOf(status)
  const problem: Problem = {
    type: `urn:acupoint-api:problem:${code}`,
    title,
    status,
    detail: status === 431 ? 'The request headers are too large.' : status === 408 ? 'The request took too long to arrive.' : 'The request is not valid HTTP.',
    instance: '/',
    code,
    requestId: randomUUID(),
  }
  const body = JSON.stringify(problem)
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
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
    title: extra.title ?? titleOf(status),
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
  async function errorHandler(app: FastifyInstance, options: { retryAfterSeconds: number; busyRetryAfterSeconds: number }) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof AppError) {
        if (error.statusCode >= 500) request.log.warn({ code: error.code }, error.message)
        return sendProblem(request, reply, error.statusCode, error.code, error.message, {
          title: error.title,
          headers: error.headers,
          ...(error.errors ? { errors: error.errors } : {}),
        })
      }
      if (error.validation) {
        const errors = validationIssues(error)
        // If-Match is `required` in the document, so generated clients send it; a request that still
        // leaves it out gets 428 (RFC 6585), not a 400, as the document says.
        if (errors.length > 0 && errors.every((issue) => issue.in === 'headers' && issue.pointer === '/if-match' && issue.message.startsWith('must have required'))) {
          const missing = new PreconditionRequiredError()
          return sendProblem(request, reply, missing.statusCode, missing.code, missing.message)
        }
        const summary = errors.map((issue) => `${issue.in}${issue.pointer === '/' ? '' : issue.pointer} ${issue.message}`)
        return sendProblem(request, reply, 400, 'validation_failed', `Invalid request: ${summary.join('; ')}.`, { errors })
      }
      // Database failures, as database-errors.ts recognises them: logged by their codes only (an
      // outage or a burst would otherwise write a stack trace per request).
      const failure = classifyDatabaseError(error)
      if (failure === 'conflict') {
        // A race between two writers that the services did not foresee.
        request.log.warn({ database: describeDatabaseError(error) }, 'constraint violation')
        return sendProblem(request, reply, 409, 'conflict', 'The change conflicts with other stored data and was not made.')
      }
      if (failure === 'missing') {
        return sendProblem(request, reply, 404, 'not_found', 'The record no longer exists.')
      }
      if (failure === 'unavailable') {
        request.log.error({ database: describeDatabaseError(error) }, 'database unavailable')
        return sendProblem(request, reply, 503, 'database_unavailable', 'The database cannot be reached right now. Retry shortly.', {
          headers: { 'retry-after': String(options.retryAfterSeconds) },
        })
      }
      if (failure === 'saturated') {
        request.log.warn({ database: describeDatabaseError(error) }, 'database saturated')
        return sendProblem(request, reply, 503, 'database_busy', 'The database is too busy to take this request right now. Retry shortly.', {
          headers: { 'retry-after': String(options.busyRetryAfterSeconds) },
        })
      }
      const status = error.statusCode ?? 500
      if (status >= 400 && status < 500) {
        // Fastify's own messages are written for clients; anyone else's may carry internals.
        const detail = typeof error.code === 'string' && error.code.startsWith('FST_') ? error.message
          : status === 429 ? error.message
          : `The request could not be processed (${titleOf(status)}).`
        return sendProblem(request, reply, status, problemCodeFor(error, status), detail)
      }
      request.log.error({ err: error }, 'unexpected error')
      return sendProblem(request, reply, 500, 'internal_error', 'An unexpected error occurred. It has been logged.')
    })
  },
  { name: 'error-handler' },
)
