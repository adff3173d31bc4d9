import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ALWAYS, problemResponses } from '../../schemas/problem-schemas.js'

const staffRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/staff/me', {
    onRequest: app.requireRole('editor', 'moderator', 'admin'),
    schema: {
      tags: ['staff'],
      operationId: 'getCurrentStaffMember',
      summary: 'Who this token belongs to',
      description: 'Any staff role (so never 403). Useful to check a token before using it.',
      security: [{ bearerAuth: [] }],
      response: { 200: Type.Ref('StaffMe'), ...problemResponses(401, ...ALWAYS) },
    },
  }, async (request) => {
    const staff = request.staff!
    return { id: staff.id, name: staff.name, role: staff.role, tokenId: staff.tokenId, createdAt: staff.createdAt.toISOString() }
  })
}

export default staffRoutes
