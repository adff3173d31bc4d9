/**
 * Stress test against a real listening server, built and started as `npm run serve` starts it
 * (same Node flags), with the default configuration: the attack run of issue 11, repeated.
 *
 *   npm run stress                                   # both modes, full size
 *   npm run stress -- --mode burst --rounds 1        # bursts of submissions and decisions only
 *   npm run stress -- --mode key-flood --requests 5000 --max-rss-mb 320
 *
 * - `burst`: each round, `--addresses` × `--per-address` anonymous comment submissions at once
 *   (default 40 × 10 = 400, the scenario), each address its own 127.0.0.x source, then
 *   two moderators from two addresses deciding every accepted comment at once with the same ETag.
 *   Checks: no 5xx; every 202 is stored (queried in the database afterwards); every refusal is a
 *   429 or 503 with Retry-After; of two decisions made on one ETag, at most one wins (the other 412).
 * - `key-flood`: `--requests` anonymous list requests, each with a distinct client-chosen key
 *   (forged but well-formed cursors, free-text `q`, filters), spread over `--sources` source
 *   addresses (so the per-address read limit does not simply hide the cache's growth), while the
 *   server's RSS is sampled. Checks: the server stays alive, nothing is a 5xx, and peak RSS stays
 *   within `--max-rss-mb` (the bound README.md documents).
 *
 * With DATABASE_URL set, a fresh database is created on that server (and dropped afterwards);
 * otherwise the server runs its embedded PGlite in a temporary directory. Exits non-zero on any
 * violation.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createScratchDatabase } from '../test/helpers/scratch-database.js'

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: '2' },
    addresses: { type: 'string', default: '40' },
    'per-address': { type: 'string', default: '10' },
    requests: { type: 'string', default: '5000' },
    sources: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    'max-rss-mb': { type: 'string', default: '320' },
    'no-build': { type: 'boolean', default: false },
    // For measuring how much heap the server needs: run it with this --max-old-space-size instead of serve's.
    'old-space-mb': { type: 'string' },
  },
})
const mode = args.mode!
if (!['all', 'burst', 'key-flood'].includes(mode)) throw new Error('--mode must be all, burst or key-flood')
const numbers = Object.fromEntries(['rounds', 'addresses', 'per-address', 'requests', 'sources', 'concurrency', 'max-rss-mb'].map((name) => {
  const value = Number(args[name as keyof typeof args])
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`)
  return [name, value]
})) as Record<'rounds' | 'addresses' | 'per-address' | 'requests' | 'sources' | 'concurrency' | 'max-rss-mb', number>
if (numbers.addresses > 250 || numbers.sources > 60_000) throw new Error('--addresses at most 250, --sources at most 60000')

const SLUG = 'facial-acupuncture-six-points'
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const problems: string[] = []
const fail = (message: string) => {
  if (problems.length < 50) problems.push(message)
  else if (problems.length === 50) problems.push('… (more)')
}

// ─── The server ─────────────────────────────────────────────────────────────────────────────────

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** The flags between `node` and `dist/server.js` in package.json's serve script. */
async function serveFlags(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const match = /^node\s+(.*?)\s*dist\/server\.js$/.exec(manifest.scripts.serve ?? '')
  if (!match) throw new Error('package.json\'s serve script is not `node [flags] dist/server.js`')
  return match[1]!.split(/\s+/).filter(Boolean)
}

if (!args['no-build']) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
const flags = (await serveFlags()).map((flag) => (args['old-space-mb'] && flag.startsWith('--max-old-space-size=') ? `--max-old-space-size=${Number(args['old-space-mb'])}` : flag))
const adminUrl = process.env.DATABASE_URL
let dropDatabase = async () => {}
let databaseUrl: string | undefined
// The defaults, deliberately: only where to listen, the database, and quieter logs.
const serverEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }
let dataDir: string | undefined
if (adminUrl) {
  const scratch = await createScratchDatabase(adminUrl, 'acupoint_stress')
  databaseUrl = scratch.url
  Object.assign(serverEnv, { DATABASE_URL: scratch.url, MIGRATE_ON_START: 'true', SEED_ON_START: 'true' })
  dropDatabase = scratch.drop
} else {
  dataDir = await mkdtemp(path.join(tmpdir(), 'acupoint-stress-'))
  serverEnv.DATA_DIR = dataDir
}
const port = await freePort()
serverEnv.PORT = String(port)
const server = spawn(process.execPath, [...flags, 'dist/server.js'], { cwd: root, env: serverEnv, stdio: ['ignore', 'inherit', 'pipe'] })
let serverStderr = ''
server.stderr!.on('data', (chunk) => {
  serverStderr = (serverStderr + String(chunk)).slice(-4000)
  process.stderr.write(chunk)
})
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

// ─── HTTP from a chosen source address ──────────────────────────────────────────────────────────

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

