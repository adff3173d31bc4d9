import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { Type, type TSchema } from 'typebox'
import type { RateLimitedRouteConfig } from './rate-limit.js'
import type { AppConfig } from '../../config/config.js'
import { SHARED_SCHEMAS } from '../../schemas/shared-schemas.js'
import { problemResponses } from '../../schemas/problem-schemas.js'
import { problemExample, type ExampleOperation } from '../../schemas/problem-examples.js'

export const API_VERSION = '0.1.0'

const DOCS_ROUTES: Record<string, Record<string, unknown>> = {
  '/docs': {
    tags: ['system'],
    operationId: 'getDocsPage',
    summary: 'The interactive docs page',
    description: 'Swagger UI showing this document, with "try it out" against this server. HTML, for people.',
    response: { 200: { description: 'The page', content: { 'text/html': { schema: Type.String({ maxLength: 100_000 }) } } }, ...problemResponses(500) },
  },
  '/docs/json': {
    tags: ['system'],
    operationId: 'getDocsDocumentJson',
    summary: 'The document the docs page shows, as JSON',
    description: 'The same document as `/openapi.json`, at the address the docs page loads it from.',
    response: { 200: Type.Ref('OpenApiDocument'), ...problemResponses(500) },
  },
  '/docs/yaml': {
    tags: ['system'],
    operationId: 'getDocsDocumentYaml',
    summary: 'The document the docs page shows, as YAML',
    description: 'The same document as `/openapi.yaml`, at the address next to the docs page.',
    response: { 200: { description: 'The document', content: { 'application/x-yaml': { schema: Type.String({ maxLength: 10_000_000 }) } } }, ...problemResponses(500) },
  },
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is plain JSON, walked generically */
type Json = Record<string, any>
type OpenApiDocument = Json & { paths?: Record<string, Record<string, Json>> }

// Our integers are PostgreSQL `integer`s: say so, and give the range where a schema gives none.
const INT32_MIN = -2_147_483_648
const INT32_MAX = 2_147_483_647

/** Every integer schema in the document is an int32 with bounds (examples are data, not schemas). */
function boundIntegers(node: unknown): void {
  if (!node || typeof node !== 'object') return
  if (Array.isArray(node)) return node.forEach(boundIntegers)
  const schema = node as Json
  if (schema.type === 'integer') {
    schema.format ??= 'int32'
    if (schema.minimum === undefined && schema.exclusiveMinimum === undefined) schema.minimum = INT32_MIN
    if (schema.maximum === undefined && schema.exclusiveMaximum === undefined) schema.maximum = INT32_MAX
  }
  for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') boundIntegers(value)
}

const CORS_ORIGIN_HEADER = {
  schema: { type: 'string', maxLength: 2048, examples: ['*'] },
  description: 'CORS: `*` by default; with CORS_ORIGINS set, the calling page\'s origin when it is on the list, and absent otherwise',
}

const SHARED_HEADERS = new Set(['Access-Control-Allow-Origin', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'])

const upperFirst = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`

/** What the problem examples need to know about an operation. */
function exampleOperation(method: string, path: string, operation: Json): ExampleOperation {
  const parameters: Json[] = operation.parameters ?? []
  const pathExamples = Object.fromEntries(parameters.filter((parameter) => parameter.in === 'path').map((parameter) => [parameter.name, parameter.example]))
  const bodyFields = Object.keys(operation.requestBody?.content?.['application/json']?.schema?.properties ?? {})
  const query = parameters.find((parameter) => parameter.in === 'query')
  const firstField = bodyFields[0] ? { in: 'body', name: bodyFields[0] } : query ? { in: 'query', name: query.name as string } : undefined
  return { method, path, pathExamples, ...(firstField ? { firstField } : {}) }
}

/**
 * What @fastify/swagger cannot say from a route schema, filled in after it builds the document:
 * - operations without a `security` are public, and say so (`security: []`);
 * - a query parameter with a default may be left out (TypeBox makes it required in the type);
 * - response headers marked `x-required` (see common-schemas.ts) are `required: true`;
 * - every response may carry Access-Control-Allow-Origin (CORS, plugins/external/security-headers.ts);
 * - each error response has an example of its own: its status, and the code this operation raises;
 * - HEAD, which Fastify answers for every GET, is declared as its own operation, without bodies;
 * - integers are int32 with bounds (PostgreSQL `integer`);
 * - nothing is shared, so the YAML has no `&anchors` and `*aliases`, which some tools mishandle.
 */
function finishDocument(document: OpenApiDocument): OpenApiDocument {
  const sharedHeaders: Json = {}
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      operation.security ??= []
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.default !== undefined) parameter.required = false
      }
      if (method === 'head') describeHead(operation)
      for (const [status, response] of Object.entries(operation.responses ?? {}) as Array<[string, Json]>) {
        for (const header of Object.values(response.headers ?? {}) as Json[]) {
          const { 'x-required': required, ...schema } = header.schema
          header.schema = schema
          if (required === true) header.required = true
        }
        response.headers = { ...response.headers, 'Access-Control-Allow-Origin': CORS_ORIGIN_HEADER }
        // Headers every response of many operations shares are defined once, under components.
        for (const name of Object.keys(response.headers)) {
          // The rate-limit headers a 400 may lack (see RATE_LIMIT_HEADERS) stay inline, as optional.
          if (SHARED_HEADERS.has(name) && (name === 'Access-Control-Allow-Origin' || response.headers[name].required === true)) {
            sharedHeaders[name] = response.headers[name]
            response.headers[name] = { $ref: `#/components/headers/${name}` }
          }
        }
        const problem = response.content?.['application/problem+json']
        if (problem) problem.example = problemExample(Number(status), exampleOperation(method === 'head' ? 'get' : method, path, operation))
      }
    }
  }
  document.components = { ...document.components, headers: sharedHeaders }
  // Routes share schema objects (headers, examples, security): unshared, the YAML has no anchors or aliases.
  const unshared = JSON.parse(JSON.stringify(document)) as OpenApiDocument
  boundIntegers(unshared.paths)
  boundIntegers(unshared.components)
  return unshared
}

