import t from 'tap'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../../src/generated/prisma/client.js'
import { createCodedPool } from '../../src/db/coded-pool.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { DRIVER_CODES, classifyDatabaseError, describeDatabaseError, isDatabaseUnavailable, withDriverCode } from '../../src/db/database-errors.js'
import { createTestDatabase } from '../helpers/test-database.js'

t.test('classifies database failures by their codes, never their messages', async (t) => {
  const driverAdapterError = Object.assign(new Error('ConnectionClosed'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } })
  t.equal(classifyDatabaseError(driverAdapterError), 'unavailable', 'a DriverAdapterError thrown as it is (seen in the outage test: it was a 500)')
  t.equal(classifyDatabaseError({ cause: { kind: 'DatabaseNotReachable' } }), 'unavailable', 'an adapter kind as a cause')
  t.equal(classifyDatabaseError({ code: 'P1001' }), 'unavailable', "Prisma's can't-reach code")
  t.equal(classifyDatabaseError({ meta: { driverAdapterError: { cause: { kind: 'SocketTimeout' } } } }), 'unavailable', 'wrapped by Prisma')
  t.equal(classifyDatabaseError({ code: 'ECONNREFUSED' }), 'unavailable', 'a socket error')
  t.equal(classifyDatabaseError({ code: '57P01' }), 'unavailable', 'SQLSTATE: the server is shutting down')
  t.equal(classifyDatabaseError({ code: '28P01' }), 'unavailable', 'SQLSTATE: wrong password')
  t.equal(classifyDatabaseError({ code: DRIVER_CODES.connectionLost }), 'unavailable', 'a lost connection, coded by coded-pool.ts')

  t.equal(classifyDatabaseError({ code: 'P2028', name: 'PrismaClientKnownRequestError' }), 'saturated', 'P2028: a transaction that could not start (issue 11: 116 × 500)')
  t.equal(classifyDatabaseError({ code: 'P2024' }), 'saturated', 'P2024: a pool timeout')
  t.equal(classifyDatabaseError({ code: 'P2034' }), 'saturated', 'P2034: write conflict or deadlock')
  t.equal(classifyDatabaseError({ code: DRIVER_CODES.poolExhausted }), 'saturated', 'the pool had no connection free')
  t.equal(classifyDatabaseError({ code: '57014' }), 'saturated', 'SQLSTATE: statement timeout')
  t.equal(classifyDatabaseError({ code: '53300' }), 'saturated', 'SQLSTATE: too many connections')
  t.equal(classifyDatabaseError({ meta: { driverAdapterError: { cause: { kind: 'postgres', originalCode: '40P01' } } } }), 'saturated', 'a deadlock, wrapped')
  t.equal(classifyDatabaseError({ cause: { kind: 'TooManyConnections' } }), 'saturated')

  t.equal(classifyDatabaseError({ code: 'P2002' }), 'conflict')
  t.equal(classifyDatabaseError(Object.assign(new Error('x'), { name: 'DriverAdapterError', cause: { kind: 'UniqueConstraintViolation' } })), 'conflict')
  t.equal(classifyDatabaseError({ code: 'P2025' }), 'missing')

  t.equal(classifyDatabaseError(new Error('Connection terminated unexpectedly')), undefined, 'a message alone classifies nothing')
  t.equal(classifyDatabaseError(new Error('timeout exceeded when trying to connect')), undefined)
  t.equal(classifyDatabaseError(new Error('boom')), undefined)
  t.equal(classifyDatabaseError({ code: '22P02' }), undefined, 'invalid input is not an outage: validation must stop it first')
  t.equal(classifyDatabaseError(null), undefined)
  t.ok(isDatabaseUnavailable({ code: 'P2028' }), 'saturation is retryable')
  t.notOk(isDatabaseUnavailable({ code: 'P2002' }))
  t.same(describeDatabaseError({ name: 'PrismaClientKnownRequestError', code: 'P2028', message: 'x'.repeat(3000) }), { name: 'PrismaClientKnownRequestError', code: 'P2028' }, 'logs carry codes, not 3 KB messages')
})

t.test('withDriverCode codes only plain, code-less errors', async (t) => {
  const plain = new Error('Connection terminated unexpectedly')
  const coded = withDriverCode(plain, DRIVER_CODES.connectionLost) as Error & { code: string }
  t.equal(coded.code, DRIVER_CODES.connectionLost)
  t.equal(coded.cause, plain, 'the original is kept as the cause')
  const withOwnCode = Object.assign(new Error('x'), { code: '57P01' })
  t.equal(withDriverCode(withOwnCode, DRIVER_CODES.connectionLost), withOwnCode, 'an error with a code keeps it')
  const bug = new TypeError('not a function')
  t.equal(withDriverCode(bug, DRIVER_CODES.connectionLost), bug, 'a programming error stays one')
})

t.test('the coded pool gives the driver\'s code-less failures a code, through Prisma too', async (t) => {
  const db = await createTestDatabase({ seed: false })
  t.teardown(() => db.close())

  t.test('a pool with no connection free', async (t) => {
    const pool = createCodedPool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 200 })
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) })
    t.teardown(() => prisma.$disconnect())
    const held = await pool.connect()
    const waited = await pool.connect().then(() => undefined, (error: unknown) => error)
    t.equal((waited as { code?: string }).code, DRIVER_CODES.poolExhausted, 'pool.connect(): saturated')
    const viaQuery = await prisma.$queryRaw`SELECT 1`.then(() => undefined, (error: unknown) => error)
    t.equal(classifyDatabaseError(viaQuery), 'saturated', 'a Prisma query behind it: saturated')
    const viaTransaction = await prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 100 }).then(() => undefined, (error: unknown) => error)
    t.equal(classifyDatabaseError(viaTransaction), 'saturated', 'a Prisma transaction behind it (P2028): saturated')
    held.release()
    t.same(await prisma.$queryRaw`SELECT 1 AS one`, [{ one: 1 }], 'and it works again once a connection is free')
  })

  t.test('a connection lost under a query', async (t) => {
    const pool = createCodedPool({ connectionString: db.url, max: 1 })
    pool.on('error', () => {})
    t.teardown(() => pool.end())
    const client = await pool.connect()
    client.on('error', () => {})
    // End the socket under the client: pg then fails the next query with a code-less Error.
    ;(client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const lost = await client.query('SELECT 1').then(() => undefined, (error: unknown) => error)
    t.equal((lost as { code?: string }).code, DRIVER_CODES.connectionLost)
    t.equal(classifyDatabaseError(lost), 'unavailable')
    client.release(true)
  })

  t.test('a connection lost under pool.query(), which pg-pool fails from the client\'s error event', async (t) => {
    const proxy = await startTcpProxy(new URL(db.url).hostname, Number(new URL(db.url).port || 5432))
    t.teardown(() => proxy.close())
    const pool = createCodedPool({ connectionString: proxy.wrap(db.url), max: 1 })
    pool.on('error', () => {})
    t.teardown(() => pool.end())
    const running = pool.query('SELECT pg_sleep(5)').then(() => undefined, (error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 300))
    await proxy.cut()
    const lost = await running
    t.equal((lost as { code?: string }).code, DRIVER_CODES.connectionLost, 'the promise form')
    t.equal(classifyDatabaseError(lost), 'unavailable')
    await proxy.restore()
    const viaCallback = await new Promise<unknown>((resolve) => {
      pool.query('SELECT pg_sleep(5)', (error: unknown) => resolve(error))
      setTimeout(() => void proxy.cut(), 300)
    })
    t.equal((viaCallback as { code?: string }).code, DRIVER_CODES.connectionLost, 'the callback form')
  })
})
