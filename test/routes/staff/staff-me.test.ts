import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'

t.test('GET /v1/staff/me', async (t) => {
  const { app } = await buildTestApp(t)
  const moderator = await staffToken(app, 'moderator', 'Mo Derator')

  t.test('returns who the token belongs to', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/staff/me', headers: moderator.headers })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.equal(body.name, 'Mo Derator')
    t.equal(body.role, 'moderator')
    t.equal(body.tokenId, moderator.tokenId)
    t.notOk('secretHash' in body, 'never returns the hash')
  })

  const unauthorized: Array<[string, Record<string, string>]> = [
    ['no token', {}],
    ['a non-bearer scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['a malformed token', { authorization: 'Bearer not-a-token' }],
    ['an unknown token', { authorization: `Bearer acp_0123456789abcdef_${'A'.repeat(43)}` }],
    ['a known id with the wrong secret', { authorization: `Bearer acp_${moderator.tokenId}_${'B'.repeat(43)}` }],
  ]
  for (const [label, headers] of unauthorized) {
    t.test(`answers 401 to ${label}`, async (t) => {
      const response = await app.inject({ method: 'GET', url: '/v1/staff/me', headers })
      t.equal(response.statusCode, 401)
      t.match(response.headers['content-type'], /^application\/problem\+json/)
      t.match(response.headers['www-authenticate'], /^Bearer /)
      t.equal(response.json().code, 'unauthorized')
    })
  }

  t.test('answers 401 once the token is revoked', async (t) => {
    const editor = await staffToken(app, 'editor')
    t.equal((await app.inject({ url: '/v1/staff/me', headers: editor.headers })).statusCode, 200)
    t.equal(await app.staffService.revokeToken(editor.tokenId), true)
    const response = await app.inject({ url: '/v1/staff/me', headers: editor.headers })
    t.equal(response.statusCode, 401)
    t.equal(await app.staffService.revokeToken(editor.tokenId), false, 'revoking twice reports nothing to revoke')
  })

  t.test('stores only a hash of the secret', async (t) => {
    const admin = await staffToken(app, 'admin')
    const stored = await app.prisma.apiToken.findUniqueOrThrow({ where: { id: admin.tokenId } })
    const secret = admin.token.split('_').slice(2).join('_')
    t.notOk(Buffer.from(stored.secretHash).toString('utf8').includes(secret))
    t.equal(stored.secretHash.length, 32)
  })
})

t.test('requireRole answers 403 to a valid token of the wrong role', async (t) => {
  const { app } = await buildTestApp(t, {}, {
    beforeReady: (app) => app.get('/test/admin-only', { onRequest: app.requireRole('admin') }, async () => ({ ok: true })),
  })
  const editor = await staffToken(app, 'editor')
  const admin = await staffToken(app, 'admin')
  const forbidden = await app.inject({ url: '/test/admin-only', headers: editor.headers })
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().code, 'forbidden')
  t.equal((await app.inject({ url: '/test/admin-only', headers: admin.headers })).statusCode, 200)
})
