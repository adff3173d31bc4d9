import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { sendRepresentation } from '../../http/conditional-requests.js'
import { CACHE_HEADERS, ETAG_HEADER, IfMatchHeaders, IfMatchRequiredHeaders, IfNoneMatchHeaders, LINK_HEADER, NoContent, NotModified, withHeaders, LOCATION_HEADER } from '../../schemas/common-schemas.js'
import { AcupointCreateBody, AcupointPatchBody, ClaimCreateBody } from '../../schemas/editor-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { AcupointCodeParams, AcupointListQuery, SvgFigureResponse } from '../../schemas/reference-schemas.js'
import { EDITOR_ROLES, STAFF_SECURITY, ifMatch, optionalIfMatch, sendFigure, sendPage, withEtag } from '../route-helpers.js'

const acupointRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/acupoints', {
    schema: {
      tags: ['acupoints'],
      operationId: 'listAcupoints',
      summary: 'List and search acupoints',
      description:
        'All 361 WHO standard points plus extra points, in the standard order (channel, then point number), or ranked by relevance ' +
        'with `q`. Filters combine with AND. `channelOrgan` is a standard fact (the organ of the point\'s channel); `organ` and ' +
        '`effect` match claims made by sources, not standard facts, and each point they find comes with the matching claims ' +
        '(their sources once each, in `sources`). `total` counts every match. Keyset pagination: follow `nextCursor` or the `Link` header.',
      querystring: AcupointListQuery,
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('AcupointList'), { ...CACHE_HEADERS, ...LINK_HEADER }, 'A page of points'),
        304: NotModified,
        ...problemResponses(400, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    return sendPage(request, reply, await app.acupoints.list(request.query))
  })

  app.get('/acupoints/:code', {
    schema: {
      tags: ['acupoints'],
      operationId: 'getAcupoint',
      summary: 'One acupoint with its facts, claims and articles',
      description:
        'Looks the code up case-insensitively, alternate codes included (`gv29` finds Yintang). `facts` come from ' +
        'the standard, among them the organ of the point\'s channel (`channel_organ`); `claims` are what sources assert, and are ' +
        'never facts. Every source appears once, in `sources`, and facts and claims refer to it by `sourceId`.',
      params: AcupointCodeParams,
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('AcupointDetail'), CACHE_HEADERS, 'The point'),
        304: NotModified,
        ...problemResponses(400, 404, ...ALWAYS),
      },
    },
  }, async (request, reply) => sendRepresentation(request, reply, await app.acupoints.detail(request.params.code)))

  app.get('/acupoints/:code/figure.svg', {
    schema: {
      tags: ['acupoints'],
      operationId: 'getAcupointFigure',
      summary: 'A figure of the head with the point on it (SVG)',
      description:
        'For points of the head and face: a schematic front view of the face, a lateral view of the head, or both, with the ' +
        'point marked (on both sides when it is bilateral) and labelled with its code and pinyin. Positions are proportional ' +
        '(basis in prisma/seed/data/head-figure.json). Other points answer 404 `no_figure`.',
      params: AcupointCodeParams,
      headers: IfNoneMatchHeaders,
      response: { 200: SvgFigureResponse, 304: NotModified, ...problemResponses(400, 404, ...ALWAYS) },
    },
  }, async (request, reply) => sendFigure(request, reply, await app.figures.point(request.params.code)))

  app.post('/acupoints', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['acupoints'],
      operationId: 'createAcupoint',
      summary: 'Add an acupoint',
      description: 'Roles: editor, admin. A channel point needs `channel` and `number`; an extra point has neither.',
      security: STAFF_SECURITY,
      body: AcupointCreateBody,
      response: {
        201: withHeaders(Type.Ref('AcupointDetail'), { ...ETAG_HEADER, ...LOCATION_HEADER }, 'Created'),
        ...problemResponses(400, ...STAFF_ONLY, 409, 413, 415, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const created = await app.acupoints.create(request.body)
    reply.header('location', `/v1/acupoints/${encodeURIComponent(created.code)}`)
    return withEtag(reply, created, 201)
  })

  app.patch('/acupoints/:code', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['acupoints'],
      operationId: 'updateAcupoint',
      summary: 'Change an acupoint',
      description: 'Roles: editor, admin. Send `If-Match` with the ETag you read: 428 without it, 412 if the point changed since; 409 when a new code or position clashes with another point.',
      security: STAFF_SECURITY,
      params: AcupointCodeParams,
      headers: IfMatchRequiredHeaders,
      body: AcupointPatchBody,
      response: {
        200: withHeaders(Type.Ref('AcupointDetail'), ETAG_HEADER, 'Updated'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 409, 412, 413, 415, 428, ...ALWAYS),
      },
    },
  }, async (request, reply) => withEtag(reply, await app.acupoints.update(request.params.code, request.body, ifMatch(request))))

  app.delete('/acupoints/:code', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['acupoints'],
      operationId: 'deleteAcupoint',
      summary: 'Delete an acupoint nothing refers to',
      description: 'Roles: editor, admin. 409 while claims or articles refer to it. `If-Match` is checked when sent.',
      security: STAFF_SECURITY,
      params: AcupointCodeParams,
      headers: IfMatchHeaders,
      response: { 204: NoContent, ...problemResponses(400, ...STAFF_ONLY, 404, 409, 412, ...ALWAYS) },
    },
  }, async (request, reply) => {
    await app.acupoints.remove(request.params.code, optionalIfMatch(request))
    return reply.code(204).send(null)
  })

  app.post('/acupoints/:code/claims', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['claims'],
      operationId: 'createClaim',
      summary: 'Record a claim a source makes about a point',
      description: 'Roles: editor, admin. `keyword` is normalised to lower case (organ claims: `liver`, `heart`, …).',
      security: STAFF_SECURITY,
      params: AcupointCodeParams,
      body: ClaimCreateBody,
      response: {
        201: withHeaders(Type.Ref('Claim'), { ...ETAG_HEADER, ...LOCATION_HEADER }, 'Created'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 413, 415, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const claim = await app.claims.create(request.params.code, request.body)
    reply.header('location', `/v1/claims/${claim.id}`)
    return withEtag(reply, claim, 201)
  })
}

export default acupointRoutes
