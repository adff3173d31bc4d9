import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ALWAYS, problemResponses } from '../../schemas/problem-schemas.js'
import { createReadinessService } from '../../services/readiness-service.js'

const systemRoutes: FastifyPluginAsyncTypebox<{ retryAfterSeconds: number }> = async (app, options) => {
  const readiness = createReadinessService(app.prisma, app.reads, options.retryAfterSeconds, app.log)

  app.get('/health', {
    schema: {
      tags: ['system'],
      operationId: 'getHealth',
      summary: 'Liveness',
      description: 'Answers 200 while the process is up. It does not touch the database; see `/ready` for that.',
      response: { 200: Type.Ref('Health'), ...problemResponses(500) },
    },
  }, async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime() * 10) / 10 }))

  app.get('/ready', {
    schema: {
      tags: ['system'],
      operationId: 'getReadiness',
      summary: 'Readiness',
      description: 'Answers 200 when the primary database answers, and 503 with Retry-After while it cannot be reached. Lists each read replica with its state; a replica that is down is out of rotation (its reads go to the primary), never a reason for 503.',
      response: { 200: Type.Ref('Readiness'), ...problemResponses(...ALWAYS) },
    },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return readiness.check()
  })

  app.get('/openapi.json', {
    schema: {
      tags: ['system'],
      operationId: 'getOpenApiJson',
      summary: 'This OpenAPI document, as JSON',
      description: 'The same document as `openapi.yaml` in the repository.',
      response: { 200: Type.Ref('OpenApiDocument'), ...problemResponses(500) },
    },
  }, async () => app.swagger() as { openapi: string })

  app.get('/openapi.yaml', {
    schema: {
      tags: ['system'],
      operationId: 'getOpenApiYaml',
      summary: 'This OpenAPI document, as YAML',
      description: 'The same document as `openapi.yaml` in the repository.',
      produces: ['application/yaml'],
      response: {
        200: { description: 'The document', content: { 'application/yaml': { schema: Type.String() } } },
        ...problemResponses(500),
      },
    },
  }, async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })))
}

export default systemRoutes
