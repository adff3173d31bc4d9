import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { SHARED_SCHEMAS } from '../../schemas/shared-schemas.js'
import { problemResponses } from '../../schemas/problem-schemas.js'

export const API_VERSION = '0.1.0'

type OpenApiDocument = {
  paths?: Record<string, Record<string, {
    security?: unknown[]
    parameters?: { required?: boolean; schema?: { default?: unknown } }[]
    responses?: Record<string, { headers?: Record<string, { required?: boolean; schema: Record<string, unknown> }> }>
  }>>
}

/**
 * What @fastify/swagger cannot say from a route schema, filled in after it builds the document:
 * - operations without a `security` are public, and say so (`security: []`);
 * - a query parameter with a default may be left out (TypeBox makes it required in the type);
 * - response headers marked `x-required` (see common-schemas.ts) are `required: true`;
 * - nothing is shared, so the YAML has no `&anchors` and `*aliases`, which some tools mishandle.
 */
function finishDocument(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      operation.security ??= []
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.default !== undefined) parameter.required = false
      }
      for (const response of Object.values(operation.responses ?? {})) {
        for (const header of Object.values(response.headers ?? {})) {
          const { 'x-required': required, ...schema } = header.schema
          header.schema = schema
          if (required === true) header.required = true
        }
      }
    }
  }
  // Routes share schema objects (headers, examples, security): unshared, the YAML has no anchors or aliases.
  return JSON.parse(JSON.stringify(document)) as OpenApiDocument
}

/** Builds the OpenAPI document from the route schemas and serves the docs page at /docs. */
export default fp(
  async function openapi(app: FastifyInstance) {
    for (const schema of SHARED_SCHEMAS) app.addSchema(schema)

    // A route that validates any input (a header, say) can answer 400, so the document says so.
    app.addHook('onRoute', (route) => {
      const schema = route.schema
      if (!schema?.response || 400 in (schema.response as object)) return
      if (schema.params || schema.querystring || schema.body || schema.headers) {
        schema.response = { ...(schema.response as object), ...problemResponses(400) }
      }
    })

    await app.register(swagger, {
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
        ],
        // Relative: the document describes whichever server serves it (the docs page's "try it out" too).
        servers: [{ url: '/', description: 'The server this document is served from' }],
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
          ? (finishDocument(documentObject.openapiObject as OpenApiDocument) as typeof documentObject.openapiObject)
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
