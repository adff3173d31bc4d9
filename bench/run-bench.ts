/**
 * `npm run bench`: the hot paths of the real server against two yardsticks, on a generated volume of
 * one million comments: a bare-Fastify route answering from memory, and for every database-backed
 * scenario a raw-`pg` ceiling doing the least work that gives the same answer at the same durability
 * (bench/ceiling-server.ts). Reads run twice: cached, then on a second server with
 * REFERENCE_CACHE_SECONDS=0. See bench/README.md for what it measures and why.
 *
 *   npm run bench                          # real PostgreSQL (DATABASE_URL, default the local server)
 *   npm run bench -- --embedded            # the embedded PGlite
 *   npm run bench -- --duration 5 --only acupoint-by-code,comments-deep-page
 *   npm run bench -- --production          # the server as `npm start` runs it: default log level, request logs on
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { loadConfig } from '../src/config/config.js'
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js'
import { DEEP_ARTICLE_SLUG, DEFAULT_VOLUME, POST_ARTICLE_SLUG, ensureDatabase, prepareData, type PreparedData } from './prepare-data.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const benchDir = path.join(root, 'bench')

const { values: args } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    comments: { type: 'string', default: String(DEFAULT_VOLUME.comments) },
    label: { type: 'string', default: '' },
    'server-env': { type: 'string', multiple: true, default: [] },
    'database-name': { type: 'string', default: 'acupoint_bench' },
    'no-save': { type: 'boolean', default: false },
    // Flags for the server's node process, e.g. --node-flags=--liftoff-only (see bench/README.md).
    'node-flags': { type: 'string', default: '' },
    // Skip `npm run build` and run the dist/ already there.
    'no-build': { type: 'boolean', default: false },
    // The server with production defaults (as `npm start`): LOG_LEVEL unset (info), one log line per request.
    production: { type: 'boolean', default: false },
    // Skip the second server run with REFERENCE_CACHE_SECONDS=0 (the uncached reads).
    'no-uncached': { type: 'boolean', default: false },
    // Issue 16: the uncached reads a third time, with a streaming replica in DATABASE_REPLICA_URLS
    // (scripts/scale/topology.sh up makes one on port 5433). PostgreSQL only.
    replicas: { type: 'boolean', default: false },
    'replica-port': { type: 'string', default: '5433' },
  },
})

const duration = Number(args.duration)
const warmup = Number(args.warmup)
const connections = Number(args.connections)
const only = args.only ? new Set(args.only.split(',')) : undefined
const serverEnv = Object.fromEntries(args['server-env'].map((pair) => {
  const at = pair.indexOf('=')
  if (at < 1) throw new Error(`--server-env wants KEY=VALUE, got ${pair}`)
  return [pair.slice(0, at), pair.slice(at + 1)]
}))
const volume = { ...DEFAULT_VOLUME, comments: Number(args.comments) }
const production = args.production
const label = args.label || (production ? 'production' : '')
// An entry point may read the environment and hand it to loadConfig (house rule).
const envConfig = loadConfig(process.env)
const runId = Date.now().toString(36)

// ─── child processes ───────────────────────────────────────────────────────────────────────────

const children = new Set<ChildProcess>()
function startChild(nodeArgs: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const script = nodeArgs.at(-1)!
  const child = spawn(process.execPath, nodeArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${path.basename(script)}] ${chunk}`))
  return child
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(url: string, child: ChildProcess, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before it was ready`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${url} was not ready within ${seconds} s`)
}

/** VmRSS now and VmHWM (peak since start) of a process, in MB. */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 }
}

// ─── scenarios ─────────────────────────────────────────────────────────────────────────────────

type Request = autocannon.Request
type Target = 'app' | 'bare' | 'ceiling'
interface Scenario {
  name: string
  description: string
  target: Target
  expected: number[]
  requests: Request[]
  /** Writes consume data: no warm-up run for them (the server is warm by then). */
  write?: boolean
  /** The raw-pg ceiling scenario this one is reported against. */
  ceiling?: string
  /** Run again on the server with REFERENCE_CACHE_SECONDS=0. */
  uncached?: boolean
}

interface ScenarioResult {
  name: string
  description: string
  server: Target
  /** 'cached': the server as configured; 'no-cache': the second server, REFERENCE_CACHE_SECONDS=0. */
  phase: 'cached' | 'no-cache' | 'replica'
  /** Responses with an expected status only, per second. */
  requestsPerSecond: number
  /** Every response, whatever its status, per second (what autocannon's own summary reports). */
  allResponsesPerSecond: number
  latencyMs: { p50: number; p99: number; max: number; mean: number }
  requests: number
  /** Responses with an unexpected status, socket errors and timeouts. */
  errors: number
  statusCodes: Record<string, number>
  ratioToBaseline: number | null
  ceiling: string | null
  ratioToCeiling: number | null
  peakRssMb: number
}

