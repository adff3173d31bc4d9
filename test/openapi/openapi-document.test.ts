import { readFileSync } from 'node:fs'
import t from 'tap'
import type { RouteOptions } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { OPENAPI_FILE, loadContract } from '../helpers/openapi-contract.js'

// The committed document, as integrators get it.
const contract = loadContract()
const document = contract.document as unknown as {
  tags: { name: string }[]
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown> }
}
interface Parameter { in: string; name: string; required?: boolean }
interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  description?: string
  security?: Record<string, string[]>[]
  parameters?: Parameter[]
  responses: Record<string, { headers?: Record<string, { required?: boolean }>; content?: Record<string, { schema?: { $ref?: string } }> }>
}
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method, operation, name: `${method.toUpperCase()} ${path}` })),
)

// The routes the server registers, seen as they are registered (no database is contacted).
const routes: RouteOptions[] = []
const app = await buildApp(
  { ...loadConfig({ LOG_LEVEL: 'silent' }), databaseUrl: 'postgresql://openapi@127.0.0.1:1/none' },
  { onRoute: (route) => void routes.push(route) },
)
await app.ready()
await app.close()
const toTemplate = (url: string) => url.replace(/:(\w+)/g, '{$1}')
const methodsOf = (route: RouteOptions) => [route.method].flat()
const getUrls = new Set(routes.filter((route) => methodsOf(route).includes('GET')).map((route) => route.url))

t.test('every route the server registers is in the document, and the reverse', async (t) => {
  // Hidden routes are not API operations: the docs page (@fastify/swagger-ui's HTML, JS and the
  // document it shows) and the CORS preflight answer for any path. Pin the list, so no API route
  // can escape the document by being hidden.
  const hidden = routes.filter((route) => (route.schema as { hide?: boolean } | undefined)?.hide)
  t.same(
    [...new Set(hidden.map((route) => route.url))].sort(),
    ['*', '/docs', '/docs/json', '/docs/static/*', '/docs/static/index.html', '/docs/static/swagger-initializer.js', '/docs/yaml'].sort(),
    'only the docs page and the CORS preflight are hidden',
  )
  const served = new Set<string>()
  for (const route of routes) {
    if ((route.schema as { hide?: boolean } | undefined)?.hide) continue
    for (const method of methodsOf(route)) {
      // HEAD is answered for every GET route by Fastify (RFC 9110: GET without the body); the
      // document describes the GET, and the contract check treats HEAD as that GET.
      if (method === 'HEAD' && getUrls.has(route.url)) continue
      served.add(`${method} ${toTemplate(route.url)}`)
    }
  }
  const documented = new Set(operations.map(({ name }) => name))
  t.same([...served].filter((name) => !documented.has(name)), [], 'no route is missing from openapi.yaml')
  t.same([...documented].filter((name) => !served.has(name)), [], 'no operation in openapi.yaml lacks a route')
  t.ok(served.size >= 30, `${served.size} operations compared`)
})

t.test('every operation is complete', async (t) => {
  const tagNames = new Set(document.tags.map((tag) => tag.name))
  const ids = operations.map(({ operation }) => operation.operationId)
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  for (const { name, operation } of operations) {
    t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${name}: operationId`)
    t.ok(operation.tags?.length === 1 && tagNames.has(operation.tags[0]!), `${name}: one declared tag`)
    t.ok(operation.summary && operation.summary.length > 5, `${name}: summary`)
    t.ok(operation.description && operation.description.length > 10, `${name}: description`)
    t.ok(operation.responses['500'], `${name}: declares 500`)
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue
      t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${name} ${status}: a problem`)
      t.equal(response.content?.['application/problem+json']?.schema?.$ref, '#/components/schemas/Problem')
      if (status === '429' || status === '503') t.equal(response.headers?.['Retry-After']?.required, true, `${name} ${status}: Retry-After`)
    }
  }
})

// Admits every staff role, so no token can be of the wrong role.
const ANY_STAFF_ROLE = new Set(['GET /v1/staff/me'])
// Carries its preconditions in the body (one ETag per comment), not in If-Match.
const BODY_PRECONDITIONS = new Set(['POST /v1/moderation/comments/bulk'])

