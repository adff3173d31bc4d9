/**
 * A spec-driven fuzzer: for every operation in openapi.yaml it generates requests (valid ones,
 * boundary values, wrong types, missing and extra fields, oversized and hostile strings, malformed
 * JSON, wrong content types, forged cursors and ETags, traversal in path parameters) with
 * fast-check, sends them through app.inject(), and requires every answer to be a declared status
 * whose body matches the spec, never a 5xx. Used by test/fuzz/fuzz.test.ts (bounded) and
 * scripts/fuzz.ts (`npm run fuzz`).
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { pino } from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { checkDataConsistency } from '../helpers/data-consistency.js'
import { checkResponse } from '../helpers/openapi-contract.js'
import { listOperations, loadSpec, type JsonSchema, type OpenApiDocument, type SpecOperation } from '../helpers/openapi-spec.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import {
  FORGED_CURSORS, FORGED_ETAGS, MALFORMED_BODIES, PAGINATION_VALUES, PATH_TRAVERSALS, WRONG_CONTENT_TYPES, anyJsonValue, hostileString,
} from './hostile-values.js'

export interface FuzzTarget {
  app: FastifyInstance
  db: TestDatabase
  /** Real values for path parameters, keyed by `template:name`, so requests reach the handlers. */
  pools: Record<string, string[]>
  tokens: Record<'admin' | 'editor' | 'moderator' | 'revoked', string>
  close(): Promise<void>
}

const BODY_LIMIT = 65_536

/** The app on a fresh database, with per-IP defences opened up so that they do not hide the handlers. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const db = await createTestDatabase()
  const config = {
    ...loadConfig({
      LOG_LEVEL: 'silent',
      PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
      COMMENT_FLOOD_SECONDS: '0',
      COMMENT_RATE_LIMIT_PER_MINUTE: '10000',
      WRITE_RATE_LIMIT_PER_MINUTE: '100000',
      NOT_FOUND_RATE_LIMIT_PER_MINUTE: '100000',
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
    }),
    databaseUrl: db.url,
  }
  const app = await buildApp(config, { loggerInstance: pino({ level: 'silent' }) })
  await app.ready()
  const token = async (role: 'admin' | 'editor' | 'moderator') => (await app.staffService.createStaffMember(`Fuzz ${role}`, role)).token
  const revoked = await app.staffService.createStaffMember('Fuzz revoked', 'admin')
  await app.staffService.revokeToken(revoked.tokenId)
  const tokens = { admin: await token('admin'), editor: await token('editor'), moderator: await token('moderator'), revoked: revoked.token }

  // Some comments (held and approved) and a draft article, so every kind of path finds something.
  const admin = { authorization: `Bearer ${tokens.admin}` }
  const commentIds: string[] = []
  for (let i = 0; i < 6; i++) {
    const unique = randomBytes(4).toString('hex')
    const response = await app.inject({
      method: 'POST', url: '/v1/articles/facial-acupuncture-six-points/comments', remoteAddress: `10.9.0.${i + 1}`,
      payload: { authorName: `Fuzz ${unique}`, authorEmail: `fuzz-${unique}@example.org`, body: `Seed comment ${unique}` },
    })
    commentIds.push(response.json().id)
  }
  await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: admin, payload: { ids: commentIds.slice(0, 3), status: 'approved', force: true } })
  await app.inject({
    method: 'POST', url: '/v1/articles', headers: admin,
    payload: { slug: 'fuzz-draft', title: 'Draft', summary: 'S', body: 'B', attribution: 'A', points: ['LI20'] },
  })

  const column = async (sql: string) => (await db.query<{ v: string }>(sql)).rows.map((row) => row.v)
  const codes = await column('SELECT code AS v FROM acupoints ORDER BY code LIMIT 40')
  const slugs = await column('SELECT slug AS v FROM articles')
  const sources = await column('SELECT id::text AS v FROM sources')
  const claims = await column('SELECT id::text AS v FROM claims LIMIT 20')
  const channels = await column('SELECT code AS v FROM channels')
  const pools: Record<string, string[]> = {
    code: codes,
    slug: slugs,
    '/v1/sources/{id}:id': sources,
    '/v1/claims/{id}:id': claims,
    '/v1/channels/{code}:code': channels,
    id: commentIds,
    approvedComments: commentIds.slice(0, 3),
  }
  return {
    app, db, pools, tokens,
    async close() {
      await app.close()
      await db.close()
    },
  }
}

// ─── Values from JSON Schema ────────────────────────────────────────────────────────────────────

type Mode = 'valid' | 'boundary'

function resolve(spec: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema
  for (let depth = 0; current?.$ref && depth < 10; depth++) {
    const name = String(current.$ref).split('/').at(-1)!
    current = spec.components.schemas[name] ?? {}
  }
  return current ?? {}
}

/** A fast-check arbitrary for values a JSON Schema accepts (valid), or its edges (boundary). */
/** Real values for body properties by name (ids that exist, codes that are known), so valid bodies get past the lookups. */
export type PropertyHints = Record<string, fc.Arbitrary<unknown>>

