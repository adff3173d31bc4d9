/**
 * Issue 16: many instances on PostgreSQL's own machinery, proved on one machine.
 *
 *   scripts/scale/topology.sh up && npm run scale-check && scripts/scale/topology.sh down
 *
 * Needs the topology that scripts/scale/topology.sh builds: a streaming replica of the primary
 * (127.0.0.1:5432) on port 5433, PgBouncer in transaction pooling mode on port 6433, and Redis on
 * 6379. Creates a fresh database on the primary, then starts three compiled API instances as
 * `npm run serve` starts them:
 *
 *   A  on the primary directly;
 *   B  through PgBouncer (DATABASE_URL), with DATABASE_DIRECT_URL for LISTEN and migrations, and
 *      DB_PREPARED_STATEMENTS=false (Debian's PgBouncer 1.18 cannot carry named statements);
 *   C  on the primary, with the replica in DATABASE_REPLICA_URLS and its cache off, so that every
 *      public read it answers is a database read the replica router places.
 *
 * All three share Redis for their rate-limit counters. Checks, each with a source address of its own:
 *   1. a comment submitted to A and approved on B is public on C at once (page and 304);
 *   2. the per-IP read limit is one budget across the three;
 *   3. two moderators on A and B racing on one comment: exactly one wins;
 *   4. C's public reads are served by the replica (its transaction count grows), and while the
 *      replica's replay is paused, a change made on A is still what C answers (the read goes to
 *      the primary) and C's /ready says the replica is catching up;
 *   5. with the replica stopped, every public read on C answers, from the primary, and /ready is
 *      200 with the replica out of rotation; started again, it comes back into rotation;
 *   6. no request fails (no 5xx, no connection error) during any of this.
 * Exits non-zero on any failure.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'

const { values: args } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    primary: { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432' },
    replica: { type: 'string', default: 'postgresql://postgres@127.0.0.1:5433' },
    pgbouncer: { type: 'string', default: 'postgresql://postgres@127.0.0.1:6433' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    topology: { type: 'string', default: 'scripts/scale/topology.sh' },
  },
})

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const SLUG = 'facial-acupuncture-six-points'
const READ_LIMIT = 40
const database = `acupoint_scale_${randomBytes(4).toString('hex')}`
const urlOf = (base: string) => `${base}/${database}`
const failures: string[] = []
const passes: string[] = []
const check = (ok: boolean, what: string) => {
  ;(ok ? passes : failures).push(what)
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - ${what}\n`)
}

async function sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

async function serveFlags(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const match = /^node\s+(.*?)\s*dist\/server\.js$/.exec(manifest.scripts.serve ?? '')
  if (!match) throw new Error('package.json\'s serve script is not `node [flags] dist/server.js`')
  return match[1]!.split(/\s+/).filter(Boolean)
}

// ─── HTTP, every answer tallied ──────────────────────────────────────────────────────────────────

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}
const tally = { requests: 0, failed: [] as string[] }

function request(port: number, method: string, urlPath: string, options: { from?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  tally.requests += 1
  return new Promise((resolve) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, localAddress: options.from ?? '127.0.0.1', agent: false, timeout: 30_000,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...options.headers },
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        if (res.statusCode! >= 500) tally.failed.push(`${method} ${urlPath} on :${port} → ${res.statusCode} ${body.slice(0, 200)}`)
        resolve({ status: res.statusCode!, headers: res.headers, body })
      })
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) => {
      tally.failed.push(`${method} ${urlPath} on :${port} → ${error.message}`)
      resolve({ status: 0, headers: {}, body: error.message })
    })
    req.end(payload)
  })
}
const json = <T = Record<string, unknown>>(answer: Answer) => JSON.parse(answer.body) as T

// ─── The instances ───────────────────────────────────────────────────────────────────────────────

interface Instance {
  name: string
  port: number
  process: ChildProcess
  log: string
}

async function startInstance(name: string, env: Record<string, string>, flags: string[]): Promise<Instance> {
  const port = await freePort()
  const child = spawn(process.execPath, [...flags, 'dist/server.js'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
      REDIS_URL: args.redis!, READ_RATE_LIMIT_PER_MINUTE: String(READ_LIMIT), ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const instance: Instance = { name, port, process: child, log: '' }
  const keep = (chunk: Buffer) => (instance.log = (instance.log + String(chunk)).slice(-8_000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`instance ${name} exited at start:\n${instance.log}`)
    const ready = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/ready', agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      }).on('error', () => resolve(0))
    })
    if (ready === 200) return instance
    if (waited > 60_000) throw new Error(`instance ${name} was not ready within 60 s:\n${instance.log}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function stopInstance(instance: Instance) {
  if (instance.process.exitCode !== null) return
  instance.process.kill('SIGTERM')
  await new Promise((resolve) => instance.process.once('exit', resolve))
}

/** Reads until `accept` holds (at most `withinMs`); returns how long it took, or undefined. */
async function until(read: () => Promise<Answer>, accept: (answer: Answer) => boolean, withinMs = 2_000, intervalMs = 5): Promise<{ ms: number; reads: number } | undefined> {
  const started = performance.now()
  for (let reads = 1; ; reads++) {
    if (accept(await read())) return { ms: performance.now() - started, reads }
    if (performance.now() - started > withinMs) return undefined
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

// ─── The run ─────────────────────────────────────────────────────────────────────────────────────

const topology = (action: string) => execFileSync(path.join(root, args.topology!), [action], { stdio: 'inherit' })
/**
 * Proves which database answers C's reads: with the replica's replay paused, a change is made on
 * the primary with triggers off (session_replication_role = replica), so no instance hears of it.
 * The replica keeps the old value; a read that returns it came from the replica.
 */
async function divergeSilently(code: string): Promise<{ primary: string; replica: string | null }> {
  await sql(`${args.replica}/postgres`, 'SELECT pg_wal_replay_pause()')
  const [old] = await sql<{ note: string | null }>(urlOf(args.replica!), 'SELECT location_note AS note FROM acupoints WHERE code = $1', [code])
  const marker = `Silent change ${randomBytes(3).toString('hex')}`
  const client = new pg.Client({ connectionString: urlOf(args.primary!) })
  await client.connect()
  try {
    await client.query('SET session_replication_role = replica')
    await client.query('UPDATE acupoints SET location_note = $1 WHERE code = $2', [marker, code])
  } finally {
    await client.end()
  }
  return { primary: marker, replica: old?.note ?? null }
}
const resumeReplay = () => sql(`${args.replica}/postgres`, 'SELECT pg_wal_replay_resume()')
const noteOf = (answer: Answer) => (answer.status === 200 ? json<{ locationNote: string | null }>(answer).locationNote : `(${answer.status})`)

if (!args['no-build']) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
const flags = await serveFlags()
await sql(`${args.primary}/postgres`, `CREATE DATABASE "${database}"`)
const instances: Instance[] = []
try {
  // A prepares the database (migrations through the direct URL), then B and C start on it.
  const a = await startInstance('A (primary)', { DATABASE_URL: urlOf(args.primary!), MIGRATE_ON_START: 'true', SEED_ON_START: 'true' }, flags)
  instances.push(a)
  const b = await startInstance('B (PgBouncer)', { DATABASE_URL: urlOf(args.pgbouncer!), DATABASE_DIRECT_URL: urlOf(args.primary!), DB_PREPARED_STATEMENTS: 'false' }, flags)
  instances.push(b)
  const c = await startInstance('C (replica)', {
    DATABASE_URL: urlOf(args.primary!), DATABASE_REPLICA_URLS: urlOf(args.replica!), REFERENCE_CACHE_SECONDS: '0',
  }, flags)
  instances.push(c)

  const token = (role: string) => {
    const created = spawnSync(process.execPath, ['dist/cli/staff-create.js', '--name', `Scale ${role} ${randomBytes(3).toString('hex')}`, '--role', role], {
      cwd: root, env: { PATH: process.env.PATH ?? '', DATABASE_URL: urlOf(args.primary!) }, encoding: 'utf8',
    })
    const found = /^(acp_\S+)$/m.exec(created.stdout)?.[1]
    if (!found) throw new Error(`staff:create failed: ${created.stderr}`)
    return { authorization: `Bearer ${found}` }
  }
  const moderatorA = token('moderator')
  const moderatorB = token('moderator')
  const editor = token('editor')
  let from = 10
  const nextAddress = () => `127.0.0.${from++}`
  // Readiness polls rotate over addresses of their own, so that polling never meets the read limit.
  let poll = 0
  const pollAddress = () => `127.0.0.${200 + (poll++ % 50)}`
  const replicaState = async () => json<{ replicas: Array<{ state: string; lagBytes: number | null }> }>(await request(c.port, 'GET', '/ready', { from: pollAddress() })).replicas
  const inRotation = () => until(() => request(c.port, 'GET', '/ready', { from: pollAddress() }),
    (answer) => answer.status === 200 && json<{ replicas: Array<{ state: string }> }>(answer).replicas[0]?.state === 'in_rotation', 15_000, 100)

  const submit = async (instance: Instance, text: string) => {
    const address = nextAddress()
    const id = randomBytes(4).toString('hex')
    const answer = await request(instance.port, 'POST', `/v1/articles/${SLUG}/comments`, {
      from: address, body: { authorName: `Scale ${id}`, authorEmail: `scale-${id}@example.org`, body: `${text} (${id})` },
    })
    if (answer.status !== 202) throw new Error(`submission on ${instance.name}: ${answer.status} ${answer.body}`)
    return json<{ id: string }>(answer).id
  }
  const moderationEtag = async (instance: Instance, id: string, headers: Record<string, string>) => {
    const answer = await request(instance.port, 'GET', `/v1/moderation/comments/${id}`, { headers, from: '127.0.0.2' })
    if (answer.status !== 200) throw new Error(`moderation view on ${instance.name}: ${answer.status} ${answer.body}`)
    return String(answer.headers.etag)
  }

  // 1. Submitted on A, approved on B, public on C at once.
  {
    const page = `/v1/articles/${SLUG}/comments?limit=100`
    const reader = nextAddress()
    const before = await request(c.port, 'GET', page, { from: reader })
    const id = await submit(a, 'Submitted to instance A')
    const etag = await moderationEtag(b, id, moderatorB)
    const decided = await request(b.port, 'PATCH', `/v1/comments/${id}`, { from: '127.0.0.2', headers: { ...moderatorB, 'if-match': etag }, body: { status: 'approved' } })
    check(decided.status === 200, `a comment submitted on A is approved on B through PgBouncer (${decided.status})`)
    const seen = await until(() => request(c.port, 'GET', page, { from: reader }), (answer) => answer.status === 200 && answer.body.includes(id))
    check(seen !== undefined && seen.reads === 1, `it is public on C on the very next read (${seen ? `${seen.reads} read(s), ${seen.ms.toFixed(1)} ms` : 'not within 2 s'})`)
    const revalidated = await request(c.port, 'GET', page, { from: reader, headers: { 'if-none-match': String(before.headers.etag) } })
    check(revalidated.status === 200 && revalidated.body.includes(id), `C's old ETag gets the new page, not a 304 (${revalidated.status})`)
  }

  // 2. One read budget per address across the three instances (Redis).
  {
    const address = nextAddress()
    const answers: Answer[] = []
    for (let i = 0; i < READ_LIMIT + 15; i++) answers.push(await request([a, b, c][i % 3]!.port, 'GET', '/v1/channels', { from: address }))
    const ok = answers.filter((answer) => answer.status === 200).length
    const limited = answers.filter((answer) => answer.status === 429).length
    check(ok === READ_LIMIT && limited === 15, `the per-IP read limit is shared: ${ok} × 200 and ${limited} × 429 for ${READ_LIMIT + 15} reads spread over A, B and C (limit ${READ_LIMIT})`)
  }

  // 3. Two moderators on A and B race on one comment.
  {
    const id = await submit(c, 'Raced over by two moderators')
    const etag = await moderationEtag(a, id, moderatorA)
    const [onA, onB] = await Promise.all([
      request(a.port, 'PATCH', `/v1/comments/${id}`, { from: '127.0.0.3', headers: { ...moderatorA, 'if-match': etag }, body: { status: 'approved' } }),
      request(b.port, 'PATCH', `/v1/comments/${id}`, { from: '127.0.0.4', headers: { ...moderatorB, 'if-match': etag }, body: { status: 'rejected' } }),
    ])
    const statuses = [onA.status, onB.status].sort()
    check(statuses[0] === 200 && statuses[1] === 412, `two moderators on A and B with one ETag: exactly one wins (${onA.status} on A, ${onB.status} on B)`)
    const [row] = await sql<{ status: string; decisions: string }>(urlOf(args.primary!), `SELECT c.status::text, (SELECT count(*) FROM moderation_events e WHERE e.comment_id = c.id AND e.from_status IS NOT NULL) AS decisions FROM comments c WHERE c.id = $1`, [id])
    check(row?.decisions === '1' && row.status === (onA.status === 200 ? 'approved' : 'rejected'), `one decision is stored, the winner's (${row?.status}, ${row?.decisions} decision(s))`)
  }

  // 4. C reads from the replica; a paused replica is not allowed to serve older data.
  {
    const reader = nextAddress()
    // Caught up with every change so far, so that no read below needs the primary or a probe.
    check((await inRotation()) !== undefined, 'C has the replica in rotation')
    const silent = await divergeSilently('LI20')
    const notes = new Set<string | null>()
    for (let i = 0; i < 5; i++) notes.add(noteOf(await request(c.port, 'GET', '/v1/acupoints/LI20', { from: reader })))
    check(notes.size === 1 && notes.has(silent.replica) && !notes.has(silent.primary),
      `C's public reads are answered by the replica: 5 reads show the replica's value, not the primary's unannounced one (${JSON.stringify([...notes].map((note) => note?.slice(0, 40)))})`)

    // Replay is still paused. An announced change must never be hidden by it.
    const note = `Scale check ${randomBytes(3).toString('hex')}`
    const current = await request(a.port, 'GET', '/v1/acupoints/LI20', { from: '127.0.0.5', headers: editor })
    const patched = await request(a.port, 'PATCH', '/v1/acupoints/LI20', {
      from: '127.0.0.5', headers: { ...editor, 'if-match': String(current.headers.etag) }, body: { locationNote: note },
    })
    check(patched.status === 200, `an editor changes LI20 on A while the replica's replay is paused (${patched.status})`)
    const seen = await until(() => request(c.port, 'GET', '/v1/acupoints/LI20', { from: reader }), (answer) => answer.body.includes(note))
    check(seen !== undefined && seen.reads === 1, `C shows the change on its next read, from the primary (${seen ? `${seen.reads} read(s), ${seen.ms.toFixed(1)} ms` : 'not within 2 s'})`)
    const onReplica = await sql<{ note: string | null }>(urlOf(args.replica!), 'SELECT location_note AS note FROM acupoints WHERE code = $1', ['LI20'])
    check(onReplica[0]?.note === silent.replica, 'the paused replica itself still has the old value (so the read above did not come from it)')
    const replicas = await replicaState()
    check(replicas[0]?.state === 'catching_up', `C's /ready: the replica is catching up (${JSON.stringify(replicas)})`)
    await resumeReplay()
    const back = await inRotation()
    check(back !== undefined, `replay resumed: back in rotation (${back ? `${back.ms.toFixed(0)} ms` : 'not within 15 s'})`)
  }

  // 5. The replica stops: C keeps answering from the primary, and says so.
  {
    const reader = nextAddress()
    topology('stop-replica')
    const reads = await Promise.all(['/v1/acupoints/LI20', '/v1/acupoints?region=face', '/v1/channels/LI', `/v1/articles/${SLUG}`, `/v1/articles/${SLUG}/comments`, '/v1/sources']
      .map((url) => request(c.port, 'GET', url, { from: reader })))
    check(reads.every((answer) => answer.status === 200), `with the replica down, C's public reads answer 200 (${reads.map((answer) => answer.status).join(', ')})`)
    const ready = await request(c.port, 'GET', '/ready', { from: pollAddress() })
    const replicas = json<{ replicas: Array<{ state: string }> }>(ready).replicas
    check(ready.status === 200 && replicas[0]?.state === 'out_of_rotation', `C's /ready is 200 and lists the replica out of rotation (${ready.status}, ${JSON.stringify(replicas)})`)
    topology('start-replica')
    const back = await inRotation()
    check(back !== undefined, `started again, the replica is back in rotation (${back ? `${back.ms.toFixed(0)} ms` : 'not within 15 s'})`)
    const silent = await divergeSilently('ST36')
    const answer = noteOf(await request(c.port, 'GET', '/v1/acupoints/ST36', { from: reader }))
    await resumeReplay()
    check(answer === silent.replica, `and serves C's reads again (ST36 shows the replica's ${JSON.stringify(answer?.slice(0, 40))})`)
  }

  // 6. Nothing failed.
  check(tally.failed.length === 0, `no request failed: ${tally.requests} requests, ${tally.failed.length} with a 5xx or a connection error${tally.failed.length ? `:\n  ${tally.failed.slice(0, 10).join('\n  ')}` : ''}`)
} catch (error) {
  failures.push(`the run stopped: ${(error as Error).stack ?? String(error)}`)
  for (const instance of instances) process.stdout.write(`--- ${instance.name} log (tail):\n${instance.log.slice(-3_000)}\n`)
} finally {
  await Promise.all(instances.map(stopInstance))
  await sql(`${args.primary}/postgres`, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => {})
}
process.stdout.write(`\nscale check: ${passes.length} passed, ${failures.length} failed\n`)
for (const failure of failures) process.stdout.write(`FAILED: ${failure}\n`)
process.exit(failures.length === 0 ? 0 : 1)