let ipCounter = 0
const uniqueIp = () => {
  ipCounter += 1
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}
let commentCounter = 0
/** A fresh address, author, e-mail and body per request: the flood, duplicate and per-IP checks all run and refuse nothing. */
const commentRequest = (requestPath: string): Request => {
  commentCounter += 1
  const n = commentCounter
  return {
    method: 'POST',
    path: requestPath,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': uniqueIp() },
    body: JSON.stringify({
      authorName: `Bench reader ${n}`,
      authorEmail: `bench-${runId}-${n}@example.com`,
      body: `Benchmark comment ${runId}-${n}: the points worked for me, thanks for the clear write-up.`,
    }),
  }
}

/** Cycles through a pool; past its end the requests repeat (and answer 412, counted as errors). */
function cycling<T>(pool: T[], make: (item: T) => Request): () => Request {
  let index = 0
  return () => {
    if (pool.length === 0) throw new Error('no pending comments left to PATCH: regenerate the volume (drop the bench database)')
    const item = pool[index % pool.length]!
    index += 1
    if (index === pool.length + 1) console.warn(`  (pool of ${pool.length} exhausted: later requests repeat and fail)`)
    return make(item)
  }
}

interface Pools {
  /** Pending comments with their current ETag, from the moderation queue (the API's PATCHes). */
  apiPatches: Array<{ id: string; etag: string }>
  /** Pending comments at version 1 not in apiPatches (the ceiling's PATCHes). */
  ceilingPatches: string[]
}

function buildScenarios(data: PreparedData, etags: Record<string, string>, pools: () => Pools): Scenario[] {
  const get = (requestPath: string, headers: Record<string, string> = {}): Request => ({ method: 'GET', path: requestPath, headers })
  const deepPath = `/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20&cursor=${data.deepCursor}`
  const firstPath = `/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20`
  const postPath = `/v1/articles/${POST_ARTICLE_SLUG}/comments`
  const patchBody = JSON.stringify({ status: 'approved', reason: 'benchmark' })
  const reads: Request[] = [
    get('/v1/acupoints/LI20'),
    get('/v1/acupoints/ST36'),
    get('/v1/acupoints?region=face&limit=20'),
    get(`/v1/articles/${DEEP_ARTICLE_SLUG}`),
    get(firstPath),
    get(deepPath),
    get('/v1/acupoints/LI20', { 'if-none-match': etags.acupoint! }),
    get(firstPath, { 'if-none-match': etags.firstPage! }),
    get('/v1/channels'),
  ]
  let mixedCounter = 0
  // A request made afresh for every send (autocannon's setupRequest), built lazily so the pools are filled by then.
  const dynamic = (make: () => () => Request): Request => {
    let next: (() => Request) | undefined
    const once = () => (next ??= make())()
    return { method: 'GET', path: '/', setupRequest: (request) => Object.assign(request, once()) }
  }
  const apiPatch = () => cycling(pools().apiPatches, ({ id, etag }) => ({
    method: 'PATCH',
    path: `/v1/comments/${id}`,
    headers: { authorization: `Bearer ${data.moderatorToken}`, 'content-type': 'application/json', 'if-match': etag },
    body: patchBody,
  }))
  const ceilingPatch = () => cycling(pools().ceilingPatches, (id) => ({
    method: 'PATCH',
    path: `/ceiling/comments/${id}`,
    headers: { 'content-type': 'application/json', 'if-match': '"1"' },
    body: patchBody,
  }))

  return [
    { name: 'baseline-bare-fastify', description: 'bare Fastify, LI20 detail JSON from memory', target: 'bare', expected: [200], requests: [get('/payload')] },
    { name: 'acupoint-by-code', description: 'GET /v1/acupoints/LI20', target: 'app', expected: [200], requests: [get('/v1/acupoints/LI20')], ceiling: 'ceiling-acupoint-by-code', uncached: true },
    { name: 'ceiling-acupoint-by-code', description: 'raw pg: LI20 with channel, claims, articles, sources (1 statement)', target: 'ceiling', expected: [200], requests: [get('/ceiling/acupoints/LI20')] },
    { name: 'acupoint-by-code-304', description: 'same, If-None-Match (304)', target: 'app', expected: [304], requests: [get('/v1/acupoints/LI20', { 'if-none-match': etags.acupoint! })], ceiling: 'ceiling-acupoint-by-code', uncached: true },
    { name: 'acupoint-list-filtered', description: 'GET /v1/acupoints?region=face&limit=20', target: 'app', expected: [200], requests: [get('/v1/acupoints?region=face&limit=20')], ceiling: 'ceiling-acupoint-list-filtered', uncached: true },
    { name: 'ceiling-acupoint-list-filtered', description: 'raw pg: face points, page of 20 and total (1 statement)', target: 'ceiling', expected: [200], requests: [get('/ceiling/acupoints?region=face&limit=20')] },
    { name: 'article-detail', description: `GET /v1/articles/${DEEP_ARTICLE_SLUG} (6 points)`, target: 'app', expected: [200], requests: [get(`/v1/articles/${DEEP_ARTICLE_SLUG}`)], uncached: true },
    { name: 'comments-first-page', description: 'approved comments, first page of 20', target: 'app', expected: [200], requests: [get(firstPath)], ceiling: 'ceiling-comments-first-page', uncached: true },
    { name: 'ceiling-comments-first-page', description: 'raw pg: one indexed keyset query, LIMIT 21', target: 'ceiling', expected: [200], requests: [get(`/ceiling/comments/${data.deepArticleId}?limit=20`)] },
    { name: 'comments-first-page-304', description: 'same, If-None-Match (304)', target: 'app', expected: [304], requests: [get(firstPath, { 'if-none-match': etags.firstPage! })], ceiling: 'ceiling-comments-first-page', uncached: true },
    { name: 'comments-deep-page', description: 'page of 20 after the 10,000th comment', target: 'app', expected: [200], requests: [get(deepPath)], ceiling: 'ceiling-comments-deep-page', uncached: true },
    { name: 'ceiling-comments-deep-page', description: 'raw pg: the same keyset query after the 10,000th', target: 'ceiling', expected: [200], requests: [get(`/ceiling/comments/${data.deepArticleId}?limit=20&cursor=${data.deepCursor}`)] },
    { name: 'comment-post', description: 'POST a comment (fresh address, e-mail, body; flood check live)', target: 'app', expected: [202], write: true, requests: [dynamic(() => () => commentRequest(postPath))], ceiling: 'ceiling-comment-post' },
    { name: 'ceiling-comment-post', description: 'raw pg: comment + submission event, 1 statement, 1 commit', target: 'ceiling', expected: [202], write: true, requests: [dynamic(() => () => commentRequest(`/ceiling/comments/${data.postArticleId}`))] },
    { name: 'moderator-patch', description: 'PATCH a pending comment to approved (If-Match: its ETag from the queue)', target: 'app', expected: [200], write: true, requests: [dynamic(apiPatch)], ceiling: 'ceiling-moderator-patch' },
    { name: 'ceiling-moderator-patch', description: 'raw pg: status + version and its event, 1 statement, 1 commit', target: 'ceiling', expected: [200], write: true, requests: [dynamic(ceilingPatch)] },
    {
      name: 'mixed-90-10', description: '90 % reads (the GETs above) / 10 % comment POSTs', target: 'app', expected: [200, 202, 304], write: true,
      requests: [dynamic(() => () => {
        mixedCounter += 1
        return mixedCounter % 10 === 0 ? commentRequest(postPath) : reads[mixedCounter % reads.length]!
      })],
    },
  ]
}

