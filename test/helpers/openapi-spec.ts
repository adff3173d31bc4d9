import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'

export type JsonSchema = Record<string, any>

export interface SpecParameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: JsonSchema
  example?: unknown
}

export interface SpecOperation {
  operationId: string
  method: string
  /** OpenAPI path template, e.g. /v1/comments/{id} */
  path: string
  description: string
  parameters: SpecParameter[]
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> }
  /** Security alternatives as declared; absent when the operation declares none. */
  security?: Array<Record<string, string[]>>
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }>; headers?: Record<string, unknown> }>
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Omit<SpecOperation, 'method' | 'path'>>>
  components: { schemas: Record<string, JsonSchema> }
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options'])

export const SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url))

/** The committed openapi.yaml, parsed (it is checked against the routes by `npm run openapi:check`). */
export function loadSpec(): OpenApiDocument {
  return YAML.parse(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument
}

export function listOperations(spec: OpenApiDocument = loadSpec()): SpecOperation[] {
  const operations: SpecOperation[] = []
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue
      operations.push({ ...operation, parameters: operation.parameters ?? [], description: operation.description ?? '', method: method.toUpperCase(), path })
    }
  }
  return operations
}

/** A token is required: security is declared and no alternative is the empty (anonymous) one. */
export function requiresToken(operation: SpecOperation): boolean {
  return !!operation.security?.length && operation.security.every((alternative) => Object.keys(alternative).length > 0)
}

/** A token is accepted but optional (`security: [{}, {bearerAuth: []}]`). */
export function acceptsToken(operation: SpecOperation): boolean {
  return !!operation.security?.some((alternative) => Object.keys(alternative).length > 0)
}

const ALL_ROLES = ['editor', 'moderator', 'admin'] as const
export type Role = (typeof ALL_ROLES)[number]

/** The roles an operation's description grants ("Roles: editor, admin." / "Role: admin." / "Any staff role."). */
export function declaredRoles(operation: SpecOperation): Role[] | undefined {
  if (/any staff role/i.test(operation.description)) return [...ALL_ROLES]
  const match = /Roles?: ([a-z, ]+)\./.exec(operation.description)
  if (!match) return undefined
  const roles = match[1]!.split(',').map((role) => role.trim())
  return roles.every((role): role is Role => (ALL_ROLES as readonly string[]).includes(role)) ? roles : undefined
}

export { ALL_ROLES }
