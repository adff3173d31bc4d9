import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { sendRepresentation } from '../../http/conditional-requests.js'
import { CACHE_HEADERS, ETAG_HEADER, IfMatchHeaders, IfMatchRequiredHeaders, IfNoneMatchHeaders, NoContent, NotModified, withHeaders } from '../../schemas/common-schemas.js'
import { ClaimPatchBody } from '../../schemas/editor-schemas.js'
import { ALWAYS, STAFF_ONLY, problemResponses } from '../../schemas/problem-schemas.js'
import { UuidParams } from '../../schemas/reference-schemas.js'
import { EDITOR_ROLES, STAFF_SECURITY, ifMatch, optionalIfMatch, withEtag } from '../route-helpers.js'

const claimRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/claims/:id', {
    schema: {
      tags: ['claims'],
      operationId: 'getClaim',
      summary: 'One claim',
      description: 'A claim a source makes about a point (for example, that LI20 corresponds to the heart), with that source. Claims are never facts.',
      params: UuidParams,
      headers: IfNoneMatchHeaders,
      response: { 200: withHeaders(Type.Ref('Claim'), CACHE_HEADERS, 'The claim'), 304: NotModified, ...problemResponses(400, 404, ...ALWAYS) },
    },
  }, async (request, reply) => sendRepresentation(request, reply, await app.claims.detail(request.params.id)))

  app.patch('/claims/:id', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['claims'],
      operationId: 'updateClaim',
      summary: 'Change a claim',
      description: 'Roles: editor, admin. Needs `If-Match`: 428 without it, 412 if the claim changed since you read it.',
      security: STAFF_SECURITY,
      params: UuidParams,
      headers: IfMatchRequiredHeaders,
      body: ClaimPatchBody,
      response: {
        200: withHeaders(Type.Ref('Claim'), ETAG_HEADER, 'Updated'),
        ...problemResponses(400, ...STAFF_ONLY, 404, 412, 413, 415, 428, ...ALWAYS),
      },
    },
  }, async (request, reply) => withEtag(reply, await app.claims.update(request.params.id, request.body, ifMatch(request))))

  app.delete('/claims/:id', {
    onRequest: app.requireRole(...EDITOR_ROLES),
    schema: {
      tags: ['claims'],
      operationId: 'deleteClaim',
      summary: 'Delete a claim',
      description: 'Roles: editor, admin. `If-Match` is checked when sent.',
      security: STAFF_SECURITY,
      params: UuidParams,
      headers: IfMatchHeaders,
      response: { 204: NoContent, ...problemResponses(400, ...STAFF_ONLY, 404, 412, ...ALWAYS) },
    },
  }, async (request, reply) => {
    await app.claims.remove(request.params.id, optionalIfMatch(request))
    return reply.code(204).send(null)
  })
}

export default claimRoutes
