/**
 * Issue 11: the embedded data directory's lock was a pid file read and then written, so two
 * processes starting together could both open the directory. Now it is taken atomically.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { acquireDataDirLock } from '../../src/db/data-dir-lock.js'

const scratch = async (t: { teardown(fn: () => unknown): void }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'acupoint-lock-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('of many openers at once, exactly one wins', async (t) => {
  const dir = await scratch(t)
  const attempts = await Promise.all(Array.from({ length: 20 }, () => acquireDataDirLock(dir)))
  t.equal(attempts.filter((attempt) => attempt.acquired).length, 1, 'one lock')
  t.ok(attempts.filter((attempt) => !attempt.acquired).every((attempt) => !attempt.acquired && attempt.holder.pid === process.pid), 'the others see who holds it')
})

t.test('two processes started together: exactly one wins', async (t) => {
  const dir = await scratch(t)
  const script = `import { acquireDataDirLock } from ${JSON.stringify(path.resolve('src/db/data-dir-lock.ts'))}
    const go = Number(process.argv[1]); while (Date.now() < go) {}
    const attempt = await acquireDataDirLock(${JSON.stringify(dir)})
    process.stdout.write(attempt.acquired ? 'won' : 'lost')
    setTimeout(() => {}, 1500)`
  // Both spin until the same instant, so their attempts really overlap.
  const go = String(Date.now() + 2_500)
  const run = () => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, go], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('exit', () => resolve(out))
    child.on('error', reject)
  })
  const results = await Promise.all([run(), run()])
  t.same(results.sort(), ['lost', 'won'], `one won, one lost: ${results.join(', ')}`)
})

t.test('a stale lock (its owner is gone) is recovered, race-free', async (t) => {
  const dir = await scratch(t)
  const dead = 2 ** 22 + 12_345
  await writeFile(path.join(dir, 'acupoint-api.lock.7.json'), JSON.stringify({ pid: dead, url: 'postgresql://gone' }))
  const alive = (pid: number) => pid !== dead
  const attempts = await Promise.all(Array.from({ length: 10 }, () => acquireDataDirLock(dir, alive)))
  const winners = attempts.filter((attempt) => attempt.acquired)
  t.equal(winners.length, 1, 'exactly one of ten openers takes over the stale lock')
  t.same((await readdir(dir)).filter((name) => name.startsWith('acupoint-api.lock.')), ['acupoint-api.lock.8.json'], 'the next generation; the stale one tidied away')

  const lock = winners[0]!.acquired ? winners[0]!.lock : undefined
  await lock!.setUrl('postgresql://127.0.0.1:1/x')
  const held = await acquireDataDirLock(dir, alive)
  t.match(held, { acquired: false, holder: { pid: process.pid, url: 'postgresql://127.0.0.1:1/x' } }, 'a command finds the owner\'s database URL')
  await lock!.release()
  t.same(JSON.parse(await readFile(lock!.file, 'utf8')), { pid: process.pid, url: 'postgresql://127.0.0.1:1/x', released: true }, 'released, not deleted')
  const next = await acquireDataDirLock(dir, alive)
  t.ok(next.acquired, 'a released lock is taken by the next opener')
  t.same((await readdir(dir)).filter((name) => name.startsWith('acupoint-api.lock.')), ['acupoint-api.lock.9.json'])
})