async function runLoad(url: string, scenario: Scenario, seconds: number) {
  return autocannon({ url, connections, duration: seconds, requests: scenario.requests, timeout: 10 })
}

/** Pending comments and their current ETags, read as a moderator reads them: from the queue, per article. */
async function moderationEtags(appUrl: string, token: string, slugs: string[], wanted: number): Promise<Array<{ id: string; etag: string }>> {
  const found: Array<{ id: string; etag: string }> = []
  for (let start = 0; start < slugs.length && found.length < wanted; start += 4) {
    const pages = await Promise.all(slugs.slice(start, start + 4).map(async (slug) => {
      const response = await fetch(`${appUrl}/v1/moderation/comments?status=pending&article=${slug}&limit=100`, { headers: { authorization: `Bearer ${token}` } })
      if (!response.ok) throw new Error(`the moderation queue answered ${response.status}: ${await response.text()}`)
      return ((await response.json()) as { items: Array<{ id: string; etag: string }> }).items
    }))
    for (const item of pages.flat()) found.push({ id: item.id, etag: item.etag })
  }
  return found.slice(0, wanted)
}

/** The read ceilings fetch the same data as the API: the same claims, articles and sources for LI20, the same page and total of face points. */
async function checkSameData(appUrl: string, ceilingUrl: string): Promise<void> {
  const json = async <T>(url: string) => (await fetch(url)).json() as Promise<T>
  type Point = { claims: Array<{ id: string }>; articles: Array<{ slug: string }>; sources: Record<string, unknown> }
  const api = await json<Point & { code: string }>(`${appUrl}/v1/acupoints/LI20`)
  const ceiling = await json<Point & { point: { code: string } }>(`${ceilingUrl}/ceiling/acupoints/LI20`)
  const pointKey = (point: Point, code: string) =>
    JSON.stringify([code, point.claims.map((claim) => claim.id), point.articles.map((article) => article.slug), Object.keys(point.sources).sort()])
  if (pointKey(api, api.code) !== pointKey(ceiling, ceiling.point.code)) {
    throw new Error(`the point ceiling differs from the API: ${pointKey(ceiling, ceiling.point.code)} vs ${pointKey(api, api.code)}`)
  }
  type List = { items: Array<{ code: string }>; total: number }
  const apiList = await json<List>(`${appUrl}/v1/acupoints?region=face&limit=20`)
  const ceilingList = await json<List>(`${ceilingUrl}/ceiling/acupoints?region=face&limit=20`)
  const listKey = (list: List) => JSON.stringify([list.items.map((item) => item.code), Number(list.total)])
  if (listKey(apiList) !== listKey(ceilingList)) throw new Error(`the list ceiling differs from the API: ${listKey(ceilingList)} vs ${listKey(apiList)}`)
}