t.test('staff routes declare their security, and only they do', async (t) => {
  for (const route of routes) {
    if ((route.schema as { hide?: boolean } | undefined)?.hide) continue
    const hooks = [route.onRequest ?? []].flat() as { name: string }[]
    const staffOnly = hooks.some((hook) => hook.name === 'requireRole')
    const optionalStaff = hooks.some((hook) => hook.name === 'identifyStaff')
    for (const method of methodsOf(route).filter((method) => method !== 'HEAD')) {
      const operation = document.paths[toTemplate(route.url)]?.[method.toLowerCase()]
      const name = `${method} ${route.url}`
      if (!operation) continue // reported by the coverage test
      if (staffOnly) {
        t.same(operation.security, [{ bearerAuth: [] }], `${name}: bearer token required`)
        t.ok(operation.responses['401'], `${name}: 401`)
        t.equal(Boolean(operation.responses['403']), !ANY_STAFF_ROLE.has(name), `${name}: 403 unless every role may call it`)
      } else if (optionalStaff) {
        t.same(operation.security, [{}, { bearerAuth: [] }], `${name}: a token is optional`)
        t.ok(operation.responses['401'], `${name}: 401 for a bad token`)
      } else {
        t.same(operation.security, [], `${name}: public`)
        t.notOk(operation.responses['401'] || operation.responses['403'], `${name}: no 401/403`)
      }
    }
  }
})

t.test('caching, concurrency and pagination headers are declared where they apply', async (t) => {
  for (const { name, method, operation } of operations) {
    const headerParameters = (operation.parameters ?? []).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name)
    const queryParameters = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query')
    if (operation.responses['304']) {
      t.ok(headerParameters.includes('if-none-match'), `${name}: If-None-Match`)
      t.equal(operation.responses['304'].headers?.ETag?.required, true, `${name}: 304 has ETag`)
      t.equal(operation.responses['200']?.headers?.ETag?.required, true, `${name}: 200 has ETag`)
    }
    if (method === 'patch' || operation.responses['412']) {
      t.equal(headerParameters.includes('if-match'), !BODY_PRECONDITIONS.has(name), `${name}: If-Match`)
      t.ok(operation.responses['412'], `${name}: 412`)
    }
    if (method === 'patch' && name !== 'PATCH /v1/claims/{id}' && name !== 'PATCH /v1/sources/{id}') {
      t.ok(operation.responses['428'], `${name}: 428 without If-Match`)
    }
    const cursor = queryParameters.find((parameter) => parameter.name === 'cursor')
    if (cursor) {
      const limit = queryParameters.find((parameter) => parameter.name === 'limit')
      t.ok(limit, `${name}: limit`)
      t.equal(limit?.required, false, `${name}: limit has a default, so it is optional`)
      t.ok(operation.responses['200']?.headers?.Link, `${name}: Link header`)
    }
  }
})

t.test('components are named by their $id, and every example is valid', async (t) => {
  const text = JSON.stringify(document)
  const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((match) => match[1]!)
  t.ok(refs.length > 50)
  t.same(refs.filter((ref) => !/^#\/components\/schemas\/[A-Z][A-Za-z]+$/.test(ref)), [], 'no def-0 style references')
  t.notMatch(text, /def-\d/)
  t.notMatch(readFileSync(OPENAPI_FILE, 'utf8'), /^\s*(\S+: )?[&*]a\d+\b/m, 'plain YAML: no anchors or aliases')

  let examples = 0
  const walk = (node: unknown, pointer: string) => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach((item, index) => walk(item, `${pointer}/${index}`))
    const record = node as Record<string, unknown>
    if (Array.isArray(record.examples) && typeof record.type === 'string' || (Array.isArray(record.examples) && record.properties)) {
      for (const example of record.examples as unknown[]) {
        examples++
        t.same(contract.validateAt(pointer, example), [], `example at ${pointer} is valid: ${JSON.stringify(example).slice(0, 80)}`)
      }
    }
    for (const [key, value] of Object.entries(record)) {
      if (key !== 'examples') walk(value, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    }
  }
  walk(document.components.schemas, '#/components/schemas')
  t.ok(examples > 40, `${examples} schema examples checked`)
  // The seed article's six points are the example data.
  for (const code of ['EX-HN3', 'GB14', 'ST2', 'ST4', 'SI18', 'LI20']) t.match(text, `"${code}"`, `${code} appears in the examples`)
})