export function fromSchema(spec: OpenApiDocument, raw: JsonSchema, mode: Mode = 'valid', depth = 0, hints: PropertyHints = {}): fc.Arbitrary<unknown> {
  const schema = resolve(spec, raw)
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (alternatives?.length) return fc.oneof(...alternatives.map((alternative) => fromSchema(spec, alternative, mode, depth + 1)))
  if (Array.isArray(schema.allOf) && schema.allOf.length) return fromSchema(spec, Object.assign({}, ...schema.allOf.map((part: JsonSchema) => resolve(spec, part))), mode, depth + 1)
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type: string) => fromSchema(spec, { ...schema, type }, mode, depth + 1)))
  const type = schema.type ?? (schema.properties ? 'object' : undefined)
  switch (type) {
    case 'string': {
      const min = schema.minLength ?? 0
      const max = Math.min(schema.maxLength ?? 40, 40)
      if (mode === 'boundary') {
        const edges = [min, schema.maxLength ?? 200, (schema.maxLength ?? 200) + 1, Math.max(0, min - 1)]
        return fc.constantFrom(...edges).map((length) => 'a'.repeat(Math.min(length, BODY_LIMIT * 2)))
      }
      if (schema.format === 'uuid') return fc.uuid()
      if (schema.format === 'email') return fc.emailAddress().filter((email) => email.length <= (schema.maxLength ?? 254))
      if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString())
      if (schema.format === 'uri') return fc.webUrl().filter((url) => /^https?:\/\//.test(url) && url.length <= (schema.maxLength ?? 2000))
      if (schema.pattern) {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length >= min && text.length <= (schema.maxLength ?? 1000))
      }
      return fc.string({ minLength: Math.min(min, max), maxLength: Math.max(min, max) })
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1000)
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1000)
      if (mode === 'boundary') return fc.constantFrom(min, max, min - 1, max + 1, 0, -1, 2 ** 53, -(2 ** 31))
      return type === 'integer' ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true })
    }
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      if (depth > 4) return fc.constant([])
      const item = fromSchema(spec, schema.items ?? {}, 'valid', depth + 1)
      const minLength = schema.minItems ?? 0
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3))
      if (mode === 'boundary') return fc.array(item, { minLength: schema.maxItems ?? 4, maxLength: (schema.maxItems ?? 4) + 1 })
      return schema.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (value) => JSON.stringify(value) }) : fc.array(item, { minLength, maxLength })
    }
    case 'object': {
      if (depth > 4 || !schema.properties) return fc.constant({})
      const model: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [name, property] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
        const generated = fromSchema(spec, property, 'valid', depth + 1, hints)
        const hint = hints[name]
        model[name] = hint ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: generated, weight: 1 }) : generated
      }
      const required = (schema.required ?? []) as string[]
      return fc.record(model, { requiredKeys: required.filter((name) => name in model) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

// ─── Requests ───────────────────────────────────────────────────────────────────────────────────

export interface FuzzRequest {
  operationId: string
  variant: string
  inject: InjectOptions
}

const BODY_VARIANTS = ['valid', 'valid', 'valid', 'boundary', 'missing', 'extra', 'wrongType', 'hostile', 'oversized', 'malformed', 'contentType', 'empty'] as const
type BodyVariant = (typeof BODY_VARIANTS)[number]

function jsonBodySchema(operation: SpecOperation): JsonSchema | undefined {
  return operation.requestBody?.content?.['application/json']?.schema
}

function mutateBody(spec: OpenApiDocument, schema: JsonSchema, variant: BodyVariant, pick: number, value: unknown, replacement: unknown, hostile: string) {
  const resolved = resolve(spec, schema)
  const object = (value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {}) as Record<string, unknown>
  const fields = Object.keys(resolved.properties ?? {})
  const field = fields.length ? fields[pick % fields.length]! : 'field'
  const stringFields = fields.filter((name) => resolve(spec, resolved.properties[name]).type === 'string')
  const stringField = stringFields.length ? stringFields[pick % stringFields.length]! : field
  switch (variant) {
    case 'missing': {
      const required = (resolved.required ?? []) as string[]
      delete object[required.length ? required[pick % required.length]! : field]
      return object
    }
    case 'extra':
      return { ...object, [`unexpected${pick % 5}`]: replacement }
    case 'wrongType':
      return { ...object, [field]: replacement }
    case 'hostile':
      return { ...object, [stringField]: hostile }
    case 'oversized':
      return { ...object, [stringField]: 'x'.repeat(pick % 2 ? BODY_LIMIT + 10 : 5_000) }
    default:
      return value
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** encodeURIComponent that also sends lone surrogates (as their WTF-8 bytes: invalid UTF-8 on the wire). */
export function encodePathValue(value: unknown): string {
  return String(value)
    .split(LONE_SURROGATE)
    .map((part) => encodeURIComponent(part))
    .reduce((encoded, part, index, parts) => {
      if (index === 0) return part
      const unit = String(value).match(LONE_SURROGATE)![index - 1]!.charCodeAt(0)
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
      void parts
      return `${encoded}${bytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')}${part}`
    }, '')
}

/** An arbitrary request for one operation of the spec. */
function operationRequest(spec: OpenApiDocument, operation: SpecOperation, target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((parameter) => parameter.in === 'path')
  const queryParams = operation.parameters.filter((parameter) => parameter.in === 'query')
  const headerParams = operation.parameters.filter((parameter) => parameter.in === 'header')
  const pool = (name: string) => target.pools[`${operation.path}:${name}`] ?? target.pools[name] ?? []

  const pathValue = (name: string, schema: JsonSchema) => {
    const real = pool(name)
    return fc.oneof(
      { arbitrary: real.length ? fc.constantFrom(...real).map(encodePathValue) : fromSchema(spec, schema).map((v) => encodePathValue(v)), weight: 8 },
      { arbitrary: fromSchema(spec, schema).map((v) => encodePathValue(v)), weight: 2 },
      { arbitrary: hostileString.map(encodePathValue), weight: 2 },
      { arbitrary: fc.constantFrom(...PATH_TRAVERSALS), weight: 2 },
    )
  }
  const validQueryValue = (schema: JsonSchema) => fc.option(fromSchema(spec, schema).map(String), { nil: undefined, freq: 2 })
  const queryValue = (name: string, schema: JsonSchema) => {
    const special = name === 'limit' ? fc.constantFrom(...PAGINATION_VALUES) : name === 'cursor' ? fc.constantFrom(...FORGED_CURSORS) : hostileString
    return fc.option(
      fc.oneof(
        { arbitrary: fromSchema(spec, schema).map(String), weight: 4 },
        { arbitrary: fromSchema(spec, schema, 'boundary').map(String), weight: 1 },
        { arbitrary: special, weight: 2 },
        { arbitrary: hostileString, weight: 1 },
      ),
      { nil: undefined, freq: 2 },
    )
  }
  const headerValue = (name: string, schema: JsonSchema) => {
    const special = /if-(none-)?match/.test(name) ? fc.constantFrom(...FORGED_ETAGS) : fc.oneof(hostileString.filter((value) => /^[\x20-\x7e]*$/.test(value)), fc.base64String({ maxLength: 60 }))
    return fc.option(fc.oneof(fromSchema(spec, schema).map(String), special), { nil: undefined, freq: 2 })
  }

  const bodySchema = jsonBodySchema(operation)
  const some = (values: string[] | undefined) => (values?.length ? fc.constantFrom(...values) : fc.uuid())
  const hints: PropertyHints = {
    sourceId: some(target.pools['/v1/sources/{id}:id']),
    standardSourceId: some(target.pools['/v1/sources/{id}:id']),
    parentId: some(target.pools.approvedComments),
    ids: fc.uniqueArray(some(target.pools.id), { minLength: 1, maxLength: 3 }),
    points: fc.uniqueArray(some(target.pools.code), { maxLength: 4 }),
    website: fc.constant(undefined),
    code: fc.integer({ min: 1, max: 999 }).map((n) => `EX-FZ${n}`),
    slug: fc.integer({ min: 1, max: 99_999 }).map((n) => `fuzz-article-${n}`),
    authorEmail: fc.integer({ min: 1, max: 1_000_000 }).map((n) => `reader-${n}@example.org`),
    // Unique, so that a repeat is not a 409 (and from the seed alone, so that runs replay).
    body: fc.tuple(fc.string({ minLength: 1, maxLength: 80 }), fc.nat()).map(([text, n]) => `${text} ${n}`),
  }
  // Mostly a token that may do anything, so requests reach the handlers; the rest probe the auth.
  const auth = fc.oneof(
    { arbitrary: fc.constant<string | undefined>(`Bearer ${target.tokens.admin}`), weight: 12 },
    { arbitrary: fc.constantFrom(`Bearer ${target.tokens.editor}`, `Bearer ${target.tokens.moderator}`), weight: 3 },
    { arbitrary: fc.constant(undefined), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        `Bearer ${target.tokens.revoked}`, 'Bearer acp_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'Basic Zm9vOmJhcg==', 'Bearer',
      ),
      weight: 2,
    },
  )

  return fc.record({
    path: fc.tuple(...pathParams.map((parameter) => pathValue(parameter.name, parameter.schema))),
    // Half the time every query parameter is valid (or left out), so the handlers are reached too.
    query: fc.oneof(
      fc.tuple(...queryParams.map((parameter) => validQueryValue(parameter.schema))),
      fc.tuple(...queryParams.map((parameter) => queryValue(parameter.name, parameter.schema))),
    ),
    extraQuery: fc.option(fc.tuple(fc.constantFrom('unknown', 'limit[]', '__proto__', 'q'), hostileString), { nil: undefined, freq: 8 }),
    headers: fc.tuple(...headerParams.map((parameter) => headerValue(parameter.name, parameter.schema))),
    auth,
    body: bodySchema ? fromSchema(spec, bodySchema, 'valid', 0, hints) : fc.constant(undefined),
    boundaryBody: bodySchema ? fromSchema(spec, bodySchema, 'boundary') : fc.constant(undefined),
    bodyVariant: fc.constantFrom(...BODY_VARIANTS),
    pick: fc.nat(),
    replacement: anyJsonValue,
    hostile: hostileString,
    malformed: fc.constantFrom(...MALFORMED_BODIES),
    contentType: fc.constantFrom(...WRONG_CONTENT_TYPES),
    ip: fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })),
  }).map((plan) => {
    let url = operation.path
    pathParams.forEach((parameter, index) => (url = url.replace(`{${parameter.name}}`, plan.path[index]!)))
    const search = new URLSearchParams()
    queryParams.forEach((parameter, index) => {
      const value = plan.query[index]
      if (value !== undefined) search.append(parameter.name, value)
    })
    if (plan.extraQuery) search.append(plan.extraQuery[0], plan.extraQuery[1])
    const query = search.toString()
    const headers: Record<string, string> = {}
    headerParams.forEach((parameter, index) => {
      const value = plan.headers[index]
      if (value !== undefined) headers[parameter.name] = value
    })
    if (plan.auth) headers.authorization = plan.auth

    let payload: string | undefined
    let variant = 'no body'
    if (bodySchema || plan.bodyVariant === 'malformed') {
      variant = plan.bodyVariant
      headers['content-type'] = 'application/json'
      if (plan.bodyVariant === 'malformed') payload = plan.malformed
      else if (plan.bodyVariant === 'empty') payload = ''
      else {
        const value = plan.bodyVariant === 'boundary' ? plan.boundaryBody : mutateBody(spec, bodySchema!, plan.bodyVariant, plan.pick, plan.body, plan.replacement, plan.hostile)
        payload = JSON.stringify(value ?? {})
      }
      if (plan.bodyVariant === 'contentType') {
        if (plan.contentType) headers['content-type'] = plan.contentType
        else delete headers['content-type']
      }
      if (!bodySchema && operation.method === 'GET') {
        // A body on a GET is ignored by the router, not an error; keep it as a malformed-body probe only.
        variant = 'get-with-body'
      }
    }
    return {
      operationId: operation.operationId,
      variant,
      inject: {
        method: operation.method as InjectOptions['method'],
        url: query ? `${url}?${query}` : url,
        headers,
        remoteAddress: `10.${plan.ip[0]}.${plan.ip[1]}.${plan.ip[2]}`,
        ...(payload !== undefined && operation.method !== 'GET' ? { payload } : {}),
      },
    }
  })
}

