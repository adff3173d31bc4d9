import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>
type RouteValidator = ReturnType<ReturnType<BuildValidator>>

interface SanityIssue {
  keyword: string
  instancePath: string
  schemaPath: string
  params: Record<string, never>
  message: string
}

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

/**
 * What JSON Schema cannot say about every input at once, whatever its schema:
 * - no string or key may hold a NUL character (PostgreSQL text cannot store one, so it would fail
 *   in the database as a 500);
 * - no number may be infinite (Ajv coerces a query value such as `1e309` to Infinity and lets it
 *   past `integer`; JSON.parse does the same for a body).
 * Returns the first offending place as an Ajv-style error, so it becomes the usual 400.
 */
function findInsaneValue(value: unknown, pointer: string, depth = 0): SanityIssue | undefined {
  const issue = (message: string, at = pointer) => ({ keyword: 'inputSanity', instancePath: at, schemaPath: '#', params: {}, message })
  if (typeof value === 'string') return value.includes('\u0000') ? issue('contains a NUL character') : undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : issue('must be a finite number')
  if (depth > 32 || value === null || typeof value !== 'object') return undefined
  for (const [key, item] of Object.entries(value)) {
    const at = `${pointer}/${escapePointer(key)}`
    if (key.includes('\u0000')) return issue('contains a NUL character', at)
    const found = findInsaneValue(item, at, depth + 1)
    if (found) return found
  }
  return undefined
}

/**
 * Fastify's own Ajv validator compiler, with the input-sanity check run after each successful
 * validation (on the coerced values) of params, query, headers and body. One mechanism for every
 * route: no per-request hook reading the route's schema, and no schema to annotate.
 */
export function saneValidatorCompiler(): BuildValidator {
  const buildAjvCompiler = AjvCompiler() as unknown as BuildValidator
  return (externalSchemas, options) => {
    const compile = buildAjvCompiler(externalSchemas, options)
    return (route) => {
      const validate = compile(route) as RouteValidator & { errors?: unknown; schemaEnv?: unknown }
      type Context = { parentData?: Record<string, unknown>; parentDataProperty?: string }
      const checked = Object.assign(
        (data: unknown, context?: Context) => {
          const valid = (validate as (data: unknown, context?: Context) => unknown)(data, context)
          if (valid !== true) {
            checked.errors = validate.errors
            return valid
          }
          // Ajv may have replaced a coerced root value on its parent.
          const coerced = context?.parentData && context.parentDataProperty ? context.parentData[context.parentDataProperty] : data
          const issue = findInsaneValue(coerced, '')
          checked.errors = issue ? [issue] : null
          return !issue
        },
        // Fastify passes the parent (so Ajv can coerce a root value) only to validators that have this.
        { errors: null as unknown, schemaEnv: validate.schemaEnv },
      )
      return checked as unknown as RouteValidator
    }
  }
}
