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
    replicas: Type.Array(
      Type.Object({
        name: Type.String({ description: 'host:port/database, without credentials', examples: ['10.0.0.12:5432/acupoint'] }),
        state: Type.Union([Type.Literal('in_rotation'), Type.Literal('catching_up'), Type.Literal('out_of_rotation')], {
          description: 'in_rotation: serves public reads; catching_up: up, but behind the last change this instance knows of, so reads go to the primary until it replays it; out_of_rotation: unreachable, probed again every few seconds',
        }),
        lagBytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'WAL still to replay to reach that change; null when unreachable' }),
      }),
      { description: 'Each read replica (DATABASE_REPLICA_URLS); empty without them. A replica out of rotation never makes this endpoint fail: its reads go to the primary.' },
    ),
  },
  { $id: 'Readiness', title: 'Readiness' },
)

export const OpenApiDocumentSchema = Type.Object(
  { openapi: Type.String({ examples: ['3.1.0'] }) },
  { $id: 'OpenApiDocument', title: 'OpenApiDocument', additionalProperties: true, description: 'This document' },
)
