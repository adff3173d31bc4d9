/**
 * `npm run bench`: the hot paths of the real server against a bare-Fastify ceiling, on a generated
 * volume of one million comments. See bench/README.md for what it measures and why.
 *
 *   npm run bench                          # real PostgreSQL (DATABASE_URL, default the local server)
 *   npm run bench -- --embedded            # the embedded PGlite
 *   npm run bench -- --duration 5 --only acupoint-by-code,comments-deep-page
 *   npm run bench -- --server-env REFERENCE_CACHE_SECONDS=0 --label no-cache
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
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
interface Scenario {
  name: string
  description: string
  target: 'app' | 'bare'
  expected: number[]
  requests: Request[]
  /** Writes consume data: no warm-up run for them (the server is warm by then). */
  write?: boolean
}

interface ScenarioResult {
  name: string
  description: string
  requestsPerSecond: number
  latencyMs: { p50: number; p99: number; max: number; mean: number }
  requests: number
  errors: number
  statusCodes: Record<string, number>
  ratioToBaseline: number | null
  peakRssMb: number
}

let ipCounter = 0
const uniqueIp = () => {
  ipCounter += 1
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}
let commentCounter = 0
const commentRequest = (): Request => {
  commentCounter += 1
  const n = commentCounter
  return {
    method: 'POST',
    path: `/v1/articles/${POST_ARTICLE_SLUG}/comments`,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': uniqueIp() },
    body: JSON.stringify({
      authorName: `Bench reader ${n}`,
      authorEmail: `bench-${runId}-${n}@example.com`,
      body: `Benchmark comment ${runId}-${n}: the points worked for me, thanks for the clear write-up.`,
    }),
  }
}

function buildScenarios(data: PreparedData, etags: Record<string, string>): Scenario[] {
  const get = (requestPath: string, headers: Record<string, string> = {}): Request => ({ method: 'GET', path: requestPath, headers })
  const deepPath = `/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20&cursor=${data.deepCursor}`
  const firstPath = `/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20`
  let pendingIndex = 0
  const patchRequest = (): Request => {
    const id = data.pendingIds[pendingIndex % data.pendingIds.length]!
    pendingIndex += 1
    return {
      method: 'PATCH',
      path: `/v1/comments/${id}`,
      headers: { authorization: `Bearer ${data.moderatorToken}`, 'content-type': 'application/json', 'if-match': `"c1-${id}"` },
      body: JSON.stringify({ status: 'approved', reason: 'benchmark' }),
    }
  }
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
  const dynamic = (make: () => Request): Request => ({ ...make(), setupRequest: (request) => Object.assign(request, make()) })

  return [
    { name: 'baseline-bare-fastify', description: 'bare Fastify, LI20 detail JSON from memory', target: 'bare', expected: [200], requests: [get('/payload')] },
    { name: 'acupoint-by-code', description: 'GET /v1/acupoints/LI20', target: 'app', expected: [200], requests: [get('/v1/acupoints/LI20')] },
    { name: 'acupoint-by-code-304', description: 'same, If-None-Match (304)', target: 'app', expected: [304], requests: [get('/v1/acupoints/LI20', { 'if-none-match': etags.acupoint! })] },
    { name: 'acupoint-list-filtered', description: 'GET /v1/acupoints?region=face&limit=20', target: 'app', expected: [200], requests: [get('/v1/acupoints?region=face&limit=20')] },
    { name: 'article-detail', description: `GET /v1/articles/${DEEP_ARTICLE_SLUG} (6 points)`, target: 'app', expected: [200], requests: [get(`/v1/articles/${DEEP_ARTICLE_SLUG}`)] },
    { name: 'comments-first-page', description: 'approved comments, first page of 20', target: 'app', expected: [200], requests: [get(firstPath)] },
    { name: 'comments-first-page-304', description: 'same, If-None-Match (304)', target: 'app', expected: [304], requests: [get(firstPath, { 'if-none-match': etags.firstPage! })] },
    { name: 'comments-deep-page', description: 'page of 20 after the 10,000th comment', target: 'app', expected: [200], requests: [get(deepPath)] },
    { name: 'comment-post', description: 'POST a comment (unique author/body/IP)', target: 'app', expected: [202], write: true, requests: [dynamic(commentRequest)] },
    { name: 'moderator-patch', description: 'PATCH a pending comment to approved (If-Match)', target: 'app', expected: [200], write: true, requests: [dynamic(patchRequest)] },
    {
      name: 'mixed-90-10', description: '90 % reads (the GETs above) / 10 % comment POSTs', target: 'app', expected: [200, 202, 304], write: true,
      requests: [dynamic(() => {
        mixedCounter += 1
        return mixedCounter % 10 === 0 ? commentRequest() : reads[mixedCounter % reads.length]!
      })],
    },
  ]
}

async function runLoad(url: string, scenario: Scenario, seconds: number) {
  return autocannon({ url, connections, duration: seconds, requests: scenario.requests, timeout: 10 })
}

// ─── the run ───────────────────────────────────────────────────────────────────────────────────

