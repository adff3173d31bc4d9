import t from 'tap'
import { loadConfig } from '../../src/config/config.js'
import { statementNames } from '../../src/db/prisma-client.js'
import { buildTestApp } from '../helpers/build-test-app.js'
import { environmentConfig } from '../helpers/test-database.js'

// Named prepared statements (src/db/prisma-client.ts): each distinct statement is parsed and planned
// once per connection, and the names are bounded.

t.test('one stable name per statement, and a bounded number of names', async (t) => {
  const name = statementNames(3)
  const first = name({ sql: 'SELECT 1' })
  t.match(first, /^acp_[0-9a-f]{24}$/)
  t.equal(name({ sql: 'SELECT 1' }), first, 'the same statement keeps its name')
  t.not(name({ sql: 'SELECT 2' }), first, 'another statement gets another')
  t.equal(statementNames(3)({ sql: 'SELECT 1' }), first, 'and the same name in another process or pool')
  name({ sql: 'SELECT 3' })
  t.equal(name({ sql: 'SELECT 4' }), '', 'past the limit a new statement goes unnamed')
  t.equal(name({ sql: 'SELECT 1' }), first, 'while the named ones keep their names')
})

t.test('on by default on PostgreSQL, off on the embedded database (one session for every socket connection)', async (t) => {
  t.equal(loadConfig({ DATABASE_URL: 'postgresql://a/db' }).database.preparedStatements, true)
  t.equal(loadConfig({}).database.preparedStatements, false)
  t.equal(loadConfig({ DATABASE_URL: 'postgresql://a/db', DB_PREPARED_STATEMENTS: 'false' }).database.preparedStatements, false, 'behind a pooler that cannot carry them')
  t.throws(() => loadConfig({ DB_PREPARED_STATEMENTS: 'sometimes' }), /DB_PREPARED_STATEMENTS/)
})

t.test('PostgreSQL keeps the statements a request ran, once each, on the connection that ran them', { skip: environmentConfig.databaseUrl ? false : 'needs an external PostgreSQL' }, async (t) => {
  const prepared = async (env: Record<string, string>) => {
    // One connection, so that the statements the request prepared are in the session asked.
    const { app } = await buildTestApp(t, { DB_POOL_MAX: '1', REFERENCE_CACHE_SECONDS: '0', ...env })
    for (let i = 0; i < 3; i++) t.equal((await app.inject('/v1/acupoints/LI20')).statusCode, 200)
    const rows = await app.prisma.$queryRaw<Array<{ name: string }>>`SELECT name FROM pg_prepared_statements WHERE name LIKE 'acp\\_%'`
    return rows.map((row) => row.name)
  }
  const named = await prepared({})
  t.ok(named.length > 0, `the point's statements are prepared (${named.length})`)
  t.equal(new Set(named).size, named.length, 'each once, however often the request ran')
  t.same(await prepared({ DB_PREPARED_STATEMENTS: 'false' }), [], 'and none when turned off')
})
