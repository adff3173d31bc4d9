import { readFileSync } from 'node:fs'
import t from 'tap'
import type { RouteOptions } from 'fastify'
import { buildApp } from '../../src/app.js'
import { buildTestApp } from '../helpers/build-test-app.js'
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
/** `GET /v1/comments/{id}` -> the JSON Pointer of that operation under /paths. */
const pathPointer = (name: string) => {
  const [method, path] = name.split(' ') as [string, string]
  return `${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}`
}
const methodsOf = (route: RouteOptions) => [route.method].flat()

t.test('every route the server registers is in the document, and the reverse', async (t) => {
  // Hidden routes are not API operations: the docs page's static assets (Swagger UI's scripts and
  // styles) and the CORS preflight answer for any path. Pin the list, so no API route can escape the
  // document by being hidden. The docs page itself, its copies of the document and every HEAD are declared.
  const hidden = routes.filter((route) => (route.schema as { hide?: boolean } | undefined)?.hide)
  t.same(
    [...new Set(hidden.map((route) => route.url))].sort(),
    ['*', '/docs/static/*', '/docs/static/index.html', '/docs/static/swagger-initializer.js'].sort(),
    'only the docs page\'s assets and the CORS preflight are hidden',
  )
  const served = new Set<string>()
  for (const route of routes) {
    if ((route.schema as { hide?: boolean } | undefined)?.hide) continue
    for (const method of methodsOf(route)) served.add(`${method} ${toTemplate(route.url)}`)
  }
  t.ok([...served].some((name) => name.startsWith('HEAD ')), 'HEAD routes are served, and so compared')
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
      if (name.startsWith('HEAD ')) {
        t.notOk(response.content, `${name} ${status}: HEAD has no body`)
        continue
      }
      t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${name} ${status}: a problem`)
      t.equal(response.content?.['application/problem+json']?.schema?.$ref, '#/components/schemas/Problem')
      if (status === '429' || status === '503') t.equal(response.headers?.['Retry-After']?.required, true, `${name} ${status}: Retry-After`)
    }
  }
})

// Admits every staff role, so no token can be of the wrong role.
const ANY_STAFF_ROLE = new Set(['GET /v1/staff/me'])
// Public, yet refused with 403 for a reason that is no token's: a closed comment thread (`comments_closed`).
// 403 on a public route: a closed comment thread (both), or an author's edit past its window or of a rejected comment.
const PUBLIC_REFUSALS = new Set(['POST /v1/articles/:slug/comments', 'PATCH /v1/comments/:id/by-author'])
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
        t.notOk(operation.responses['401'], `${name}: no 401`)
        t.equal(Boolean(operation.responses['403']), PUBLIC_REFUSALS.has(name), `${name}: no 403${PUBLIC_REFUSALS.has(name) ? ', but for a closed comment thread (or an edit refused)' : ''}`)
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
  t.same(refs.filter((ref) => !/^#\/components\/(schemas\/[A-Z][A-Za-z]+|headers\/[A-Z][A-Za-z-]+)$/.test(ref)), [], 'no def-0 style references')
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

t.test('a contract that forces what the server requires', async (t) => {
  for (const { name, operation } of operations) {
    const ifMatch = (operation.parameters ?? []).find((parameter) => parameter.in === 'header' && parameter.name === 'if-match')
    if (operation.responses['428'] && ifMatch) t.equal(ifMatch.required, true, `${name}: refuses a request without If-Match, so If-Match is required`)
    if (ifMatch && !operation.responses['428']) t.not(ifMatch.required, true, `${name}: If-Match is only checked when sent`)
  }
  const bulk = document.paths['/v1/moderation/comments/bulk']!.post!
  t.ok(bulk.responses['428'], 'bulk moderation answers 428 without an ETag per id')
  const bulkBody = (bulk as unknown as { requestBody: { content: Record<string, { schema: { properties: Record<string, { type?: string; description?: string }> } }> } })
    .requestBody.content['application/json']!.schema.properties
  t.equal(bulkBody.force?.type, 'boolean', 'or takes a documented force flag')
  t.match(bulkBody.force?.description, /history/, 'recorded in the history')
})

t.test('every path parameter has an example', async (t) => {
  let checked = 0
  for (const { name, operation } of operations) {
    for (const parameter of (operation.parameters ?? []).filter((parameter) => parameter.in === 'path')) {
      checked++
      const example = (parameter as Parameter & { example?: unknown }).example
      t.ok(example !== undefined, `${name}: {${parameter.name}} has an example`)
      t.same(contract.validateAt(`#/paths/${pathPointer(name)}/parameters/${(operation.parameters ?? []).indexOf(parameter)}/schema`, example), [], `${name}: {${parameter.name}}'s example is valid`)
    }
  }
  t.ok(checked >= 20, `${checked} path parameters`)
})

