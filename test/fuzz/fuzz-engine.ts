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
  FORGED_CURSORS, FORGED_ETAGS, MALFORMED_BODIES, PAGINATION_VALUES, PATH_TRAVERSALS, WRONG_CONTENT_TYPES, anyJsonValue, databaseRefusedCursor,
  databaseRefusedUuid, hostileString,
} from './hostile-values.js'

export interface FuzzTarget {
  app: FastifyInstance
  db: TestDatabase
  /**
   * Real values for path parameters and body ids, keyed by `template:name` or name, so requests
   * reach the handlers. Live: what the run creates is added (see `probe`), and a request picks
   * from a pool when it is sent, not when it is generated.
   */
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
      // Fuzzed flags come from ever new addresses: the seed comments they target must stay public.
      COMMENT_FLAG_THRESHOLD: '1000',
      WRITE_RATE_LIMIT_PER_MINUTE: '100000',
      READ_RATE_LIMIT_PER_MINUTE: '1000000',
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
  for (let i = 0; i < 9; i++) {
    const unique = randomBytes(4).toString('hex')
    const response = await app.inject({
      method: 'POST', url: '/v1/articles/facial-acupuncture-six-points/comments', remoteAddress: `10.9.0.${i + 1}`,
      payload: { authorName: `Fuzz ${unique}`, authorEmail: `fuzz-${unique}@example.org`, body: `Seed comment ${unique}` },
    })
    commentIds.push(response.json().id)
  }
  await app.inject({ method: 'POST', url: '/v1/moderation/comments/bulk', headers: admin, payload: { ids: [...commentIds.slice(0, 3), ...commentIds.slice(6)], status: 'approved', force: true } })
  await app.inject({
    method: 'POST', url: '/v1/articles', headers: admin,
    payload: { slug: 'fuzz-draft', title: 'Draft', summary: 'S', body: 'B', attribution: 'A', points: ['LI20'] },
  })

