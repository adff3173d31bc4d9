import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
// Children run with this process's loader flags (tap's TypeScript loader), so their coverage
// merges with the tests' own instead of clashing with a second transpiler's source maps.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildTestApp } from './helpers/build-test-app.js'

interface RunningServer {
  child: ChildProcess
  url: string
  output: () => string
  stop(): Promise<number | null>
}

// The real entry point, as `npm start` runs it, on an embedded database in a temporary DATA_DIR.
async function startServer(dataDir: string): Promise<RunningServer> {
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    // Keep the runner's variables (coverage tracking rides on them); an empty value means unset.
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: the child compiles src/ through tap's TypeScript loader first, slow on a loaded 2-core machine.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 180_000)
    child.stdout!.on('data', () => {
      const match = /acupoint-api is ready at (http:\/\/[\d.:]+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', () => reject(new Error(`server exited:\n${output}`)))
  })
  return {
    child,
    url,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code))
        child.kill('SIGTERM')
      }),
  }
}

t.test('the server starts on the embedded database, keeps data across a restart and shuts down cleanly', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'acupoint-data-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))

  const first = await startServer(dataDir)
  t.match(first.output(), /using embedded PostgreSQL \(PGlite\) in/, 'the log says which database is in use')
  t.match(first.output(), /applied \d+ migration\(s\)/)
  for (const route of ['/health', '/ready', '/docs/', '/openapi.json']) {
    t.equal((await fetch(`${first.url}${route}`)).status, 200, `${route} answers`)
  }

  // A command run while the server holds the data directory goes through the server's socket.
  const created = spawnSync(process.execPath, [...process.execArgv, 'src/cli/staff-create.ts', '--name', 'Persisted Admin', '--role', 'admin'], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir },
    encoding: 'utf8',
  })
  t.equal(created.status, 0, created.stderr)
  const token = /^(acp_\S+)$/m.exec(created.stdout)?.[1]
  t.ok(token, 'staff:create prints the token')
  const me = await fetch(`${first.url}/v1/staff/me`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(me.status, 200)

  t.equal(await first.stop(), 0, 'SIGTERM exits with status 0')
  t.match(first.output(), /shutting down/)
  const lockFiles = (await readdir(dataDir)).filter((name) => name.startsWith('acupoint-api.lock.'))
  t.equal(lockFiles.length, 1, 'one lock file')
  t.equal(JSON.parse(await readFile(path.join(dataDir, lockFiles[0]!), 'utf8')).released, true, 'the data directory is released')

  const second = await startServer(dataDir)
  t.match(second.output(), /database schema is up to date/, 'the restart applies nothing new')
  const again = await fetch(`${second.url}/v1/staff/me`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(again.status, 200, 'the staff member written before the restart is still there')
  t.equal(((await again.json()) as { name: string }).name, 'Persisted Admin')
  t.equal(await second.stop(), 0)
})

t.test('closing the app lets in-flight requests finish', async (t) => {
  let release: () => void = () => {}
  const { app, proxy } = await buildTestApp(t, {}, {
    seed: false,
    throughProxy: true,
    beforeReady: (app) =>
      app.get('/test/slow', async () => {
        await new Promise<void>((resolve) => (release = resolve))
        return { finished: true }
      }),
  })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  t.equal((await fetch(`${address}/ready`)).status, 200)
  t.ok(proxy!.openConnections() > 0, 'the pool holds a database connection')
  const inFlight = fetch(`${address}/test/slow`)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const closing = app.close()
  setTimeout(() => release(), 200)
  const response = await inFlight
  t.equal(response.status, 200, 'the request that was running when close began completes')
  t.same(await response.json(), { finished: true })
  const started = Date.now()
  await closing
  t.ok(Date.now() - started < 5_000, 'close does not wait for the keep-alive connection to time out')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(proxy!.openConnections(), 0, 'the database pool is closed')
})