// One connection per request: a keep-alive agent would not let each request pick its source address.
function request(method: string, urlPath: string, options: { from?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, localAddress: options.from ?? '127.0.0.1', agent: false,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...options.headers },
      timeout: 60_000,
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', () => resolve({ status: 0, headers: {}, body: '' }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error) => resolve({ status: 0, headers: {}, body: String(error) }))
    if (payload) req.write(payload)
    req.end()
  })
}

const address = (n: number) => `127.0.${Math.floor(n / 250) + 10}.${(n % 250) + 2}`

function tally(counts: Record<string, number>, answer: Answer) {
  counts[answer.status] = (counts[answer.status] ?? 0) + 1
}

function checkRefusal(what: string, answer: Answer, allowed: number[]) {
  if (answer.status >= 500 && answer.status !== 503) fail(`${what}: ${answer.status} ${answer.body.slice(0, 200)}`)
  else if (answer.status === 0) fail(`${what}: no answer (${answer.body.slice(0, 100)})`)
  else if (!allowed.includes(answer.status)) fail(`${what}: unexpected ${answer.status} ${answer.body.slice(0, 200)}`)
  if ((answer.status === 429 || answer.status === 503) && !(Number(answer.headers['retry-after']) > 0)) {
    fail(`${what}: ${answer.status} without Retry-After`)
  }
}

/** Runs `tasks` with at most `limit` in flight. */
async function pooled<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const index = next++
      results[index] = await tasks[index]!()
    }
  }))
  return results
}

// ─── Start ──────────────────────────────────────────────────────────────────────────────────────

let ready = false
// Up to 5 minutes: the embedded database migrates and seeds itself first, slowly on a loaded machine.
for (let attempt = 0; attempt < 600 && !serverExited && !ready; attempt++) {
  ready = (await request('GET', '/ready')).status === 200
  if (!ready) await new Promise((resolve) => setTimeout(resolve, 500))
}
if (!ready) {
  await cleanUp()
  throw new Error(`the server did not become ready\n${serverStderr}`)
}
const kind = adminUrl ? 'PostgreSQL' : 'embedded PGlite'
console.log(`stress: ${mode} against http://127.0.0.1:${port} (${kind}; node ${flags.join(' ')} dist/server.js, default settings)`)

/** The database the server uses, for checking what it stored: the scratch database, or the embedded one through the server's socket. */
async function storedIds(ids: string[]): Promise<Set<string>> {
  let url = databaseUrl
  if (!url) {
    const locks = (await readdir(dataDir!)).filter((name) => /^acupoint-api\.lock\.\d+\.json$/.test(name)).sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))
    url = (JSON.parse(await readFile(path.join(dataDir!, locks[0]!), 'utf8')) as { url: string }).url
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ id: string }>('SELECT id::text AS id FROM comments WHERE id = ANY($1::uuid[])', [ids])
    return new Set(rows.map((row) => row.id))
  } finally {
    await client.end()
  }
}

const summary: Record<string, unknown> = { database: kind, nodeFlags: flags }

// ─── Burst: submissions, then concurrent decisions ──────────────────────────────────────────────

if (mode === 'all' || mode === 'burst') {
  const created = spawnSync(process.execPath, ['dist/cli/staff-create.js', '--name', 'Stress moderator', '--role', 'moderator'], {
    cwd: root, env: { ...serverEnv, PORT: '0' }, encoding: 'utf8',
  })
  const token = /^(acp_\S+)$/m.exec(created.stdout)?.[1]
  if (!token) throw new Error(`staff:create failed: ${created.stderr}`)
  const staff = { authorization: `Bearer ${token}` }
  const rounds: unknown[] = []
  for (let round = 0; round < numbers.rounds; round++) {
    // New addresses each round: flood control (15 s) and the rate limits count per address.
    const base = round * numbers.addresses
    const submissions = Array.from({ length: numbers.addresses }, (_, a) => Array.from({ length: numbers['per-address'] }, () => {
      const id = randomBytes(6).toString('hex')
      return { from: address(base + a), body: { authorName: `Stress ${id}`, authorEmail: `stress-${id}@example.org`, body: `Stress comment ${id}` } }
    })).flat()
    const started = Date.now()
    const answers = await Promise.all(submissions.map(({ from, body }) => request('POST', `/v1/articles/${SLUG}/comments`, { from, body })))
    const submitCounts: Record<string, number> = {}
    const accepted: string[] = []
    answers.forEach((answer, index) => {
      tally(submitCounts, answer)
      checkRefusal(`submission from ${submissions[index]!.from}`, answer, [202, 429, 503])
      if (answer.status === 202) accepted.push((JSON.parse(answer.body) as { id: string }).id)
    })
    const submitMs = Date.now() - started
    const stored = await storedIds(accepted)
    const lost = accepted.filter((id) => !stored.has(id))
    if (lost.length > 0) fail(`round ${round + 1}: ${lost.length} comment(s) answered 202 but not stored: ${lost.slice(0, 3).join(', ')}`)

    // Two moderators, from two addresses, decide every accepted comment at once on the same ETag.
    const views = await pooled(accepted.map((id) => () => request('GET', `/v1/moderation/comments/${id}`, { headers: staff, from: address(9_000 + round) })), 8)
    const decisions = await Promise.all(accepted.flatMap((id, index) => {
      const etag = String(views[index]!.headers.etag ?? '"missing"')
      return (['approved', 'rejected'] as const).map((status, moderator) => request('PATCH', `/v1/comments/${id}`, {
        from: address(9_100 + round * 2 + moderator), headers: { ...staff, 'if-match': etag }, body: { status },
      }).then((answer) => ({ id, answer })))
    }))
    const decisionCounts: Record<string, number> = {}
    const winners = new Map<string, number>()
    for (const { id, answer } of decisions) {
      tally(decisionCounts, answer)
      checkRefusal(`decision on ${id}`, answer, [200, 412, 429, 503])
      if (answer.status === 200) winners.set(id, (winners.get(id) ?? 0) + 1)
    }
    const doubleWins = [...winners.values()].filter((n) => n > 1).length
    if (doubleWins > 0) fail(`round ${round + 1}: ${doubleWins} comment(s) where both decisions on one ETag won`)
    const result = { round: round + 1, submissions: submissions.length, submitStatuses: submitCounts, submitMs, accepted: accepted.length, stored: stored.size, decisions: decisions.length, decisionStatuses: decisionCounts }
    rounds.push(result)
    console.log(JSON.stringify(result))
  }
  summary.burst = rounds
}

