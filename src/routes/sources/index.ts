import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { sendRepresentation } from '../../http/conditional-requests.js'
import {
  CACHE_HEADERS, ETAG_HEADER, IfMatchHeaders, IfMatchRequiredHeaders, IfNoneMatchHeaders, LINK_HEADER, NoContent, NotModified, PaginationQuery, withHeaders, LOCATION_HEADER,
} from '../../schemas/common-schemas.js'
import { SourceCreateBody, SourcePatchBody } from '../../schemas/editor-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { UuidParams } from '../../schemas/reference-schemas.js'
import { EDITOR_ROLES, STAFF_SECURITY, ifMatch, optionalIfMatch, sendPage, withEtag } from '../route-helpers.js'

const sourceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/sources', {
    schema: {
      tags: ['sources'],
      operationId: 'listSources',
      summary: 'List sources',
      description: 'The standards, articles and books that facts and claims come from, in a stable order. Keyset pagination: follow `nextCursor` or the `Link` header.',
      querystring: Type.Object(PaginationQuery, { additionalProperties: false }),
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('SourceList'), { ...CACHE_HEADERS, ...LINK_HEADER }, 'A page of sources'),
        304: NotModified,
        ...problemResponses(400, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    return sendPage(request, reply, await app.sources.list(request.query.limit, request.query.cursor))
  })

  app.get('/sources/:id', {
    schema: {
      tags: ['sources'],
      operationId: 'getSource',
      summary: 'One source',
      description: 'A standard, article or book, with its author, publisher, URL and date as far as they are known.',
      params: UuidParams,
      headers: IfNoneMatchHeaders,
      response: { 200: withHeaders(Type.Ref('Source'), CACHE_HEADERS, 'The source'), 304: NotModified, ...problemResponses(400, 404, ...ALWAYS) },
    },
  }, async (request, reply) => sendRepresentation(request, reply, await app.sources.detail(request.params.id)))

  app.post('/sources', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['sources'],
      operationId: 'createSource',
      summary: 'Add a source',
      description: 'Roles: editor, admin.',
      security: STAFF_SECURITY,
      body: SourceCreateBody,
      response: {
        201: withHeaders(Type.Ref('Source'), { ...ETAG_HEADER, ...LOCATION_HEADER }, 'Created'),
        ...problemResponses(400, ...STAFF_ONLY, 413, 415, ...ALWAYS),
      },
    },
  }, async (request, reply) => {
    const source = await app.sources.create(request.body)
    reply.header('location', `/v1/sources/${source.id}`)
    return withEtag(reply, source, 201)
  })

  app.patch('/sources/:id', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['sources'],
      operationId: 'updateSource',
      summary: 'Change a source',
      description: 'Roles: editor, admin. Needs `If-Match`: 428 without it, 412 if stale.',
      security: STAFF_SECURITY,
      params: UuidParams,
      headers: IfMatchRequiredHeaders,
      body: SourcePatchBody,
      response: {
        200: withHeaders(Type.Ref('Source'), ETAG_HEADER, 'Updated'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, 428, ...ALWAYS),
      },
    },
  }, async (request, reply) => withEtag(reply, await app.sources.update(request.params.id, request.body, ifMatch(request))))

  app.delete('/sources/:id', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['sources'],
      operationId: 'deleteSource',
      summary: 'Delete a source nothing cites',
      description: 'Roles: editor, admin. 409 while a point, claim or article cites it.',
      security: STAFF_SECURITY,
      params: UuidParams,
      headers: IfMatchHeaders,
      response: { 204: NoContent, ...problemResponses(400, ...STAFF_ONLY, 404, 409, 412, ...ALWAYS) },
    },
  }, async (request, reply) => {
    await app.sources.remove(request.params.id, optionalIfMatch(request))
    return reply.code(204).send(null)
  })
}

export default sourceRoutes
