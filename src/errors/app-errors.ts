import statuses from 'statuses'

/**
 * Typed domain errors. Each carries a stable `code` that clients can switch on; the error handler
 * turns them into RFC 9457 problem responses.
 */
export interface FieldIssue {
  /** Where the problem is: `body`, `query`, `params` or `headers`. */
  in: string
  /** JSON Pointer into that part of the request. */
  pointer: string
  message: string
}

export class AppError extends Error {
  /** The status's standard reason phrase (from `statuses`), so every problem with a status has one title. */
  readonly title: string

  constructor(
    readonly statusCode: number,
    readonly code: string,
    detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldIssue[],
  ) {
    super(detail ?? statuses(statusCode))
    this.title = statuses(statusCode)
    this.name = new.target.name
  }
}

export class BadRequestError extends AppError {
  constructor(detail: string, errors?: FieldIssue[], code = 'bad_request') {
    super(400, code, detail, {}, errors)
  }
}

export class UnauthorizedError extends AppError {
  /**
   * RFC 6750 §3.1: a request that sent no bearer token at all (none, or another scheme) gets the
   * challenge with no error code; one whose token is bad gets `error="invalid_token"`.
   */
  constructor(detail = 'A valid bearer token is required.', tokenSent = true) {
    super(401, 'unauthorized', detail, {
      'www-authenticate': tokenSent ? 'Bearer realm="acupoint-api", error="invalid_token"' : 'Bearer realm="acupoint-api"',
    })
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'Your role does not allow this operation.', code = 'forbidden') {
    super(403, code, detail)
  }
}

export class NotFoundError extends AppError {
  constructor(detail = 'Nothing exists at this address.', code = 'not_found') {
    super(404, code, detail)
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, code = 'conflict') {
    super(409, code, detail)
  }
}

export class PreconditionFailedError extends AppError {
  constructor(detail = 'The resource has changed since you read it: fetch it again and retry.', errors?: FieldIssue[]) {
    super(412, 'precondition_failed', detail, {}, errors)
  }
}

export class PreconditionRequiredError extends AppError {
  constructor(detail = 'This request needs an If-Match header with the ETag you last read.', errors?: FieldIssue[]) {
    super(428, 'precondition_required', detail, {}, errors)
  }
}

export class TooManyRequestsError extends AppError {
  constructor(detail: string, retryAfterSeconds: number, code = 'too_many_requests') {
    super(429, code, detail, { 'retry-after': String(retryAfterSeconds) })
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(detail: string, retryAfterSeconds: number, code = 'service_unavailable') {
    super(503, code, detail, { 'retry-after': String(retryAfterSeconds) })
  }
}