/** HEAD is GET without a body (RFC 9110): the same statuses and headers, no content. */
function describeHead(operation: Json): void {
  operation.operationId = `head${upperFirst(String(operation.operationId).replace(/-head$/, ''))}`
  operation.summary = `Headers only: ${String(operation.summary).charAt(0).toLowerCase()}${String(operation.summary).slice(1)}`
  operation.description = `The GET of the same path without the body (RFC 9110): the same status and headers (ETag, Cache-Control, …), for a cheap freshness check. ${operation.description ?? ''}`.trim()
  for (const response of Object.values(operation.responses ?? {}) as Json[]) delete response.content
}

// Every response of a rate-limited route carries these (@fastify/rate-limit), with two exceptions:
// a 400 from the router itself (a URL that is not valid UTF-8, an over-long parameter) is sent before
// any route hook runs, so a 400 may lack them; and a 503 from load shedding answers before the limit
// is checked, so 503s do not promise them.
const rateLimitHeaders = (required: boolean) => {
  const flag = required ? { 'x-required': true } : {}
  return {
    'X-RateLimit-Limit': Type.Integer({ ...flag, minimum: 1, maximum: 1_000_000, description: 'Requests this address may make to this route per window', examples: [120] }),
    'X-RateLimit-Remaining': Type.Integer({ ...flag, minimum: 0, maximum: 1_000_000, description: 'Requests left in the current window', examples: [119] }),
    'X-RateLimit-Reset': Type.Integer({ ...flag, minimum: 0, maximum: 86_400, description: 'Seconds until the window starts afresh', examples: [60] }),
  }
}

/** Adds the rate-limit headers to each response of a route's `response` schema. */
function withRateLimitHeaders(responses: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(responses).map(([status, response]) => {
    const headers = rateLimitHeaders(status !== '400')
    const given = response as Json
    if (status === '503') return [status, response]
    // A bare body schema (a `$ref`) becomes the content form, which can carry headers.
    if (given.content === undefined && given.type !== 'null') {
      return [status, { description: given.description ?? 'Default Response', headers, content: { 'application/json': { schema: given as TSchema } } }]
    }
    return [status, { ...given, headers: { ...given.headers, ...headers } }]
  }))
}

