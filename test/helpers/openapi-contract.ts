/**
 * The contract check: does a response the server sent match what openapi.yaml promises?
 *
 *     import { checkResponse } from './openapi-contract.js'
 *     const violations = checkResponse({ method: 'GET', path: '/v1/acupoints/LI20', statusCode, headers, body })
 *     // [] when the document allows the response; otherwise one readable sentence per problem
 *
 * It reads the committed openapi.yaml (what integrators build from, kept equal to the routes by
 * `npm run openapi:check`) and compiles its schemas with Ajv (JSON Schema 2020-12, as OpenAPI 3.1
 * uses), resolving `$ref`s into components. Rules, for the operation matching method and path:
 * - the status is declared (exactly, as `4XX`, or `default`);
 * - a response declared with content has a body of a declared media type that matches its schema;
 *   one declared without content (204, 304) has no body; HEAD is checked as GET without a body;
 * - every header declared `required: true` is present, and every declared header that is present
 *   matches its schema (`Retry-After` an integer, `Link` a next link, `ETag` a quoted tag, …).
 * A request no operation matches (unknown path or method) must get an error (4xx/5xx) as an RFC 9457
 * problem, with `Allow` on a 405 (a CORS preflight's bodiless 204 to OPTIONS excepted). Paths under /docs/static/ are not checked: they are the docs page's
 * static files from @fastify/swagger-ui (JS, CSS), not API operations, and the document does not list them.
 *
 * Used by test/helpers/build-test-app.ts on every app.inject() response, by the client test's
 * fetch middleware, and reusable by any other test (fuzzing) that has a response in hand.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { parse as parseYaml } from 'yaml'

export interface ResponseToCheck {
  /** The request method (any case). */
  method: string
  /** The request path as sent; a query string is ignored. */
  path: string
  statusCode: number
  /** Response headers; names in any case. */
  headers: Record<string, string | string[] | number | undefined>
  /** The body exactly as received (JSON text, YAML, …); empty or undefined for none. */
  body?: string | Buffer
}

interface HeaderObject { required?: boolean; schema?: object; $ref?: string }
interface ResponseObject { headers?: Record<string, HeaderObject>; content?: Record<string, { schema?: object }> }
interface OperationObject { operationId?: string; responses?: Record<string, ResponseObject> }
type PathItem = Record<string, OperationObject>
export interface OpenApiDocument { paths: Record<string, PathItem>; components?: object }

export interface MatchedOperation {
  /** The path template in the document, e.g. `/v1/acupoints/{code}`. */
  template: string
  /** Lower-case method as in the document. */
  method: string
  operation: OperationObject
}

const DOCUMENT_ID = 'urn:acupoint-api:openapi'
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
/** Not API operations: the docs page's static files (see the module comment). */
const UNCHECKED_PATH = /^\/docs\/static\//

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void

const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1')
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function headerValue(headers: ResponseToCheck['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    return Array.isArray(value) ? value.join(', ') : String(value)
  }
  return undefined
}

/** A compiled openapi.yaml that checks responses against it. */
export class OpenApiContract {
  readonly document: OpenApiDocument
  private readonly ajv: Ajv2020
  private readonly validators = new Map<string, ValidateFunction>()
  private readonly templates: { template: string; pattern: RegExp; literalSegments: number }[]

