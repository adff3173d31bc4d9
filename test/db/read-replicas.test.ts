import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { parseLsn } from '../../src/db/read-replicas.js'
import { buildTestApp, checkEveryResponse, staffToken } from '../helpers/build-test-app.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { environmentConfig } from '../helpers/test-database.js'

// The read-replica router (src/db/read-replicas.ts). A real streaming replica, paused and stopped,
// is the scale check's (scripts/scale-check.ts, run by .ci/run); here the "replica" is the test's
// own database reached through a proxy the test can cut, which is enough to see where reads go and
// what happens when a replica disappears.

t.test('WAL positions order as numbers', async (t) => {
  t.equal(parseLsn('0/16B3748'), 0x16b3748n)
  t.ok(parseLsn('1/0') > parseLsn('0/FFFFFFFF'), 'the high word counts first')
  t.equal(parseLsn('16/B374D848'), (0x16n << 32n) + 0xb374d848n)
})

t.test('the embedded database has no replicas and no pooler', async (t) => {
  t.throws(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgresql://replica/db' }), /DATABASE_REPLICA_URLS needs DATABASE_URL/)
  t.throws(() => loadConfig({ DATABASE_DIRECT_URL: 'postgresql://primary/db' }), /DATABASE_DIRECT_URL needs DATABASE_URL/)
  t.throws(() => loadConfig({ DATABASE_URL: 'postgresql://a/db', DATABASE_REPLICA_URLS: 'postgresql://b/db,mysql://c/db' }), /comma-separated list/)
  const config = loadConfig({ DATABASE_URL: 'postgresql://a/db', DATABASE_REPLICA_URLS: 'postgresql://b/db,postgresql://c/db', DATABASE_DIRECT_URL: 'postgresql://d/db' })
  t.same(config.database.replicaUrls, ['postgresql://b/db', 'postgresql://c/db'])
  t.equal(config.database.directUrl, 'postgresql://d/db')
  t.same(loadConfig({ DATABASE_URL: 'postgresql://a/db' }).database.replicaUrls, [], 'none by default')
})

t.test('public reads on a replica, failing over to the primary', { skip: environmentConfig.databaseUrl ? false : 'replicas need an external PostgreSQL' }, async (t) => {
  const statements: string[] = []
  const { db, config } = await buildTestApp(t)
  const target = new URL(db.url)
  const replica = await startTcpProxy(target.hostname, Number(target.port || 5432))
  t.teardown(() => replica.close())
  const app = await buildApp({ ...config, referenceCacheSeconds: 0, database: { ...config.database, replicaUrls: [replica.wrap(db.url)] } }, {
    loggerInstance: pino({ level: 'silent' }),
    onQuery: (sql) => statements.push(sql),
  })
  await app.ready()
  checkEveryResponse(app, (message, extra) => t.fail(message, extra))
  t.teardown(() => app.close())
  const ready = async () => {
    const response = await app.inject('/ready')
    t.equal(response.statusCode, 200, 'ready, whatever the replica does')
    return response.json().replicas as Array<{ name: string; state: string; lagBytes: number | null }>
  }

  t.test('reads go to the replica; /ready lists it', async (t) => {
    const [listed] = await ready()
    t.equal(listed?.state, 'in_rotation', 'a database that is not in recovery is as current as itself')
    t.equal(listed?.lagBytes, 0)
    t.notMatch(listed?.name ?? '', /password|:\/\//, 'named by host, port and database only')
    for (const url of ['/v1/acupoints/LI20', '/v1/acupoints?region=face', '/v1/channels/LI', '/v1/sources', '/v1/articles']) {
      t.equal((await app.inject(url)).statusCode, 200, url)
    }
    t.ok(replica.openConnections() > 0, 'the replica\'s pool is in use')
  })

  t.test('a write fences the replicas: the primary\'s WAL position is taken after it', async (t) => {
    const editor = await staffToken(app, 'editor')
    const current = await app.inject({ url: '/v1/acupoints/LI20', headers: editor.headers })
    statements.length = 0
    const patched = await app.inject({
      method: 'PATCH', url: '/v1/acupoints/LI20', headers: { ...editor.headers, 'if-match': String(current.headers.etag) }, payload: { locationNote: 'Fenced' },
    })
    t.equal(patched.statusCode, 200)
    t.equal(patched.json().locationNote, 'Fenced', 'the editor reads their own write')
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.ok(statements.some((sql) => /pg_current_wal_lsn/.test(sql)), 'the watermark is measured on the primary')
    t.equal((await app.inject('/v1/acupoints/LI20')).json().locationNote, 'Fenced', 'and so does the public')
  })

  t.test('a replica that goes away is taken out of rotation; reads still answer', async (t) => {
    await replica.cut()
    for (const url of ['/v1/acupoints/LI20', '/v1/acupoints/ST36', '/v1/channels/LI', '/v1/articles']) {
      t.equal((await app.inject(url)).statusCode, 200, `${url} answers from the primary`)
    }
    const [down] = await ready()
    t.equal(down?.state, 'out_of_rotation')
    t.equal(down?.lagBytes, null)
    await replica.restore()
    const [back] = await ready()
    t.equal(back?.state, 'in_rotation', 'probed by /ready, it is back')
    t.equal((await app.inject('/v1/acupoints/LI20')).statusCode, 200)
    t.ok(replica.openConnections() > 0, 'and serves reads again')
  })
})