/** Builds the OpenAPI document from the route schemas and serves the docs page at /docs. */
export default fp(
  async function openapi(app: FastifyInstance, options: { config: AppConfig }) {
    for (const schema of SHARED_SCHEMAS) app.addSchema(schema)

    // The docs page and the copies of this document it loads are served, so they are declared too
    // (first: the hook below then adds what every route gets, such as its rate limit).
    // Its static assets (/docs/static/…: Swagger UI's scripts and styles) are files, not operations.
    app.addHook('onRoute', (route) => {
      const declared = DOCS_ROUTES[route.url]
      if (declared && (route.method === 'GET' || route.method === 'HEAD')) route.schema = declared
    })

    app.addHook('onRoute', (route) => {
      const schema = route.schema
      if (!schema?.response) return
      let responses = schema.response as Record<string, unknown>
      // A route that validates any input (a header, say) can answer 400, so the document says so.
      if (!(400 in responses) && (schema.params || schema.querystring || schema.body || schema.headers)) {
        responses = { ...responses, ...problemResponses(400) }
      }
      // Keyed on the route's own limit as @fastify/rate-limit sees it, or the shared budget it spends
      // from (plugins/external/rate-limit.ts): either way it declares its 429 and X-RateLimit-* headers.
      const limited = route.config as ({ rateLimit?: unknown } & RateLimitedRouteConfig) | undefined
      if (limited?.rateLimit || limited?.rateLimitBudget) {
        responses = withRateLimitHeaders({ ...responses, ...(429 in responses ? {} : problemResponses(429)) })
      }
      schema.response = responses
    })


    // PUBLIC_URL when set (generated clients get a usable base URL); otherwise relative, so the
    // document describes whichever server serves it. The committed openapi.yaml is always relative.
    // `x-internal: false`: for the public.
    const server = (options.config.publicUrl
      ? { url: options.config.publicUrl, description: 'This deployment (production, staging or local, as its PUBLIC_URL says)', 'x-internal': false }
      : { url: '/', description: 'The server this document is served from (local, staging or production alike)', 'x-internal': false }) as { url: string; description: string }
    await app.register(swagger, {
      exposeHeadRoutes: true,
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'acupoint-api',
          version: API_VERSION,
          description:
            'Acupuncture-point reference data, articles about it, and reader comments that stay in a moderation ' +
            'queue until a moderator approves them.\n\nErrors are RFC 9457 problem details ' +
            '(`application/problem+json`). Staff routes take `Authorization: Bearer <token>`.',
          license: { name: 'MIT', identifier: 'MIT' },
          // No public address of the project exists yet: set its issue tracker here when there is one.
          contact: { name: 'acupoint-api maintainers' },
        },
        tags: [
          { name: 'system', description: 'Liveness, readiness and this document' },
          { name: 'acupoints', description: 'The WHO standard points and extra points, with facts and sourced claims' },
          { name: 'channels', description: 'The 14 channels' },
          { name: 'claims', description: 'What sources claim about points: never presented as fact' },
          { name: 'sources', description: 'Standards, articles and books that facts and claims come from' },
          { name: 'articles', description: 'Articles about points, with cautions and treatment plans' },
          { name: 'comments', description: 'Reader comments: held for moderation, public once approved' },
          { name: 'moderation', description: 'The moderation queue, decisions, history and erasure' },
          { name: 'staff', description: 'Staff identity' },
          { name: 'webhooks', description: 'Signed event deliveries (Standard Webhooks) to subscribers\' URLs, with their delivery log' },
        ],
        servers: [server],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description: 'A staff API token (`acp_…`), created with `npm run staff:create`.',
            },
          },
        },
      },
      transformObject: (documentObject) =>
        'openapiObject' in documentObject
          ? (finishDocument(documentObject.openapiObject as OpenApiDocument) as unknown as typeof documentObject.openapiObject)
          : documentObject.swaggerObject,
      // Components keep the names of their TypeBox `$id`s instead of def-0, def-1, …
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`),
      },
    })

    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      uiConfig: { deepLinking: true, tryItOutEnabled: true, displayRequestDuration: true },
    })
  },
  { name: 'openapi' },
)