  constructor(document: OpenApiDocument) {
    this.document = document
    // strict: false because an OpenAPI document carries keywords JSON Schema does not know.
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
    addFormats(this.ajv)
    this.ajv.addSchema(document as object, DOCUMENT_ID)
    this.templates = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+')}$`),
        literalSegments: template.split('/').filter((segment) => segment && !segment.startsWith('{')).length,
      }))
      // `/moderation/comments/counts` before `/moderation/comments/{id}`, as the router does.
      .sort((a, b) => b.literalSegments - a.literalSegments)
  }

  /** The operation the document declares for this method and path, if any (HEAD finds GET). */
  findOperation(method: string, requestPath: string): MatchedOperation | undefined {
    const template = this.findPath(requestPath)
    if (!template) return undefined
    const item = this.document.paths[template]!
    const wanted = method.toLowerCase()
    for (const candidate of wanted === 'head' ? ['head', 'get'] : [wanted]) {
      const operation = item[candidate]
      if (operation && METHODS.includes(candidate)) return { template, method: candidate, operation }
    }
    return undefined
  }

  /** The document's path template that matches a request path (query ignored, trailing slash too). */
  findPath(requestPath: string): string | undefined {
    let pathname = requestPath.split('?', 1)[0] ?? ''
    if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1)
    return this.templates.find(({ pattern }) => pattern.test(pathname))?.template
  }

  /** Everything about the response that the document does not allow; empty when it conforms. */
  checkResponse(response: ResponseToCheck): string[] {
    const method = response.method.toUpperCase()
    if (UNCHECKED_PATH.test(response.path)) return []
    const where = `${method} ${response.path} → ${response.statusCode}`
    const body = response.body === undefined ? '' : response.body.toString()
    const isHead = method === 'HEAD'

    const matched = this.findOperation(method, response.path)
    if (!matched) return this.checkUnroutedResponse(response, where, body)

    const responses = matched.operation.responses ?? {}
    const status = String(response.statusCode)
    const key = [status, `${status[0]}XX`, 'default'].find((candidate) => responses[candidate] !== undefined)
    const operationName = `${matched.operation.operationId ?? matched.method} (${matched.method.toUpperCase()} ${matched.template})`
    if (!key) {
      return [`${where}: status ${status} is not declared for ${operationName}; declared: ${Object.keys(responses).join(', ')}`]
    }
    const declared = responses[key]!
    const pointer = `#/paths/${escapePointer(matched.template)}/${matched.method}/responses/${key}`
    const violations: string[] = []

    for (const [name, declaredHeader] of Object.entries(declared.headers ?? {})) {
      const header = this.resolve(declaredHeader)
      const value = headerValue(response.headers, name)
      if (value === undefined) {
        if (header.required) violations.push(`${where}: required header ${name} is missing`)
        continue
      }
      if (!header.schema) continue
      const headerPointer = declaredHeader.$ref?.replace(/^#/, '') ?? `${pointer.replace(/^#/, '')}/headers/${escapePointer(name)}`
      const validate = this.validator(`#${headerPointer}/schema`)
      const typed = /^-?\d+(\.\d+)?$/.test(value) && /"(integer|number)"/.test(JSON.stringify(header.schema)) ? Number(value) : value
      if (!validate(typed)) violations.push(`${where}: header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`)
    }

    const content = declared.content ?? {}
    const mediaTypes = Object.keys(content)
    if (mediaTypes.length === 0) {
      if (body !== '') violations.push(`${where}: the document declares no body, but one was sent`)
      return violations
    }
    if (isHead) return violations
    const contentType = (headerValue(response.headers, 'content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase()
    if (!mediaTypes.includes(contentType)) {
      violations.push(`${where}: content type ${JSON.stringify(contentType)} is not declared; declared: ${mediaTypes.join(', ')}`)
      return violations
    }
    if (!content[contentType]!.schema) return violations
    let value: unknown = body
    if (/[/+]json$/.test(contentType)) {
      try {
        value = JSON.parse(body)
      } catch {
        violations.push(`${where}: the body is not JSON: ${JSON.stringify(body.slice(0, 200))}`)
        return violations
      }
    }
    const validate = this.validator(`${pointer}/content/${escapePointer(contentType)}/schema`)
    if (!validate(value)) {
      const issues = (validate.errors ?? []).slice(0, 5).map((issue) => `${issue.instancePath || '/'} ${issue.message}`)
      violations.push(`${where}: the body does not match ${operationName}'s ${key} schema: ${issues.join('; ')}`)
    }
    return violations
  }

  /** Unknown path or method: only an error, sent as a problem, fits (405 with Allow). */
  private checkUnroutedResponse(response: ResponseToCheck, where: string, body: string): string[] {
    const violations: string[] = []
    // A CORS preflight: @fastify/cors answers OPTIONS on every path with 204 and no body. It is
    // part of the Fetch protocol, not an API operation, so the document does not list it.
    if (response.method.toUpperCase() === 'OPTIONS' && response.statusCode === 204 && body === '') return []
    if (response.statusCode < 400) {
      return [`${where}: no operation in the document matches ${response.method.toUpperCase()} ${response.path.split('?', 1)[0]}`]
    }
    if (response.statusCode === 405 && headerValue(response.headers, 'allow') === undefined) {
      violations.push(`${where}: 405 without an Allow header`)
    }
    const contentType = headerValue(response.headers, 'content-type') ?? ''
    if (response.method.toUpperCase() === 'HEAD') return violations
    if (!contentType.startsWith('application/problem+json')) {
      violations.push(`${where}: an error must be application/problem+json, not ${JSON.stringify(contentType)}`)
      return violations
    }
    const validate = this.validator('#/components/schemas/Problem')
    let problem: unknown
    try {
      problem = JSON.parse(body)
    } catch {
      problem = body
    }
    if (!validate(problem)) violations.push(`${where}: the problem does not match the Problem schema: ${this.ajv.errorsText(validate.errors)}`)
    return violations
  }

  /** A header object, or the one its `$ref` (`#/components/headers/…`) points at. */
  private resolve(header: HeaderObject): HeaderObject {
    if (!header.$ref) return header
    const found = header.$ref.replace(/^#\//, '').split('/').reduce<unknown>(
      (node, segment) => (node as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')],
      this.document,
    )
    return (found as HeaderObject | undefined) ?? {}
  }

  /** Validates a value against the schema at a JSON Pointer into the document (`#/components/schemas/Problem`). */
  validateAt(pointer: string, value: unknown): string[] {
    const validate = this.validator(pointer)
    return validate(value) ? [] : (validate.errors ?? []).map((issue) => `${issue.instancePath || '/'} ${issue.message}`)
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer)
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` })
      this.validators.set(pointer, validate)
    }
    return validate
  }
}

export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi.yaml')

/** Reads and compiles an OpenAPI document (default: the committed openapi.yaml). */
export function loadContract(file = OPENAPI_FILE): OpenApiContract {
  return new OpenApiContract(parseYaml(readFileSync(file, 'utf8')) as OpenApiDocument)
}

let shared: OpenApiContract | undefined
/** The committed openapi.yaml's contract, compiled once per process. */
export function openApiContract(): OpenApiContract {
  shared ??= loadContract()
  return shared
}

/** Checks a response against the committed openapi.yaml. Returns the violations (empty: it conforms). */
export function checkResponse(response: ResponseToCheck): string[] {
  return openApiContract().checkResponse(response)
}