async function main() {
  const started = Date.now()
  const embedded = args.embedded
  const dataDir = path.join(benchDir, 'data', 'pglite')
  const pendingWanted = Math.max(5_000, Math.round(duration * 4_000))

  console.log(`acupoint-api benchmark: ${embedded ? 'embedded PGlite' : 'PostgreSQL'}, ${duration} s per scenario, ${connections} connections`)
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

  const port = await freePort()
  const appUrl = `http://127.0.0.1:${port}`
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // Comment defences that would turn a load test into a stream of 429s and 409s: off, or out of
    // reach (see bench/README.md). Every POST has its own author, body and X-Forwarded-For.
    COMMENT_FLOOD_SECONDS: '0',
    COMMENT_RATE_LIMIT_PER_MINUTE: '10000',
    // The per-IP write limit (120/min by default) would cap the moderator's PATCHes, which all come from one address.
    WRITE_RATE_LIMIT_PER_MINUTE: '100000',
    // Every read comes from one address too; the per-IP read limit (1,200/min by default) would cap them.
    READ_RATE_LIMIT_PER_MINUTE: '1000000',
    TRUST_PROXY: 'true',
    ...serverEnv,
  }
  if (embedded) {
    delete childEnv.DATABASE_URL
    childEnv.DATA_DIR = dataDir
  } else {
    childEnv.DATABASE_URL = databaseUrl
  }
  // The server runs as in production: compiled, with the node flags of `npm run serve` (and the Dockerfile).
  const nodeFlags = args['node-flags'] ? args['node-flags'].split(/\s+/).filter(Boolean) : await serveFlags()
  const server = startChild([...nodeFlags, 'dist/server.js'], childEnv)
  server.stdout!.on('data', () => {})
  await waitFor(`${appUrl}/ready`, server)
  const serverPid = server.pid!

  // What the scenarios send back: the ETags, and the payload the bare baseline serves.
  const li20 = await fetch(`${appUrl}/v1/acupoints/LI20`)
  const payload = await li20.text()
  const firstPage = await fetch(`${appUrl}/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20`)
  const etags = { acupoint: li20.headers.get('etag')!, firstPage: firstPage.headers.get('etag')! }
  const deepCheck = await fetch(`${appUrl}/v1/articles/${DEEP_ARTICLE_SLUG}/comments?limit=20&cursor=${prepared.deepCursor}`)
  const deepItems = ((await deepCheck.json()) as { items: unknown[] }).items.length
  if (deepCheck.status !== 200 || deepItems !== 20) throw new Error(`the deep page answered ${deepCheck.status} with ${deepItems} items`)

  await mkdir(path.join(benchDir, 'data'), { recursive: true })
  const payloadFile = path.join(benchDir, 'data', 'baseline-payload.json')
  await writeFile(payloadFile, payload)
  const bare = startChild([...nodeFlags, '--import', 'tsx', 'bench/bare-server.ts', payloadFile], { PATH: process.env.PATH ?? '' })
  const bareUrl = await new Promise<string>((resolve, reject) => {
    bare.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\S+)/.exec(String(chunk))
      if (match) resolve(match[1]!)
    })
    bare.once('exit', (code) => reject(new Error(`bare server exited ${code}`)))
  })

  // The raw-driver floor: the same row through plain pg, one query at a time.
  const rawPg = await timeRawQuery(embedded ? await embeddedUrl(dataDir) : databaseUrl!)

  const scenarios = buildScenarios(prepared, etags).filter((scenario) => scenario.target === 'bare' || !only || only.has(scenario.name))
  const results: ScenarioResult[] = []
  const baselineRuns: number[] = []
  const runScenario = async (scenario: Scenario) => {
    const url = scenario.target === 'bare' ? bareUrl : appUrl
    const pid = scenario.target === 'bare' ? bare.pid! : serverPid
    if (!scenario.write && warmup > 0) await runLoad(url, scenario, warmup)
    let peak = 0
    const sampler = setInterval(() => void memoryOf(pid).then(({ rss }) => { peak = Math.max(peak, rss) }), 100)
    const result = await runLoad(url, scenario, duration)
    clearInterval(sampler)
    peak = Math.max(peak, (await memoryOf(pid)).rss)
    const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count]))
    const good = scenario.expected.reduce((sum, code) => sum + (statusCodes[String(code)] ?? 0), 0)
    const total = Object.values(statusCodes).reduce((sum, count) => sum + count, 0)
    const rps = total / result.duration
    if (scenario.target === 'bare') baselineRuns.push(rps)
    const row: ScenarioResult = {
      name: scenario.name,
      description: scenario.description,
      requestsPerSecond: Math.round(rps),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: Number(result.latency.average.toFixed(2)) },
      requests: total,
      errors: total - good + result.errors + result.timeouts,
      statusCodes,
      ratioToBaseline: null,
      peakRssMb: Math.round(peak),
    }
    console.log(`  ${row.name.padEnd(26)} ${String(row.requestsPerSecond).padStart(6)} req/s  p99 ${row.latencyMs.p99} ms  errors ${row.errors}`)
    return row
  }

  console.log('running scenarios')
  const [baseline, ...rest] = scenarios
  results.push(await runScenario(baseline!))
  for (const scenario of rest) results.push(await runScenario(scenario))
  // The baseline again at the end: the machine is shared, so the ceiling is the mean of both.
  const closing = await runScenario(baseline!)
  closing.name = 'baseline-bare-fastify (end)'
  results.push(closing)

  const ceiling = baselineRuns.reduce((sum, value) => sum + value, 0) / baselineRuns.length
  for (const row of results) row.ratioToBaseline = Number((row.requestsPerSecond / ceiling).toFixed(2))
  const serverMemory = await memoryOf(serverPid)

  await stopChild(bare)
  await stopChild(server)

  const byName = Object.fromEntries(results.map((row) => [row.name, row]))
  const targets = evaluateTargets(byName, serverMemory.hwm)
  const report = {
    date: new Date().toISOString(),
    label: args.label || undefined,
    database: embedded ? 'embedded PGlite' : 'PostgreSQL',
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    commit: gitCommit(),
    settings: { duration, warmup, connections, nodeFlags: nodeFlags.join(' '), serverEnv: { COMMENT_FLOOD_SECONDS: '0', COMMENT_RATE_LIMIT_PER_MINUTE: '10000', WRITE_RATE_LIMIT_PER_MINUTE: '100000', READ_RATE_LIMIT_PER_MINUTE: '1000000', TRUST_PROXY: 'true', LOG_LEVEL: 'warn', ...serverEnv } },
    data: prepared.counts,
    baselineRequestsPerSecond: Math.round(ceiling),
    rawPg,
    serverPeakRssMb: Math.round(serverMemory.hwm),
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
    const file = path.join(benchDir, 'results', `${stamp}${embedded ? '-embedded' : ''}${args.label ? `-${args.label}` : ''}.json`)
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

async function embeddedUrl(dataDir: string): Promise<string> {
  const lock = JSON.parse(await readFile(path.join(dataDir, 'acupoint-api.lock.json'), 'utf8')) as { url: string }
  return lock.url
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

function evaluateTargets(byName: Record<string, ScenarioResult>, peakRssMb: number) {
  const check = (what: string, measured: number | undefined, target: number, atMost = false) =>
    measured === undefined ? { what, measured: null, target, met: null }
      : { what, measured: Number(measured.toFixed(2)), target, met: atMost ? measured <= target : measured >= target }
  const first = byName['comments-first-page']
  const deep = byName['comments-deep-page']
  return [
    check('acupoint-by-code req/s ÷ baseline', byName['acupoint-by-code']?.ratioToBaseline ?? undefined, 0.5),
    check('article-detail req/s ÷ baseline', byName['article-detail']?.ratioToBaseline ?? undefined, 0.5),
    check('acupoint-by-code-304 req/s ÷ baseline', byName['acupoint-by-code-304']?.ratioToBaseline ?? undefined, 0.8),
    check('comments-first-page-304 req/s ÷ baseline', byName['comments-first-page-304']?.ratioToBaseline ?? undefined, 0.8),
    check('deep page p99 ÷ first page p99', first && deep ? deep.latencyMs.p99 / first.latencyMs.p99 : undefined, 1.3, true),
    check('comment-post req/s ÷ baseline', byName['comment-post']?.ratioToBaseline ?? undefined, 0.25),
    check('comment-post errors', byName['comment-post']?.errors, 0, true),
    check('server peak RSS (MB)', peakRssMb, 250, true),
  ]
}

function printTable(rows: ScenarioResult[], report: { baselineRequestsPerSecond: number; serverPeakRssMb: number; rawPg: Awaited<ReturnType<typeof timeRawQuery>>; targets: ReturnType<typeof evaluateTargets> }) {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'x base', 'RSS MB']
  const lines = rows.map((row) => [
    row.name, String(row.requestsPerSecond), String(row.latencyMs.p50), String(row.latencyMs.p99), String(row.latencyMs.max),
    String(row.errors), row.ratioToBaseline?.toFixed(2) ?? '', String(row.peakRssMb),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  console.log(`\n${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`)
  for (const line of lines) console.log(format(line))
  console.log(`\nbaseline (mean of both runs): ${report.baselineRequestsPerSecond} req/s; server peak RSS (VmHWM): ${report.serverPeakRssMb} MB`)
  console.log(`raw pg, ${report.rawPg.query} x${report.rawPg.queries}: mean ${report.rawPg.meanMs} ms, p50 ${report.rawPg.p50Ms} ms, p99 ${report.rawPg.p99Ms} ms`)
  console.log('\ntargets:')
  for (const target of report.targets) {
    const verdict = target.met === null ? 'not run' : target.met ? 'met' : 'MISSED'
    console.log(`  ${target.what.padEnd(42)} ${String(target.measured ?? '-').padStart(8)}  (target ${target.target})  ${verdict}`)
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error)
  process.exit(1)
})
