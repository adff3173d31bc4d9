import t from 'tap'
import { isDatabaseUnavailable } from '../../src/db/database-errors.js'

t.test('recognises a lost database in the shapes it arrives in', async (t) => {
  const driverAdapterError = Object.assign(new Error('ConnectionClosed'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } })
  t.ok(isDatabaseUnavailable(driverAdapterError), 'a DriverAdapterError thrown as it is (seen in the outage test: it was a 500)')
  t.ok(isDatabaseUnavailable({ cause: { kind: 'DatabaseNotReachable' } }), 'an adapter kind as a cause')
  t.ok(isDatabaseUnavailable({ code: 'P1001' }), "Prisma's can't-reach code")
  t.ok(isDatabaseUnavailable({ meta: { driverAdapterError: { cause: { kind: 'SocketTimeout' } } } }), 'wrapped by Prisma')
  t.ok(isDatabaseUnavailable({ code: 'ECONNREFUSED' }), 'a socket error')
  t.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')), "pg's message")
  t.notOk(isDatabaseUnavailable(Object.assign(new Error('UniqueConstraintViolation'), { name: 'DriverAdapterError', cause: { kind: 'UniqueConstraintViolation' } })),
    'other adapter errors are not outages')
  t.notOk(isDatabaseUnavailable(new Error('boom')))
  t.notOk(isDatabaseUnavailable({ code: 'P2002' }))
})
