import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { loggerOptions, prettyLogs } from '../src/logger.js'
import { buildTestApp, staffToken } from './helpers/build-test-app.js'
import { submitComment } from './helpers/comments.js'

t.test('bearer and receipt tokens never reach the logs, at any level', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const logger = pino({ ...loggerOptions({ logLevel: 'trace' }), serializers: {
    // As a future change might: log every request's headers. Redaction must still hold.
    req: (req: { method: string; url: string; headers: Record<string, unknown> }) => ({ method: req.method, url: req.url, headers: req.headers }),
  } }, sink)
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' }, { logger })
  const admin = await staffToken(app, 'admin')
  const revoked = await staffToken(app, 'moderator')
  await app.staffService.revokeToken(revoked.tokenId)

  const submitted = (await submitComment(app)).json()
  const receipt = submitted.receiptToken as string
  const secrets = [admin.token, revoked.token, receipt]

  await app.inject({ url: '/v1/staff/me', headers: admin.headers })
  await app.inject({ url: '/v1/staff/me', headers: revoked.headers })
  await app.inject({ url: `/v1/moderation/comments/${submitted.id}`, headers: admin.headers })
  await app.inject({ url: `/v1/comments/${submitted.id}`, headers: { 'x-receipt-token': receipt } })
  await app.inject({ url: `/v1/comments/not-a-uuid`, headers: { 'x-receipt-token': receipt, authorization: `Bearer ${admin.token}` } })
  await app.inject({ method: 'PATCH', url: `/v1/comments/${submitted.id}`, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: '{"status":' })
  await app.inject({ url: '/v1/nowhere', headers: { ...admin.headers, 'x-receipt-token': receipt } })
  await app.inject({ url: '/v1/acupoints', headers: { authorization: `Bearer ${revoked.token}` } })

  const output = lines.join('')
  t.match(output, /"msg":"GET \/v1\/staff\/me 200 [\d.]+ ms"/, 'requests were logged, one line each (the test would see a token if one leaked)')
  t.match(output, /\[redacted\]/, 'the headers were logged, with the secrets censored')
  for (const secret of secrets) {
    t.notOk(output.includes(secret), 'a token never appears in the log')
    t.notOk(output.includes(secret.slice(-43)), 'nor its secret part')
  }
})

// Issue 11: client addresses in the access log (LOG_CLIENT_IP), so that an erasure is not undone by the logs.
t.test('the access log shows client addresses as LOG_CLIENT_IP says', async (t) => {
  const address = '203.0.113.77'
  const capture = async (mode?: 'full' | 'pseudonymise' | 'omit') => {
    const lines: string[] = []
    const sink = new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done() } })
    const logger = pino(loggerOptions({ logLevel: 'info', ...(mode ? { logClientIp: mode } : {}) }), sink)
    const { app } = await buildTestApp(t, {}, { logger, seed: false })
    await app.inject({ url: '/health', remoteAddress: address })
    await app.inject({ url: '/health', remoteAddress: address })
    await app.inject({ url: '/health', remoteAddress: '203.0.113.78' })
    const incoming = lines.map((line) => JSON.parse(line)).filter((entry) => entry.req)
    t.equal(incoming.length, 3, `${mode ?? 'default'}: every request was logged`)
    return { output: lines.join(''), addresses: incoming.map((entry) => entry.req.remoteAddress as string | undefined) }
  }

  const byDefault = await capture()
  t.notOk(byDefault.output.includes(address), 'by default, the address never appears')
  t.match(byDefault.addresses[0], /^client-[\w-]{16}$/, 'a pseudonym instead')
  t.equal(byDefault.addresses[0], byDefault.addresses[1], 'the same client gets the same pseudonym, so its requests can be followed')
  t.not(byDefault.addresses[0], byDefault.addresses[2], 'another client another')
  const again = await capture('pseudonymise')
  t.not(again.addresses[0], byDefault.addresses[0], 'the key is random per process: pseudonyms do not link across runs')

  const omitted = await capture('omit')
  t.notOk(omitted.output.includes(address))
  t.same(omitted.addresses, [undefined, undefined, undefined], 'omit: no address at all')

  const full = await capture('full')
  t.same(full.addresses, [address, address, '203.0.113.78'], 'full: the address as it is')
})

t.test('pretty on a terminal or when asked, JSON otherwise; never decided by NODE_ENV', async (t) => {
  t.equal(prettyLogs('auto', true), true, 'auto on a terminal: pretty')
  t.equal(prettyLogs('auto', false), false, 'auto in a pipe, a file or Docker: JSON')
  t.equal(prettyLogs('json', true), false)
  t.equal(prettyLogs('pretty', false), true)
})

t.test('one log line per request, with method, path, status and time', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  const { app } = await buildTestApp(t, {}, { logger: pino(loggerOptions({ logLevel: 'info' }), sink), seed: false })
  await app.inject({ url: '/health' })
  await app.inject({ url: '/v1/acupoints/XX99?x=1' })
  const requestLines = lines.map((line) => JSON.parse(line)).filter((entry) => entry.req)
  t.equal(requestLines.length, 2, 'one line each')
  t.match(requestLines[0], { msg: /^GET \/health 200 [\d.]+ ms$/, res: { statusCode: 200 }, requestId: String })
  t.match(requestLines[1].msg, /^GET \/v1\/acupoints\/XX99\?x=1 (400|404) /)
})
