import { Type } from 'typebox'

export const HealthSchema = Type.Object(
  {
    status: Type.Literal('ok'),
    uptimeSeconds: Type.Number({ minimum: 0, examples: [42.5] }),
  },
  { $id: 'Health', title: 'Health' },
)

export const ReadinessSchema = Type.Object(
  {
    status: Type.Literal('ready'),
    database: Type.Object({
      reachable: Type.Literal(true),
      latencyMs: Type.Number({ minimum: 0, examples: [0.8] }),
    }),
  },
  { $id: 'Readiness', title: 'Readiness' },
)

export const OpenApiDocumentSchema = Type.Object(
  { openapi: Type.String({ examples: ['3.1.0'] }) },
  { $id: 'OpenApiDocument', title: 'OpenApiDocument', additionalProperties: true, description: 'This document' },
)