/**
 * The flood check is live: a second comment from the same address within COMMENT_FLOOD_SECONDS is
 * refused (429). Checked once before the write scenarios, from an address the scenarios never use.
 */
async function checkFloodLive(appUrl: string): Promise<{ first: number; second: number; code: string | null }> {
  const address = `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`
  const post = (n: number) => fetch(`${appUrl}/v1/articles/${POST_ARTICLE_SLUG}/comments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ authorName: `Flood probe ${n}`, authorEmail: `flood-${runId}-${n}@example.com`, body: `Flood probe ${runId}-${n}: is the check live?` }),
  })
  const first = await post(1)
  const second = await post(2)
  const problem = second.status === 429 ? ((await second.json()) as { code?: string }) : undefined
  if (first.status !== 202 || second.status !== 429) {
    throw new Error(`flood check: expected 202 then 429 from one address, got ${first.status} then ${second.status}; is COMMENT_FLOOD_SECONDS > 0?`)
  }
  return { first: first.status, second: second.status, code: problem?.code ?? null }
}

// ─── the run ───────────────────────────────────────────────────────────────────────────────────

/** Settings that would make the bench dishonest if inherited from the caller's shell; only --server-env sets them. */
const INHERITED_SETTINGS = ['LOG_LEVEL', 'LOG_FORMAT', 'COMMENT_FLOOD_SECONDS', 'COMMENT_RATE_LIMIT_PER_MINUTE', 'REFERENCE_CACHE_SECONDS',
  'WRITE_RATE_LIMIT_PER_MINUTE', 'READ_RATE_LIMIT_PER_MINUTE', 'TRUST_PROXY']

/** What the bench sets for the server (see bench/README.md), before --server-env. */
function benchServerEnv(): Record<string, string> {
  return {
    // Per-request info logs measure the log pipe; --production keeps the default (info) to measure exactly that.
    ...(production ? {} : { LOG_LEVEL: 'warn' }),
    // The per-IP write limit (120/min by default) would cap the moderator's PATCHes, which all come from one address.
    WRITE_RATE_LIMIT_PER_MINUTE: '100000',
    // Every read comes from one address too; the per-IP read limit (1,200/min by default) would cap them.
    READ_RATE_LIMIT_PER_MINUTE: '1000000',
    // Every POST carries its own X-Forwarded-For: the flood check and the per-IP comment limit (both at
    // their defaults) run for every submission and refuse none.
    TRUST_PROXY: 'true',
  }
}

async function main() {
  const started = Date.now()
  const embedded = args.embedded
  const dataDir = path.join(benchDir, 'data', 'pglite')
  const pendingWanted = Math.max(5_000, Math.round(duration * 4_000))

  console.log(`acupoint-api benchmark: ${embedded ? 'embedded PGlite' : 'PostgreSQL'}, ${duration} s per scenario, ${connections} connections${production ? ', production defaults (LOG_LEVEL unset)' : ''}`)
  if (!args['no-build']) {
    console.log('building (npm run build)')
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  }
  let prepared: PreparedData
  let databaseUrl: string | undefined
  if (embedded) {
    const database = await startEmbeddedPostgres({ dataDir })
    try {
      prepared = await prepareData(database.url, envConfig, volume, pendingWanted)
    } finally {
      await database.close()
    }
  } else {
    const adminUrl = envConfig.databaseUrl ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
    databaseUrl = await ensureDatabase(adminUrl, args['database-name'])
    prepared = await prepareData(databaseUrl, envConfig, volume, pendingWanted)
  }
  console.log(`data: ${JSON.stringify(prepared.counts)}${prepared.generatedNow ? ` (generated in ${prepared.generateSeconds.toFixed(0)} s)` : ' (reused)'}`)

  // The server runs as in production: compiled, with the node flags of `npm run serve` (and the Dockerfile).
  const nodeFlags = args['node-flags'] ? args['node-flags'].split(/\s+/).filter(Boolean) : await serveFlags()
  const settingsEnv = { ...benchServerEnv(), ...serverEnv }
  const startApp = async (extra: Record<string, string>) => {
    const port = await freePort()
    const env: NodeJS.ProcessEnv = { ...process.env }
    for (const key of INHERITED_SETTINGS) delete env[key]
    Object.assign(env, { HOST: '127.0.0.1', PORT: String(port) }, settingsEnv, extra)
    if (embedded) {
      delete env.DATABASE_URL
      env.DATA_DIR = dataDir
    } else {
      env.DATABASE_URL = databaseUrl
    }
    const child = startChild([...nodeFlags, 'dist/server.js'], env)
    // Drained, as a log collector would read it (with --production this is one JSON line per request).
    let logBytes = 0
    child.stdout!.on('data', (chunk: Buffer) => { logBytes += chunk.length })
    const url = `http://127.0.0.1:${port}`
    await waitFor(`${url}/ready`, child)
    return { child, url, pid: child.pid!, logBytes: () => logBytes }
  }
  const startListening = async (child: ChildProcess): Promise<string> => new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\S+)/.exec(String(chunk))
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.at(-1)} exited ${code}`)))
  })

  let app = await startApp({})

  // What the scenarios send back: the ETags, and the payload the bare baseline serves.
  const li20 = await fetch(`${app.url}/v1/acupoints/LI20`)
  const payload = await li20.text()
  const firstPage = await fetch(`${app.url}/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20`)
  const etags = { acupoint: li20.headers.get('etag')!, firstPage: firstPage.headers.get('etag')! }
  const deepCheck = await fetch(`${app.url}/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20&cursor=${prepared.deepCursor}`)
  const deepItems = ((await deepCheck.json()) as { items: unknown[] }).items.length
  if (deepCheck.status !== 200 || deepItems !== 20) throw new Error(`the deep page answered ${deepCheck.status} with ${deepItems} items`)

  await mkdir(path.join(benchDir, 'data'), { recursive: true })
  const payloadFile = path.join(benchDir, 'data', 'baseline-payload.json')
  await writeFile(payloadFile, payload)
  const bare = startChild([...nodeFlags, '--import', 'tsx', 'bench/bare-server.ts', payloadFile], { PATH: process.env.PATH ?? '' })
  const bareUrl = await startListening(bare)

  // The raw-pg ceilings: their own process, the API's pool size, the database's durability.
  const pgUrl = embedded ? await embeddedUrl(dataDir) : databaseUrl!
  const ceilingServer = startChild([...nodeFlags, '--import', 'tsx', 'bench/ceiling-server.ts'], {
    PATH: process.env.PATH ?? '', DATABASE_URL: pgUrl, DB_POOL_MAX: embedded ? '1' : '10',
  })
  const ceilingUrl = await startListening(ceilingServer)
  const ceilingSettings = await (await fetch(`${ceilingUrl}/ceiling/settings`)).json() as { synchronousCommit: string; poolMax: number }
  const ceilingDeep = await (await fetch(`${ceilingUrl}/ceiling/comments/${prepared.deepArticleId}?limit=20&cursor=${prepared.deepCursor}`)).json() as { items: Array<{ id: string }> }
  const apiDeep = ((await (await fetch(`${app.url}/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20&cursor=${prepared.deepCursor}`)).json()) as { items: Array<{ id: string }> }).items
  if (ceilingDeep.items.map((item) => item.id).join() !== apiDeep.map((item) => item.id).join()) throw new Error('the ceiling\'s deep page differs from the API\'s')
  await checkSameData(app.url, ceilingUrl)

  // The raw-driver floor: the same row through plain pg, one query at a time.
  const rawPg = await timeRawQuery(pgUrl)

  // Between scenarios: wait until the database has no statement of the last one still running.
  // autocannon stops sending at the end of a run, but a slow request already sent (an uncached
  // article takes seconds on a loaded machine) keeps the database busy into the next scenario.
  const settled = async (): Promise<number> => {
    if (embedded) return 0
    const client = new pg.Client({ connectionString: pgUrl })
    await client.connect()
    const since = Date.now()
    try {
      while (Date.now() - since < 30_000) {
        const { rows } = await client.query<{ n: number }>(`
          SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()`)
        if (rows[0]!.n === 0) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    } finally {
      await client.end()
    }
    return Date.now() - since
  }

  let pools: Pools = { apiPatches: [], ceilingPatches: prepared.pendingIds }
  const all = buildScenarios(prepared, etags, () => pools)
  const wantedApp = all.filter((scenario) => scenario.target === 'app' && (!only || only.has(scenario.name)))
  const wantedCeilings = new Set([...wantedApp.map((scenario) => scenario.ceiling), ...all.filter((scenario) => only?.has(scenario.name)).map((scenario) => scenario.name)])
  const scenarios = all.filter((scenario) => scenario.target === 'app' ? wantedApp.includes(scenario) : scenario.target === 'ceiling' ? wantedCeilings.has(scenario.name) : true)
  const results: ScenarioResult[] = []
  const baselineRuns: number[] = []
  let floodCheck: Awaited<ReturnType<typeof checkFloodLive>> | undefined
  const runScenario = async (scenario: Scenario, phase: ScenarioResult['phase'] = 'cached') => {
    const url = scenario.target === 'bare' ? bareUrl : scenario.target === 'ceiling' ? ceilingUrl : app.url
    const pid = scenario.target === 'bare' ? bare.pid! : scenario.target === 'ceiling' ? ceilingServer.pid! : app.pid
    if ((scenario.name === 'comment-post' || scenario.name === 'mixed-90-10') && !floodCheck && settingsEnv.COMMENT_FLOOD_SECONDS !== '0') {
      floodCheck = await checkFloodLive(app.url)
      console.log(`  (flood check live: a second POST from one address answered ${floodCheck.second} ${floodCheck.code ?? ''})`)
    }
    if (scenario.name === 'moderator-patch') {
      const wanted = Math.min(prepared.pendingIds.length, Math.ceil(duration * 1_500))
      const apiPatches = await moderationEtags(app.url, prepared.moderatorToken, prepared.pendingArticleSlugs, wanted)
      const taken = new Set(apiPatches.map((patch) => patch.id))
      pools = { apiPatches, ceilingPatches: prepared.pendingIds.filter((id) => !taken.has(id)) }
      console.log(`  (PATCH pools: ${apiPatches.length} ETags from the queue for the API, ${pools.ceilingPatches.length} version-1 ids for the ceiling)`)
    }
    if (!scenario.write && warmup > 0) await runLoad(url, scenario, warmup)
    const waited = await settled()
    if (waited > 1_000) console.log(`  (waited ${(waited / 1000).toFixed(1)} s for the previous requests' statements to finish)`)
    let peak = 0
    const sampler = setInterval(() => void memoryOf(pid).then(({ rss }) => { peak = Math.max(peak, rss) }), 100)
    const result = await runLoad(url, scenario, duration)
    clearInterval(sampler)
    peak = Math.max(peak, (await memoryOf(pid)).rss)
    const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count]))
    const good = scenario.expected.reduce((sum, code) => sum + (statusCodes[String(code)] ?? 0), 0)
    const total = Object.values(statusCodes).reduce((sum, count) => sum + count, 0)
    // Only the expected statuses count: a fast stream of 4xx/5xx is not throughput.
    const rps = good / result.duration
    if (scenario.target === 'bare') baselineRuns.push(rps)
    const row: ScenarioResult = {
      name: phase === 'no-cache' ? `${scenario.name} (no cache)` : phase === 'replica' ? `${scenario.name} (replica)` : scenario.name,
      description: scenario.description,
      server: scenario.target,
      phase,
      requestsPerSecond: Math.round(rps),
      allResponsesPerSecond: Math.round(total / result.duration),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: Number(result.latency.average.toFixed(2)) },
      requests: total,
      errors: total - good + result.errors + result.timeouts,
      statusCodes,
      ratioToBaseline: null,
      ceiling: scenario.ceiling ?? null,
      ratioToCeiling: null,
      peakRssMb: Math.round(peak),
    }
    const unexpected = Object.entries(statusCodes).filter(([code]) => !scenario.expected.includes(Number(code))).map(([code, count]) => `${count}×${code}`)
    console.log(`  ${row.name.padEnd(36)} ${String(row.requestsPerSecond).padStart(6)} req/s  p99 ${row.latencyMs.p99} ms  errors ${row.errors}${unexpected.length > 0 ? ` (${unexpected.join(', ')})` : ''}`)
    return row
  }

  console.log('running scenarios')
  const [baseline, ...rest] = scenarios
  results.push(await runScenario(baseline!))
  for (const scenario of rest) results.push(await runScenario(scenario))
  const cachedMemory = await memoryOf(app.pid)
  const logBytes = { cached: app.logBytes(), noCache: 0 }
  await stopChild(ceilingServer)
  await stopChild(app.child)

  // The reads again with the reference cache off: what a read costs after a write, or past the cache's bound.
  let noCacheMemory: { rss: number; hwm: number } | undefined
  const uncachedScenarios = scenarios.filter((scenario) => scenario.uncached)
  if (!args['no-uncached'] && serverEnv.REFERENCE_CACHE_SECONDS !== '0' && uncachedScenarios.length > 0) {
    console.log('again with REFERENCE_CACHE_SECONDS=0')
    app = await startApp({ REFERENCE_CACHE_SECONDS: '0' })
    for (const scenario of uncachedScenarios) results.push(await runScenario(scenario, 'no-cache'))
    noCacheMemory = await memoryOf(app.pid)
    logBytes.noCache = app.logBytes()
    await stopChild(app.child)
  }

  // And with one streaming replica taking the public reads (the cache still off, so every read is a
  // database read the replica router places). On one 2-core machine the replica competes with the
  // primary and the API for the same cores: this shows that it works, not that it scales.
  let replicaUrl: string | undefined
  if (args.replicas) {
    if (embedded) throw new Error('--replicas needs PostgreSQL (DATABASE_URL)')
    const url = new URL(pgUrl)
    url.port = args['replica-port']!
    replicaUrl = url.toString()
    const probe = new pg.Client({ connectionString: replicaUrl, connectionTimeoutMillis: 3_000 })
    await probe.connect().catch((error: Error) => {
      throw new Error(`--replicas: no replica at ${url.host} (${error.message}); run scripts/scale/topology.sh up first`)
    })
    const { rows } = await probe.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')
    await probe.end()
    if (!rows[0]!.standby) throw new Error(`--replicas: ${url.host} is not a standby`)
    console.log(`again with REFERENCE_CACHE_SECONDS=0 and DATABASE_REPLICA_URLS=${url.host}${url.pathname}`)
    app = await startApp({ REFERENCE_CACHE_SECONDS: '0', DATABASE_REPLICA_URLS: replicaUrl })
    for (const scenario of uncachedScenarios) results.push(await runScenario(scenario, 'replica'))
    await stopChild(app.child)
  }

  // The baseline again at the end: the machine is shared, so the bare ceiling is the mean of both.
  const closing = await runScenario(baseline!)
  closing.name = 'baseline-bare-fastify (end)'
  results.push(closing)
  await stopChild(bare)

  const bareCeiling = baselineRuns.reduce((sum, value) => sum + value, 0) / baselineRuns.length
  const byName = Object.fromEntries(results.map((row) => [row.name, row]))
  for (const row of results) {
    row.ratioToBaseline = Number((row.requestsPerSecond / bareCeiling).toFixed(2))
    const ceiling = row.ceiling ? byName[row.ceiling] : undefined
    row.ratioToCeiling = ceiling && ceiling.requestsPerSecond > 0 ? Number((row.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2)) : null
  }
  const serverPeakRssMb = Math.max(cachedMemory.hwm, noCacheMemory?.hwm ?? 0)

  const targets = evaluateTargets(byName, serverPeakRssMb)
  const report = {
    date: new Date().toISOString(),
    label: label || undefined,
    database: embedded ? 'embedded PGlite' : 'PostgreSQL',
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg().map((value) => Number(value.toFixed(2))) },
    commit: gitCommit(),
    settings: {
      duration, warmup, connections, production, nodeFlags: nodeFlags.join(' '),
      serverEnv: settingsEnv,
      noCacheServerEnv: noCacheMemory ? { ...settingsEnv, REFERENCE_CACHE_SECONDS: '0' } : null,
      replicaServerEnv: replicaUrl ? { ...settingsEnv, REFERENCE_CACHE_SECONDS: '0', DATABASE_REPLICA_URLS: replicaUrl } : null,
      // What the server's config resolves to for the comment defences the write scenarios exercise.
      commentDefences: { COMMENT_FLOOD_SECONDS: settingsEnv.COMMENT_FLOOD_SECONDS ?? 'default (15)', COMMENT_RATE_LIMIT_PER_MINUTE: settingsEnv.COMMENT_RATE_LIMIT_PER_MINUTE ?? 'default (10)' },
    },
    floodCheck: floodCheck ?? null,
    ceilingServer: ceilingSettings,
    serverLogBytes: logBytes,
    data: prepared.counts,
    baselineRequestsPerSecond: Math.round(bareCeiling),
    rawPg,
    serverPeakRssMb: Math.round(serverPeakRssMb),
    serverPeakRssMbByPhase: { cached: Math.round(cachedMemory.hwm), noCache: noCacheMemory ? Math.round(noCacheMemory.hwm) : null },
    scenarios: results,
    targets,
    explain: {
      firstPage: prepared.explainFirstPage,
      deepPage: prepared.explainDeepPage,
      deepPageWithoutCreatedAtBound: prepared.explainDeepPageWithoutBound,
    },
    totalSeconds: Math.round((Date.now() - started) / 1000),
  }
  printTable(report.scenarios, report)
  if (!args['no-save']) {
    await mkdir(path.join(benchDir, 'results'), { recursive: true })
    const stamp = report.date.replace(/:/g, '-').replace(/\..+$/, '')
    const file = path.join(benchDir, 'results', `${stamp}${embedded ? '-embedded' : ''}${label ? `-${label}` : ''}.json`)
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`\nwritten: ${path.relative(root, file)}`)
  }
}