  // Webhook subscriptions on .invalid hosts (RFC 6761: never resolve), so that no delivery leaves the
  // machine. The second is kept out of the pools that PATCH and DELETE pick from, with a delivery of
  // its own, so that redelivery keeps a subscription and a delivery that belong together.
  const subscribe = async (eventTypes: string[]) => (await app.inject({
    method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: 'https://hooks.fuzz.invalid/acupoint', eventTypes },
  })).json().subscription.id as string
  const webhookIds = [await subscribe(['comment.submitted', 'comment.status_changed', 'article.published'])]
  const pinned = await subscribe(['comment.edited'])
  const pinnedDelivery = (await app.inject({ method: 'POST', url: `/v1/webhooks/${pinned}/ping`, headers: admin })).json().id as string

  const column = async (sql: string) => (await db.query<{ v: string }>(sql)).rows.map((row) => row.v)
  const codes = await column('SELECT code AS v FROM acupoints ORDER BY code LIMIT 40')
  const slugs = await column('SELECT slug AS v FROM articles')
  const sources = await column('SELECT id::text AS v FROM sources')
  const claims = await column('SELECT id::text AS v FROM claims LIMIT 20')
  const channels = await column('SELECT code AS v FROM channels')
  // Only head and face points have a figure: most codes would answer 404 no_figure.
  const drawnCodes = await column('SELECT code AS v FROM acupoints WHERE figure IS NOT NULL ORDER BY code LIMIT 40')
  const publishedSlugs = ['facial-acupuncture-six-points']
  const pools: Record<string, string[]> = {
    code: codes,
    slug: slugs,
    // Comments go to published articles; publishing and unpublishing pick among the fuzzer's own
    // articles, so that the seed article stays open for submissions.
    '/v1/articles/{slug}/comments:slug': publishedSlugs,
    // A draft has no figure: picked from every slug, most picks were drafts the fuzzer wrote, and with
    // the webhook operations sharing the runs the figure got too few published ones to draw.
    '/v1/articles/{slug}/figure.svg:slug': publishedSlugs,
    '/v1/articles/{slug}/publish:slug': ['fuzz-draft'],
    '/v1/articles/{slug}/unpublish:slug': ['fuzz-draft'],
    '/v1/sources/{id}:id': sources,
    '/v1/claims/{id}:id': claims,
    '/v1/channels/{code}:code': channels,
    '/v1/acupoints/{code}/figure.svg:code': drawnCodes,
    // The approved seed comments are what replies answer: they are kept out of the pool that
    // moderation picks from, so that fuzzed decisions do not take every parent away.
    id: commentIds.slice(3, 6),
    approvedComments: commentIds.slice(0, 3),
    // One array behind every webhook path: what createWebhook adds is picked by all of them.
    ...Object.fromEntries(['', '/rotate-secret', '/ping', '/deliveries'].map((suffix) => [`/v1/webhooks/{id}${suffix}:id`, webhookIds])),
    '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver:id': [pinned],
    '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver:deliveryId': [pinnedDelivery],
    // Readers flag public comments: approved ones of their own, so that moderation does not take them away.
    '/v1/comments/{id}/flags:id': commentIds.slice(6),
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

export function fromSchema(spec: OpenApiDocument, raw: JsonSchema, mode: Mode = 'valid', depth = 0, hints: PropertyHints = {}, onlyHints = false): fc.Arbitrary<unknown> {
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
      if (depth > 8) return fc.constant([])
      const item = fromSchema(spec, schema.items ?? {}, 'valid', depth + 1)
      const minLength = schema.minItems ?? 0
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3))
      if (mode === 'boundary') return fc.array(item, { minLength: schema.maxItems ?? 4, maxLength: (schema.maxItems ?? 4) + 1 })
      return schema.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (value) => JSON.stringify(value) }) : fc.array(item, { minLength, maxLength })
    }
    case 'object': {
      if (depth > 8 || !schema.properties) return fc.constant({})
      const model: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [name, property] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
        const generated = fromSchema(spec, property, 'valid', depth + 1, hints)
        const hint = hints[name]
        model[name] = hint ? (onlyHints ? hint : fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: generated, weight: 1 })) : generated
      }
      const required = (schema.required ?? []) as string[]
      return fc.record(model, { requiredKeys: required.filter((name) => name in model) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

// ─── Live values ────────────────────────────────────────────────────────────────────────────────
// A generated request names live values by placeholders (U+E000 never reaches a URL raw:
// encodePathValue escapes every generated character). `probe` resolves them when it sends the
// request: a pick from a pool as it is then, and the current ETag of the resource a write targets.

const MARK = '\uE000'
const LIVE_VALUE = new RegExp(`${MARK}live:([^${MARK}]+):(\\d+)${MARK}`, 'g')
const LIVE_ETAG = `${MARK}etag${MARK}`
const LIVE_RECEIPT = `${MARK}receipt${MARK}`
const livePick = (pool: string) => fc.nat().map((n) => `${MARK}live:${pool}:${n}${MARK}`)

function resolveLive(target: FuzzTarget, text: string, encode: (value: string) => string): string {
  return text.replace(LIVE_VALUE, (_match, pool: string, n: string) => {
    const values = target.pools[pool] ?? []
    return values.length ? encode(values[Number(n) % values.length]!) : encode('00000000-0000-4000-8000-000000000000')
  })
}

/** Where the representation a write changes is read (with its ETag). */
function readUrlOf(path: string): string {
  // A comment's ETag is the same wherever it is read: the moderation view is readable with the admin token.
  const comment = /^\/v1\/(?:moderation\/)?comments\/([^/?]+)(?:\/by-author|\/flags\/dismiss)?$/.exec(path)
  if (comment) return `/v1/moderation/comments/${comment[1]}`
  return path.replace(/\/(publish|unpublish)$/, '')
}

// ─── Requests ───────────────────────────────────────────────────────────────────────────────────

export interface FuzzRequest {
  operationId: string
  variant: string
  inject: InjectOptions
}

const BODY_VARIANTS = ['valid', 'valid', 'valid', 'boundary', 'missing', 'extra', 'wrongType', 'hostile', 'refusedByDatabase', 'oversized', 'malformed', 'contentType', 'empty'] as const
type BodyVariant = (typeof BODY_VARIANTS)[number]

function jsonBodySchema(operation: SpecOperation): JsonSchema | undefined {
  return operation.requestBody?.content?.['application/json']?.schema
}

function mutateBody(spec: OpenApiDocument, schema: JsonSchema, variant: BodyVariant, pick: number, value: unknown, replacement: unknown, hostile: string, refusedUuid: string) {
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
    case 'refusedByDatabase': {
      // An id field (or an id in an array, or an id-keyed map) spelled as the database would refuse.
      const idFields = fields.filter((name) => {
        const property = resolve(spec, resolved.properties[name])
        return property.format === 'uuid' || resolve(spec, property.items ?? {}).format === 'uuid' || property.propertyNames || property.patternProperties ||
          (property.type === 'object' && property.additionalProperties && !property.properties)
      })
      if (idFields.length === 0) return object
      const name = idFields[pick % idFields.length]!
      const property = resolve(spec, resolved.properties[name])
      if (property.format === 'uuid') return { ...object, [name]: refusedUuid }
      if (property.type === 'array') return { ...object, [name]: [...(Array.isArray(object[name]) ? (object[name] as unknown[]) : []), refusedUuid] }
      return { ...object, [name]: { [refusedUuid]: '"x"' } }
    }
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
  const poolKey = (name: string) => (target.pools[`${operation.path}:${name}`] ? `${operation.path}:${name}` : target.pools[name] ? name : undefined)

  const livePathValue = (name: string, schema: JsonSchema) => {
    const key = poolKey(name)
    return key ? livePick(key) : fromSchema(spec, schema).map((v) => encodePathValue(v))
  }
  const pathValue = (name: string, schema: JsonSchema) => fc.oneof(
    { arbitrary: livePathValue(name, schema), weight: 8 },
    { arbitrary: fromSchema(spec, schema).map((v) => encodePathValue(v)), weight: 2 },
    { arbitrary: hostileString.map(encodePathValue), weight: 2 },
    { arbitrary: fc.constantFrom(...PATH_TRAVERSALS), weight: 2 },
    // An id the database would refuse (urn:uuid:…, braces, no hyphens, 36 dashes).
    ...(resolve(spec, schema).format === 'uuid' ? [{ arbitrary: databaseRefusedUuid.map(encodePathValue), weight: 3 }] : []),
  )
  const validQueryValue = (schema: JsonSchema) => fc.option(fromSchema(spec, schema).map(String), { nil: undefined, freq: 2 })
  const queryValue = (name: string, schema: JsonSchema) => {
    const special = name === 'limit' ? fc.constantFrom(...PAGINATION_VALUES)
      : name === 'cursor' ? fc.oneof(fc.constantFrom(...FORGED_CURSORS), databaseRefusedCursor)
      : hostileString
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
    // If-Match: mostly the resource's current ETag, read when the request is sent, so writes get past it.
    const live = name === 'if-match' ? [{ arbitrary: fc.constant(LIVE_ETAG), weight: 6 }] : []
    return fc.option(fc.oneof({ arbitrary: fromSchema(spec, schema).map(String), weight: 1 }, { arbitrary: special, weight: 2 }, ...live), { nil: undefined, freq: 4 })
  }

  const bodySchema = jsonBodySchema(operation)
  const hints: PropertyHints = {
    sourceId: livePick('/v1/sources/{id}:id'),
    standardSourceId: livePick('/v1/sources/{id}:id'),
    parentId: livePick('approvedComments'),
    // Consecutive picks: distinct ids whenever the pool has enough.
    ids: fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })).map(([n, count]) => Array.from({ length: count }, (_, i) => `${MARK}live:id:${n + i}${MARK}`)),
    points: fc.uniqueArray(fc.constantFrom(...(target.pools.code ?? ['LI20'])), { maxLength: 4 }),
    website: fc.constant(undefined),
    // Mostly open: a PATCH that closes the (few) published threads would turn most later
    // submissions into 403 comments_closed, and the fuzzer would stop reaching the submission handler.
    commentsOpen: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
    code: fc.integer({ min: 1, max: 999 }).map((n) => `EX-FZ${n}`),
    slug: fc.integer({ min: 1, max: 99_999 }).map((n) => `fuzz-article-${n}`),
    authorEmail: fc.integer({ min: 1, max: 1_000_000 }).map((n) => `reader-${n}@example.org`),
    authorName: fc.oneof({ arbitrary: fc.stringMatching(/^[A-Z][a-z]{1,12}( [A-Z][a-z]{1,12})?$/), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 1 }),
    // Unique, so that a repeat is not a 409 (and from the seed alone, so that runs replay).
    body: fc.tuple(fc.string({ minLength: 1, maxLength: 80 }), fc.nat()).map(([text, n]) => `${text} ${n}`),
    // Hosts that never resolve: webhook deliveries must not leave the machine (sources' URLs take them too).
    url: fc.integer({ min: 1, max: 99_999 }).map((n) => `https://hooks-${n}.fuzz.invalid/acupoint`),
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
    // A share of cases is a request that should succeed: live ids, the current ETag, a valid body,
    // an admin token. The rest probe; both are needed for the 2xx shares the fuzz test asserts.
    liveValid: fc.integer({ min: 0, max: 99 }).map((roll) => roll < LIVE_VALID_PERCENT),
    livePath: fc.tuple(...pathParams.map((parameter) => livePathValue(parameter.name, parameter.schema))),
    validQuery: fc.tuple(...queryParams.map((parameter) => validQueryValue(parameter.schema))),
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
    // For the requests built to succeed: a named property always gets its real value.
    liveBody: bodySchema ? fromSchema(spec, bodySchema, 'valid', 0, hints, true) : fc.constant(undefined),
    boundaryBody: bodySchema ? fromSchema(spec, bodySchema, 'boundary') : fc.constant(undefined),
    bodyVariant: fc.constantFrom(...BODY_VARIANTS),
    pick: fc.nat(),
    replacement: anyJsonValue,
    hostile: hostileString,
    refusedUuid: databaseRefusedUuid,
    malformed: fc.constantFrom(...MALFORMED_BODIES),
    contentType: fc.constantFrom(...WRONG_CONTENT_TYPES),
    ip: fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })),
  }).map((plan) => {
    if (plan.liveValid) return liveValidRequest(operation, plan.livePath, plan.validQuery, plan.liveBody, target)
    let url = operation.path
    url = fillPath(url, pathParams, plan.path)
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
        const value = plan.bodyVariant === 'boundary' ? plan.boundaryBody
          : mutateBody(spec, bodySchema!, plan.bodyVariant, plan.pick, plan.body, plan.replacement, plan.hostile, plan.refusedUuid)
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

/**
 * The template with its parameters filled in, the last first: a value is a placeholder naming its
 * pool, and a pool name may contain an earlier parameter's `{name}`
 * (`/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver:id`), which must not be filled in its place.
 */
function fillPath(template: string, parameters: Array<{ name: string }>, values: string[]): string {
  let url = template
  for (let index = parameters.length - 1; index >= 0; index--) url = url.replace(`{${parameters[index]!.name}}`, values[index]!)
  return url
}

const LIVE_VALID_PERCENT = 35

/** A request built to succeed, from live state (resolved when it is sent). */
function liveValidRequest(operation: SpecOperation, path: string[], query: Array<string | undefined>, body: unknown, target: FuzzTarget): FuzzRequest {
  let url = operation.path
  url = fillPath(url, operation.parameters.filter((parameter) => parameter.in === 'path'), path)
  const search = new URLSearchParams()
  operation.parameters.filter((parameter) => parameter.in === 'query').forEach((parameter, index) => {
    if (query[index] !== undefined) search.append(parameter.name, query[index]!)
  })
  const headers: Record<string, string> = { authorization: `Bearer ${target.tokens.admin}` }
  if (operation.parameters.some((parameter) => parameter.in === 'header' && parameter.name === 'if-match')) headers['if-match'] = LIVE_ETAG
  // A held comment opens to its author's receipt token (kept from the submission that returned it).
  if (operation.parameters.some((parameter) => parameter.in === 'header' && parameter.name === 'x-receipt-token')) headers['x-receipt-token'] = LIVE_RECEIPT
  const hasBody = jsonBodySchema(operation) !== undefined
  if (hasBody) headers['content-type'] = 'application/json'
  const queryString = search.toString()
  return {
    operationId: operation.operationId,
    variant: 'live-valid',
    inject: {
      method: operation.method as InjectOptions['method'],
      url: queryString ? `${url}?${queryString}` : url,
      headers,
      ...(hasBody ? { payload: JSON.stringify(body ?? {}) } : {}),
    },
  }
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
  const inject = await resolveRequest(target, request)
  const response = await target.app.inject(inject)
  learn(target, request.operationId, response.statusCode, response.body, inject)
  const violations: string[] = []
  if (response.statusCode >= 500) violations.push(`status ${response.statusCode}: ${response.body.slice(0, 300)}`)
  // The path the server saw: clients (and inject) resolve dot segments before sending.
  const path = new URL(String(inject.url), 'http://fuzz.invalid').pathname
  violations.push(
    ...checkResponse({ method: String(inject.method), path, statusCode: response.statusCode, headers: response.headers, body: response.rawPayload }),
  )
  if (response.statusCode >= 400 && LEAKS.test(response.body)) violations.push(`an error response reveals internals: ${response.body.slice(0, 300)}`)
  return { status: response.statusCode, violations }
}

let submissions = 0
// Receipt tokens of the comments the run submitted (bounded like the pools).
const receipts = new Map<string, string>()

/** The request as it is sent: live picks resolved, the current ETag read, a fresh address per submission. */
async function resolveRequest(target: FuzzTarget, request: FuzzRequest): Promise<InjectOptions> {
  const inject = { ...request.inject, headers: { ...(request.inject.headers as Record<string, string> | undefined) } }
  inject.url = resolveLive(target, String(inject.url), encodePathValue)
  if (typeof inject.payload === 'string') inject.payload = resolveLive(target, inject.payload, (value) => value)
  const headers = inject.headers as Record<string, string>
  if (headers['if-match'] === LIVE_ETAG) {
    const path = new URL(inject.url, 'http://fuzz.invalid').pathname
    const read = await target.app.inject({ url: readUrlOf(path), headers: { authorization: `Bearer ${target.tokens.admin}` } })
    if (typeof read.headers.etag === 'string') headers['if-match'] = read.headers.etag
    else delete headers['if-match']
  }
  if (headers['x-receipt-token'] === LIVE_RECEIPT) {
    const id = /\/v1\/comments\/([^/?]+)/.exec(inject.url)?.[1]
    const token = id ? receipts.get(id) : undefined
    if (token) headers['x-receipt-token'] = token
    else delete headers['x-receipt-token']
  }
  // Flood control and the rate limits count per address: each submission comes from a new one.
  if (request.operationId === 'submitComment') {
    submissions++
    inject.remoteAddress = `10.${200 + ((submissions >> 16) & 0x1f)}.${(submissions >> 8) & 0xff}.${submissions & 0xff}`
  }
  return inject
}

/** Adds what a successful write created to the pools, so later requests can read, change and delete it. */
function learn(target: FuzzTarget, operationId: string, status: number, body: string, inject: InjectOptions) {
  // What a DELETE removed leaves every pool: requests built to succeed must not pick it again.
  if (status === 204 && inject.method === 'DELETE') {
    const gone = decodeURIComponent(new URL(String(inject.url), 'http://fuzz.invalid').pathname.split('/').at(-1) ?? '')
    for (const values of Object.values(target.pools)) {
      const at = values.indexOf(gone)
      if (at !== -1 && values.length > 1) values.splice(at, 1)
    }
  }
  if (status === 200 && (operationId === 'publishArticle' || operationId === 'unpublishArticle')) {
    const { slug } = JSON.parse(body) as { slug: string }
    const open = target.pools['/v1/articles/{slug}/comments:slug']!
    if (operationId === 'publishArticle' && !open.includes(slug)) open.push(slug)
    if (operationId === 'unpublishArticle' && open.includes(slug) && open.length > 1) open.splice(open.indexOf(slug), 1)
  }
  if (status !== 201 && status !== 202) return
  const created = JSON.parse(body) as { id?: string; code?: string; slug?: string }
  const add = (pool: string, value: string | undefined) => {
    if (!value) return
    const values = (target.pools[pool] ??= [])
    // Bounded, so a long run's picks keep landing on recent values too.
    if (values.length >= 500) values.splice(0, 1)
    values.push(value)
  }
  if (operationId === 'submitComment') {
    add('id', created.id)
    const { receiptToken } = created as { receiptToken?: string }
    if (created.id && receiptToken) receipts.set(created.id, receiptToken)
    if (receipts.size > 500) receipts.delete(receipts.keys().next().value!)
  }
  if (operationId === 'createSource') add('/v1/sources/{id}:id', created.id)
  if (operationId === 'createClaim') add('/v1/claims/{id}:id', created.id)
  if (operationId === 'createArticle') {
    add('slug', created.slug)
    add('/v1/articles/{slug}/publish:slug', created.slug)
    add('/v1/articles/{slug}/unpublish:slug', created.slug)
  }
  if (operationId === 'createAcupoint') add('code', created.code)
  if (operationId === 'createWebhook') add('/v1/webhooks/{id}:id', (created as { subscription?: { id: string } }).subscription?.id)
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
