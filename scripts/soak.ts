/**
 * Soak test: starts the server in a child process on loopback, drives a bounded mixed workload at
 * it with autocannon from this process, and samples the server's RSS once a second.
 *
 *   npm run soak                       # 60 s
 *   npm run soak -- --seconds 300 --rate 200 --connections 8 --out soak.json
 *
 * With DATABASE_URL set, a fresh database is created on that server (and dropped afterwards);
 * otherwise the server runs its embedded PGlite in a temporary directory. Exits non-zero when any
 * request failed or memory kept growing.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { createScratchDatabase } from '../test/helpers/scratch-database.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '200' },
    connections: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
})
const seconds = Number(values.seconds)
const rate = Number(values.rate)
const connections = Number(values.connections)
if (!(seconds > 0 && rate > 0 && connections > 0)) throw new Error('--seconds, --rate and --connections must be positive numbers')

const SLUG = 'facial-acupuncture-six-points'
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb * 1024
}

const adminUrl = process.env.DATABASE_URL
let dropDatabase = async () => {}
const serverEnv: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  // The whole workload comes from one loopback address: per-IP defences would only measure themselves.
  COMMENT_FLOOD_SECONDS: '0',
  COMMENT_RATE_LIMIT_PER_MINUTE: '10000',
  WRITE_RATE_LIMIT_PER_MINUTE: '100000',
  READ_RATE_LIMIT_PER_MINUTE: '1000000',
}
let dataDir: string | undefined
if (adminUrl) {
  const scratch = await createScratchDatabase(adminUrl, 'acupoint_soak')
  Object.assign(serverEnv, { DATABASE_URL: scratch.url, MIGRATE_ON_START: 'true', SEED_ON_START: 'true' })
  dropDatabase = scratch.drop
} else {
  dataDir = await mkdtemp(path.join(tmpdir(), 'acupoint-soak-'))
  serverEnv.DATA_DIR = dataDir
}

const port = await freePort()
serverEnv.PORT = String(port)
const base = `http://127.0.0.1:${port}`
const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env: serverEnv, stdio: ['ignore', 'inherit', 'inherit'] })
let serverExited = false
server.on('exit', () => (serverExited = true))

async function cleanUp() {
  if (!serverExited) {
    server.kill('SIGTERM')
    await new Promise((resolve) => server.once('exit', resolve))
  }
  await dropDatabase()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
}

let ready = false
for (let attempt = 0; attempt < 240 && !serverExited && !ready; attempt++) {
  ready = await fetch(`${base}/ready`).then((response) => response.ok, () => false)
  if (!ready) await new Promise((resolve) => setTimeout(resolve, 500))
}
if (!ready) {
  await cleanUp()
  throw new Error('the server did not become ready')
}
console.log(`soak: ${seconds} s against ${base} (${adminUrl ? 'PostgreSQL' : 'embedded PGlite'}), ${connections} connections, ${rate} req/s`)

// The mix: mostly reads of the public API, and anonymous comment submissions (unique bodies).
const comment = (): string => {
  const id = randomBytes(6).toString('hex')
  return JSON.stringify({ authorName: `Soak ${id}`, authorEmail: `soak-${id}@example.org`, body: `Soak comment ${id}` })
}
const requests: autocannon.Request[] = [
  { method: 'GET', path: '/v1/acupoints?limit=20' },
  { method: 'GET', path: '/v1/acupoints/LI20' },
  { method: 'GET', path: '/v1/channels' },
  { method: 'GET', path: `/v1/articles/${SLUG}` },
  { method: 'GET', path: '/v1/acupoints?q=face&limit=10' },
  { method: 'GET', path: `/v1/articles/${SLUG}/comments` },
  { method: 'GET', path: '/v1/acupoints?channel=ST&limit=50' },
  {
    method: 'POST',
    path: `/v1/articles/${SLUG}/comments`,
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => ({ ...request, body: comment() }),
  },
]

const samples: Array<{ t: number; rss: number }> = []
const started = Date.now()
const sampler = setInterval(() => {
  if (serverExited) return
  rssBytes(server.pid!).then((rss) => samples.push({ t: (Date.now() - started) / 1000, rss }), () => {})
}, 1000)

const statusCounts: Record<string, number> = {}
const result = await new Promise<autocannon.Result>((resolve, reject) => {
  const instance = autocannon({ url: base, connections, overallRate: rate, duration: seconds, requests, timeout: 10 }, (error, done) =>
    error ? reject(error) : resolve(done),
  )
  instance.on('response', (_client: unknown, statusCode: number) => {
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1
  })
})
clearInterval(sampler)
const crashed = serverExited
await cleanUp()

// Memory: compare the first and last thirds after a warm-up, and fit a line through the samples.
const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10
const warm = samples.filter((sample) => sample.t >= Math.min(5, seconds / 5))
const third = Math.max(1, Math.floor(warm.length / 3))
const mean = (list: typeof samples) => list.reduce((sum, sample) => sum + sample.rss, 0) / Math.max(1, list.length)
const firstWindow = mean(warm.slice(0, third))
const lastWindow = mean(warm.slice(-third))
const n = warm.length
const meanT = warm.reduce((sum, sample) => sum + sample.t, 0) / Math.max(1, n)
const meanR = mean(warm)
const slope = n > 1
  ? warm.reduce((sum, sample) => sum + (sample.t - meanT) * (sample.rss - meanR), 0) / warm.reduce((sum, sample) => sum + (sample.t - meanT) ** 2, 0)
  : 0
const growth = lastWindow - firstWindow
// Unbounded growth: the last window is well above the first (a cache warming up stays under this).
const memoryBounded = growth <= Math.max(64 * 1_048_576, firstWindow * 0.5)

const errors = result.errors + result.timeouts + result.non2xx
const latency = result.latency
const summary = {
  seconds,
  database: adminUrl ? 'postgresql' : 'pglite',
  connections,
  targetRate: rate,
  requests: result.requests.total,
  throughput: result.requests.average,
  statusCounts,
  errors: { total: errors, connectionErrors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx },
  latencyMs: { p50: latency.p50, p90: latency.p90, p97_5: latency.p97_5, p99: latency.p99, p99_9: latency.p99_9, max: latency.max, mean: latency.average },
  rssMb: {
    timeline: samples.filter((_, index) => index % Math.max(1, Math.floor(samples.length / 12)) === 0).map((sample) => [Math.round(sample.t), mb(sample.rss)]),
    firstWindow: mb(firstWindow),
    lastWindow: mb(lastWindow),
    growth: mb(growth),
    slopeMbPerMinute: Math.round((slope * 60) / 1_048_576 * 100) / 100,
    peak: mb(Math.max(...samples.map((sample) => sample.rss))),
  },
  serverCrashed: crashed,
  memoryBounded,
}
console.log(JSON.stringify(summary, null, 2))
if (values.out) await writeFile(values.out, `${JSON.stringify(summary, null, 2)}\n`)
const ok = errors === 0 && !crashed && memoryBounded && result.requests.total > 0
console.log(ok ? 'soak: PASS' : `soak: FAIL (${errors} errors${crashed ? ', server crashed' : ''}${memoryBounded ? '' : ', memory kept growing'})`)
process.exit(ok ? 0 : 1)