/** The flags between `node` and `dist/server.js` in package.json's serve script. */
async function serveFlags(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const match = /^node\s+(.*?)\s*dist\/server\.js$/.exec(manifest.scripts.serve ?? '')
  if (!match) throw new Error('package.json\'s serve script is not `node [flags] dist/server.js`')
  return match[1]!.split(/\s+/).filter(Boolean)
}

function gitCommit(): string | undefined {
  try {
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench/*.ts'], { cwd: root, encoding: 'utf8' }).trim() ? '+changes' : ''
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim() + dirty
  } catch {
    return undefined
  }
}

/** Where the running server's embedded database listens: the URL in its data-directory lock (src/db/data-dir-lock.ts), the highest generation. */
async function embeddedUrl(dataDir: string): Promise<string> {
  const generations = (await readdir(dataDir)).map((name) => /^acupoint-api\.lock\.(\d+)\.json$/.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number)
  if (generations.length === 0) throw new Error(`no lock file in ${dataDir}: is the server running?`)
  const holder = JSON.parse(await readFile(path.join(dataDir, `acupoint-api.lock.${Math.max(...generations)}.json`), 'utf8')) as { url: string | null }
  if (!holder.url) throw new Error(`the server holding ${dataDir} has not recorded its database URL`)
  return holder.url
}

async function timeRawQuery(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const sql = 'SELECT * FROM acupoints WHERE code = $1'
  for (let i = 0; i < 200; i += 1) await client.query({ name: 'point', text: sql, values: ['LI20'] })
  const samples: number[] = []
  for (let i = 0; i < 2_000; i += 1) {
    const start = process.hrtime.bigint()
    await client.query({ name: 'point', text: sql, values: ['LI20'] })
    samples.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  await client.end()
  samples.sort((a, b) => a - b)
  const at = (q: number) => Number(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3))
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length
  return { query: sql, queries: samples.length, meanMs: Number(mean.toFixed(3)), p50Ms: at(0.5), p99Ms: at(0.99), queriesPerSecond: Math.round(1000 / mean) }
}

/** The targets of issue 13 (bench/README.md); `null` where a scenario was not run. */
function evaluateTargets(byName: Record<string, ScenarioResult>, peakRssMb: number) {
  const check = (what: string, measured: number | null | undefined, target: number, atMost = false) =>
    measured === undefined || measured === null ? { what, measured: null, target, met: null }
      : { what, measured: Number(measured.toFixed(2)), target, met: atMost ? measured <= target : measured >= target }
  const toCeiling = (name: string) => byName[name]?.ratioToCeiling
  const toBare = (name: string) => byName[name]?.ratioToBaseline
  return [
    check('comments-first-page ÷ raw-pg ceiling', toCeiling('comments-first-page'), 0.6),
    check('comments-deep-page ÷ raw-pg ceiling', toCeiling('comments-deep-page'), 0.6),
    check('comments-first-page-304 ÷ bare Fastify', toBare('comments-first-page-304'), 0.8),
    check('comment-post ÷ raw-pg ceiling', toCeiling('comment-post'), 0.5),
    check('comment-post errors', byName['comment-post']?.errors, 0, true),
    check('moderator-patch ÷ raw-pg ceiling', toCeiling('moderator-patch'), 0.5),
    check('acupoint-by-code ÷ bare Fastify', toBare('acupoint-by-code'), 0.75),
    check('acupoint-by-code-304 ÷ bare Fastify', toBare('acupoint-by-code-304'), 0.9),
    check('acupoint-by-code (no cache) ÷ raw-pg ceiling', toCeiling('acupoint-by-code (no cache)'), 0.5),
    check('acupoint-list-filtered (no cache) ÷ raw-pg ceiling', toCeiling('acupoint-list-filtered (no cache)'), 0.5),
    check('mixed-90-10 req/s (3 × 2,122)', byName['mixed-90-10']?.requestsPerSecond, 6_366),
    check('server peak RSS (MB)', peakRssMb, 200, true),
  ]
}

function printTable(rows: ScenarioResult[], report: {
  baselineRequestsPerSecond: number; serverPeakRssMb: number; rawPg: Awaited<ReturnType<typeof timeRawQuery>>
  targets: ReturnType<typeof evaluateTargets>; ceilingServer: { synchronousCommit: string }
}) {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'x bare', 'x ceiling', 'RSS MB']
  const lines = rows.map((row) => [
    row.name, String(row.requestsPerSecond), String(row.latencyMs.p50), String(row.latencyMs.p99), String(row.latencyMs.max),
    String(row.errors), row.ratioToBaseline?.toFixed(2) ?? '', row.ratioToCeiling?.toFixed(2) ?? '', String(row.peakRssMb),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  console.log(`\n${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`)
  for (const line of lines) console.log(format(line))
  console.log(`\nreq/s counts expected statuses only; errors = other statuses, socket errors and timeouts`)
  console.log(`bare Fastify (mean of both runs): ${report.baselineRequestsPerSecond} req/s; server peak RSS (VmHWM): ${report.serverPeakRssMb} MB`)
  console.log(`raw-pg ceilings: bench/ceiling-server.ts, synchronous_commit=${report.ceilingServer.synchronousCommit} (the API's too: neither sets it)`)
  console.log(`raw pg, ${report.rawPg.query} x${report.rawPg.queries}: mean ${report.rawPg.meanMs} ms, p50 ${report.rawPg.p50Ms} ms, p99 ${report.rawPg.p99Ms} ms`)
  console.log('\ntargets (issue 13):')
  for (const target of report.targets) {
    const verdict = target.met === null ? 'not run' : target.met ? 'met' : 'MISSED'
    console.log(`  ${target.what.padEnd(50)} ${String(target.measured ?? '-').padStart(8)}  (target ${target.target})  ${verdict}`)
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error)
  process.exit(1)
})
