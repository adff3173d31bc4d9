import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../../errors/app-errors.js'
import { createStaffService, type StaffIdentity, type StaffService } from '../../services/staff-service.js'
import type { StaffRole } from '../../generated/prisma/enums.js'

declare module 'fastify' {
  interface FastifyInstance {
    staffService: StaffService
    /** An onRequest hook that admits only staff with one of these roles. */
    requireRole(...roles: StaffRole[]): onRequestAsyncHookHandler
    /** An onRequest hook for public routes that show more to staff: identifies a token if one is sent. */
    identifyStaff: onRequestAsyncHookHandler
  }
  interface FastifyRequest {
    staff: StaffIdentity | null
  }
}

/** The bearer token sent; undefined when none was (no header, or another scheme); '' when it is malformed. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const [scheme, token, ...rest] = header.trim().split(/\s+/)
  if (scheme?.toLowerCase() !== 'bearer') return undefined
  return token && rest.length === 0 ? token : ''
}

export default fp(
  async function authentication(app: FastifyInstance) {
    const staffService = createStaffService(app.prisma)
    app.decorate('staffService', staffService)
    app.decorateRequest('staff', null)

    async function identify(request: FastifyRequest): Promise<StaffIdentity> {
      const token = bearerToken(request)
      if (token === undefined) throw new UnauthorizedError('This operation needs an Authorization: Bearer token.', false)
      const staff = token ? await staffService.authenticate(token) : null
      if (!staff) throw new UnauthorizedError('The bearer token is malformed, unknown or revoked.')
      request.staff = staff
      return staff
    }

    app.decorate('identifyStaff', async function identifyStaff(request: FastifyRequest) {
      // A token that is sent must be valid: a typo should not silently demote an editor to the public.
      if (request.headers.authorization !== undefined) await identify(request)
    })

    app.decorate('requireRole', (...roles: StaffRole[]): onRequestAsyncHookHandler => {
      return async function requireRole(request) {
        const staff = await identify(request)
        if (!roles.includes(staff.role)) {
          throw new ForbiddenError(`This operation needs one of the roles: ${roles.join(', ')}.`)
        }
      }
    })
  },
  { name: 'authentication', dependencies: ['prisma'] },
)