/** Requests no operation declares: unknown paths and methods must still get problem responses. */
const unroutedRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      fc.constantFrom('/v1', '/v1/', '/v2/acupoints', '/v1/acupoints/LI20/unknown', '/.env', '/v1/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/v1/health'),
      hostileString.map((value) => `/v1/${encodePathValue(value)}`),
    ),
  })
  .map(({ method, path }) => ({ operationId: '(unrouted)', variant: 'unrouted', inject: { method: method as InjectOptions['method'], url: path } }))

export function requestArbitrary(target: FuzzTarget, spec: OpenApiDocument = loadSpec()): fc.Arbitrary<FuzzRequest> {
  // HEAD is each GET without its body (Fastify answers it from the GET route): fuzzing the GETs covers it.
  const operations = listOperations(spec).filter((operation) => !operation.path.startsWith('/docs') && operation.method !== 'HEAD')
  return fc.oneof(
    ...operations.map((operation) => ({ arbitrary: operationRequest(spec, operation, target), weight: 10 })),
    { arbitrary: unroutedRequest, weight: 5 },
  )
}

// ─── Running ────────────────────────────────────────────────────────────────────────────────────

export interface FuzzReport {
  runs: number
  /** True when the time limit stopped the run before `runs` cases. */
  interrupted: boolean
  failed: boolean
  seed: number
  /** fast-check's path to the failing case: with the seed, it replays exactly that case. */
  counterexamplePath?: string
  failure?: string
  /** operationId → status → count */
  counts: Record<string, Record<string, number>>
  consistency: string[]
  elapsedMs: number
}

