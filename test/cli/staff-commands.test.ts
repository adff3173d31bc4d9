import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { environmentConfig } from '../helpers/test-database.js'

// The commands as a new user runs them: on a fresh embedded database nobody has started yet.
function run(script: string, args: string[], dataDir: string) {
  return spawnSync(process.execPath, [...process.execArgv, script, ...args], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 120_000,
  })
}

// Both runs would exercise the same embedded path, so the PostgreSQL run leaves it to the embedded one.
const embeddedRun = { skip: environmentConfig.databaseUrl ? 'runs in the embedded suite' : false }

t.test('staff:create works on a brand-new embedded database, and staff:revoke revokes', embeddedRun, async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'acupoint-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))

  const created = run('src/cli/staff-create.ts', ['--name', 'Ada Lovelace', '--role', 'moderator'], dataDir)
  t.equal(created.status, 0, created.stderr)
  const token = /^(acp_[0-9a-f]{16}_[\w-]+)$/m.exec(created.stdout)?.[1]
  t.ok(token, 'the token is printed once')
  const tokenId = token!.split('_')[1]!

  const revoked = run('src/cli/staff-revoke.ts', ['--token-id', tokenId], dataDir)
  t.equal(revoked.status, 0, revoked.stderr)
  t.match(revoked.stdout, `Revoked token ${tokenId}`)

  const again = run('src/cli/staff-revoke.ts', ['--token-id', tokenId], dataDir)
  t.equal(again.status, 1)
  t.match(again.stderr, /^staff:revoke: No active token/)
})

t.test('bad arguments fail at once with one line and no stack', embeddedRun, async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'acupoint-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const result = run('src/cli/staff-create.ts', ['--name', 'Ada', '--role', 'boss'], dataDir)
  t.equal(result.status, 2)
  t.equal(result.stderr.trim(), 'staff:create: --role must be one of: editor, moderator, admin')
})