// ─── Key flood: thousands of distinct client-chosen keys, with RSS sampled ──────────────────────

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Math.round((Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024) * 10) / 10
}

if (mode === 'all' || mode === 'key-flood') {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const word = () => randomBytes(4).toString('hex')
  const keyed = (n: number): string => {
    switch (n % 8) {
      // The attack: full pages behind forged but well-formed cursors.
      case 0: return `/v1/acupoints?limit=100&cursor=${cursor({ k: n })}`
      case 1: return `/v1/acupoints?limit=100&q=${word()}`
      case 2: return `/v1/acupoints?limit=${(n % 100) + 1}&organ=${word()}&effect=${word()}`
      case 3: return `/v1/acupoints?limit=100&channel=${String.fromCharCode(65 + (n % 26), 65 + (Math.floor(n / 26) % 26))}&cursor=${cursor({ k: n % 5000 })}`
      case 4: return `/v1/articles?limit=100&cursor=${cursor({ p: new Date(Date.UTC(2020, 0, 1) + n * 60_000).toISOString(), id: randomUUID() })}`
      case 5: return `/v1/articles/${SLUG}/comments?limit=100&cursor=${cursor({ t: new Date(Date.UTC(2020, 0, 1) + n * 60_000).toISOString(), id: randomUUID() })}`
      case 6: return `/v1/sources?limit=100&cursor=${cursor({ id: randomUUID() })}`
      default: return `/v1/acupoints?limit=100&region=face&cursor=${cursor({ k: n })}`
    }
  }
  const baseline = await rssMb(server.pid!)
  const samples: number[] = [baseline]
  const sampler = setInterval(() => {
    if (!serverExited) rssMb(server.pid!).then((mb) => samples.push(mb), () => {})
  }, 250)
  const counts: Record<string, number> = {}
  const started = Date.now()
  await pooled(Array.from({ length: numbers.requests }, (_, n) => async () => {
    const answer = await request('GET', keyed(n), { from: address(20_000 + (n % numbers.sources)) })
    tally(counts, answer)
    // A 503 with Retry-After (load shed, database busy) is a proper refusal; anything else must be served.
    if (answer.status === 503) checkRefusal(`GET ${keyed(n).slice(0, 80)}`, answer, [503])
    else if (answer.status !== 200) fail(`GET ${keyed(n).slice(0, 80)}: ${answer.status} ${answer.body.slice(0, 150)}`)
  }), numbers.concurrency)
  clearInterval(sampler)
  const after = await request('GET', '/health')
  const alive = !serverExited && after.status === 200
  if (!alive) fail(`the server did not survive the key flood\n${serverStderr}`)
  // Most of the flood must have been served, or it did not test the cache.
  if ((counts[200] ?? 0) < numbers.requests * 0.9) fail(`only ${counts[200] ?? 0} of ${numbers.requests} flood requests were served`)
  const peak = Math.max(...samples)
  if (peak > numbers['max-rss-mb']) fail(`peak RSS ${peak} MB is over the bound of ${numbers['max-rss-mb']} MB`)
  const result = {
    requests: numbers.requests, sources: numbers.sources, concurrency: numbers.concurrency, seconds: Math.round((Date.now() - started) / 100) / 10,
    statuses: counts, alive, rssMb: { before: baseline, peak, last: samples.at(-1), bound: numbers['max-rss-mb'] },
  }
  console.log(JSON.stringify(result))
  summary.keyFlood = result
}

await cleanUp()
console.log(JSON.stringify(summary, null, 2))
if (problems.length > 0) {
  console.log(`stress: FAIL\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log('stress: PASS')