const LEAKS = /node_modules|\/src\/|\.ts:\d+|at async |Prisma|ECONNREFUSED|SELECT |invalid byte sequence/

/** Sends one request and says what is wrong with the answer (nothing: an empty list). */
export async function probe(target: FuzzTarget, request: FuzzRequest): Promise<{ status: number; violations: string[] }> {
  const response = await target.app.inject(request.inject)
  const violations: string[] = []
  if (response.statusCode >= 500) violations.push(`status ${response.statusCode}: ${response.body.slice(0, 300)}`)
  // The path the server saw: clients (and inject) resolve dot segments before sending.
  const path = new URL(String(request.inject.url), 'http://fuzz.invalid').pathname
  violations.push(
    ...checkResponse({ method: String(request.inject.method), path, statusCode: response.statusCode, headers: response.headers, body: response.rawPayload }),
  )
  if (response.statusCode >= 400 && LEAKS.test(response.body)) violations.push(`an error response reveals internals: ${response.body.slice(0, 300)}`)
  return { status: response.statusCode, violations }
}

export interface RunOptions {
  runs: number
  seed?: number
  path?: string
  /** Shrink a failure to a smaller case (slower: every shrink step is a real request). */
  shrink?: boolean
  /** Stop after this long (the report then says how many cases ran). */
  timeLimitMs?: number
  onProgress?: (done: number) => void
}

