import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { BadRequestError } from '../../errors/app-errors.js'

interface JsonSchemaLike {
  type?: unknown
  properties?: Record<string, JsonSchemaLike>
}

const isNumeric = (schema: JsonSchemaLike | undefined) =>
  [schema?.type].flat().some((type) => type === 'integer' || type === 'number')

/**
 * Ajv coerces a query string such as `limit=1e309` to Infinity and then lets it past `integer`
 * and `maximum` (found by the fuzzer: it reached Prisma as a 500). Numeric query and path
 * parameters must therefore be finite before validation runs.
 */
export default fp(
  async function finiteNumbers(app: FastifyInstance) {
    app.addHook('preValidation', async (request) => {
      const schema = request.routeOptions.schema ?? {}
      for (const [part, values, partSchema] of [
        ['query', request.query, schema.querystring],
        ['params', request.params, schema.params],
      ] as const) {
        const properties = (partSchema as JsonSchemaLike | undefined)?.properties
        if (!properties || !values || typeof values !== 'object') continue
        for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
          if (!isNumeric(properties[name])) continue
          const candidates = [value].flat()
          if (candidates.some((candidate) => typeof candidate === 'string' && Math.abs(Number(candidate)) === Infinity)) {
            throw new BadRequestError(`Invalid request: ${part}/${name} must be a finite number.`,
              [{ in: part, pointer: `/${name}`, message: 'must be a finite number' }], 'validation_failed')
          }
        }
      }
    })
  },
  { name: 'finite-numbers' },
)