t.test('each error response has its own example, with its status and a code the route can raise', async (t) => {
  const seen = new Set<string>()
  for (const { name, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400 || name.startsWith('HEAD ')) continue
      const example = (response.content?.['application/problem+json'] as { example?: { status: number; code: string; instance: string } } | undefined)?.example
      t.equal(example?.status, Number(status), `${name} ${status}: the example has the response's status`)
      t.same(contract.validateAt('#/components/schemas/Problem', example), [], `${name} ${status}: the example is a Problem`)
      t.notMatch(example?.instance, /[{}]/, `${name} ${status}: the instance is a real path`)
      seen.add(`${status} ${example?.code}`)
    }
  }
  t.ok(seen.has('404 acupoint_not_found') && seen.has('404 comment_not_found'), 'not-found codes follow the resource')
  t.ok(seen.has('428 precondition_required') && seen.has('412 precondition_failed') && seen.has('401 unauthorized'))
  t.notOk([...seen].some((entry) => entry.startsWith('428 ') && entry.endsWith('_not_found')), 'no 428 shows a not-found example')
})

t.test('every response of a rate-limited route declares the X-RateLimit-* headers', async (t) => {
  // A route's own limit, or a shared budget (every read but /health, every write): plugins/external/rate-limit.ts.
  const limited = routes.filter((route) => {
    const config = route.config as { rateLimit?: unknown; rateLimitBudget?: unknown } | undefined
    return config?.rateLimit || config?.rateLimitBudget
  })
  t.ok(limited.length >= 40, `${limited.length} rate-limited routes`)
  for (const route of limited) {
    for (const method of methodsOf(route)) {
      const operation = document.paths[toTemplate(route.url)]?.[method.toLowerCase()]
      if (!operation) continue
      t.ok(operation.responses['429'], `${method} ${route.url}: 429`)
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === '503') continue
        const headers = (response.headers ?? {}) as Record<string, { $ref?: string }>
        for (const header of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
          // A 400 may come from the router, before the limit is checked: declared, but not required.
          if (status === '400') t.same([headers[header]?.$ref, (headers[header] as { required?: boolean } | undefined)?.required], [undefined, undefined], `${method} ${route.url} 400: ${header} (optional)`)
          else t.equal(headers[header]?.$ref, `#/components/headers/${header}`, `${method} ${route.url} ${status}: ${header}`)
        }
      }
    }
  }
  const components = (document.components as unknown as { headers: Record<string, { required?: boolean }> }).headers
  t.equal(components['X-RateLimit-Limit']?.required, true, 'and they are required: the contract check fails a response without them')
})

t.test('servers: relative in the committed document, PUBLIC_URL in the served one; contact and license', async (t) => {
  const committed = contract.document as unknown as { servers: { url: string }[]; info: { contact?: { name?: string }; license?: { identifier?: string } } }
  t.same(committed.servers.map((server) => server.url), ['/'])
  t.ok(committed.info.contact?.name, 'info.contact')
  t.equal(committed.info.license?.identifier, 'MIT')
  const served = await buildApp(
    { ...loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://api.example.org/acupoints/' }), databaseUrl: 'postgresql://openapi@127.0.0.1:1/none' },
  )
  await served.ready()
  t.teardown(() => served.close())
  const document = served.swagger() as unknown as { servers: { url: string }[]; paths: object }
  t.same(document.servers.map((server) => server.url), ['https://api.example.org/acupoints'], 'a usable base URL for generated clients')
  t.same(document.paths, (committed as unknown as { paths: object }).paths, 'and otherwise the same document')
})

t.test('the docs page, its documents and HEAD are served as declared (the contract check sees each answer)', async (t) => {
  const { app } = await buildTestApp(t, {}, { seed: false })
  const page = await app.inject({ url: '/docs' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  const json = await app.inject({ url: '/docs/json' })
  t.equal(json.json().openapi, '3.1.0')
  t.same(json.json().paths, (await app.inject({ url: '/openapi.json' })).json().paths, '/docs/json is /openapi.json')
  t.match((await app.inject({ url: '/docs/yaml' })).body, /^openapi: 3\.1\.0/m)
  const head = await app.inject({ method: 'HEAD', url: '/v1/channels' })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '', 'HEAD has no body')
  t.ok(head.headers.etag, 'and the headers of the GET')
})