export async function runFuzz(target: FuzzTarget, options: RunOptions): Promise<FuzzReport> {
  const started = Date.now()
  const counts: Record<string, Record<string, number>> = {}
  let done = 0
  const seed = options.seed ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0
  const property = fc.asyncProperty(requestArbitrary(target), async (request) => {
    const { status, violations } = await probe(target, request)
    const byStatus = (counts[request.operationId] ??= {})
    byStatus[status] = (byStatus[status] ?? 0) + 1
    done++
    if (options.onProgress && done % 500 === 0) options.onProgress(done)
    if (violations.length > 0) {
      throw new Error(`${request.inject.method} ${request.inject.url} (${request.operationId}, ${request.variant})\n  ${violations.join('\n  ')}\n  request: ${JSON.stringify(request.inject).slice(0, 1500)}`)
    }
  })
  const details = await fc.check(property, {
    numRuns: options.runs,
    seed,
    ...(options.path ? { path: options.path } : {}),
    endOnFailure: !options.shrink,
    ...(options.timeLimitMs ? { interruptAfterTimeLimit: options.timeLimitMs } : {}),
  })
  const consistency = await checkDataConsistency(target.db)
  const failure = details.failed ? (details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)) : undefined
  return {
    runs: details.numRuns,
    interrupted: details.interrupted,
    failed: details.failed,
    seed: details.seed,
    ...(details.failed ? { counterexamplePath: details.counterexamplePath ?? undefined } : {}),
    ...(failure ? { failure } : {}),
    counts,
    consistency,
    elapsedMs: Date.now() - started,
  }
}

/** The counts as a table: one line per operation, statuses with their counts. */
export function formatCounts(counts: FuzzReport['counts']): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, byStatus]) => {
      const total = Object.values(byStatus).reduce((sum, count) => sum + count, 0)
      const statuses = Object.entries(byStatus).sort(([a], [b]) => Number(a) - Number(b)).map(([status, count]) => `${status}:${count}`).join(' ')
      return `${operation.padEnd(26)} ${String(total).padStart(7)}  ${statuses}`
    })
    .join('\n')
}
