import { randomBytes } from 'node:crypto'
import type { FastifyInstance, InjectOptions } from 'fastify'
import t from 'tap'
import { WHO_1991_SOURCE_ID } from '../../src/seed/seed-database.js'
import { buildTestApp, staffToken } from '../helpers/build-test-app.js'
import { moderationView, submitComment } from '../helpers/comments.js'
import { ALL_ROLES, acceptsToken, declaredRoles, listOperations, requiresToken, type Role } from '../helpers/openapi-spec.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

type Request = Omit<InjectOptions, 'headers'> & { headers?: Record<string, string> }

/** Makes the things a request needs (as an admin), so each role gets its own fresh target. */
function fixtures(app: FastifyInstance, admin: Record<string, string>) {
  let counter = 0
  const next = () => ++counter + Math.floor(Math.random() * 100) * 1000
  const created = async (request: InjectOptions) => {
    const response = await app.inject({ ...request, headers: admin })
    if (response.statusCode >= 300) throw new Error(`fixture ${request.method} ${request.url}: ${response.statusCode} ${response.body}`)
    return response
  }
  const etag = async (url: string) => (await created({ url })).headers.etag as string
  return {
    etag,
    source: async () => (await created({ method: 'POST', url: '/v1/sources', payload: { kind: 'book', title: `Book ${next()}` } })).json().id as string,
    claim: async () =>
      (await created({ method: 'POST', url: '/v1/acupoints/LI20/claims', payload: { kind: 'health_benefit', text: `Claim ${next()}`, sourceId: WHO_1991_SOURCE_ID } })).json().id as string,
    point: async () => {
      const code = `EX-ZZ${next() % 1000}`
      await created({
        method: 'POST', url: '/v1/acupoints',
        payload: { code, pinyin: 'Ceshi', hanziTraditional: '測試', hanziSimplified: '测试', englishName: 'Test point', standardSourceId: WHO_1991_SOURCE_ID },
      })
      return code
    },
    article: async () => {
      const slug = `access-${next()}`
      await created({ method: 'POST', url: '/v1/articles', payload: { slug, title: 'T', summary: 'S', body: 'B', attribution: 'A' } })
      return slug
    },
    publishedArticle: async () => {
      const slug = `access-${next()}`
      await created({ method: 'POST', url: '/v1/articles', payload: { slug, title: 'T', summary: 'S', body: 'B', attribution: 'A' } })
      await created({ method: 'POST', url: `/v1/articles/${slug}/publish` })
      return slug
    },
    webhook: async () => (await created({
      method: 'POST', url: '/v1/webhooks', payload: { url: `https://hooks-${next()}.access.invalid/`, eventTypes: ['article.published'] },
    })).json().subscription.id as string,
    delivery: async (id: string) => (await created({ method: 'POST', url: `/v1/webhooks/${id}/ping` })).json().id as string,
    comment: async () => {
      const response = await submitComment(app)
      if (response.statusCode !== 202) throw new Error(`comment fixture: ${response.statusCode} ${response.body}`)
      return response.json() as { id: string; receiptToken: string }
    },
  }
}

type Fixtures = ReturnType<typeof fixtures>

/**
 * A valid request per secured operation, keyed by operationId. The list of operations comes from
 * openapi.yaml: a secured operation missing here fails the test.
 */
const REQUESTS: Record<string, (f: Fixtures) => Promise<Request>> = {
  createAcupoint: async () => ({
    method: 'POST', url: '/v1/acupoints',
    payload: { code: `EX-YY${randomBytes(1)[0]}`, pinyin: 'Ceshi', hanziTraditional: '測試', hanziSimplified: '测试', englishName: 'Test', standardSourceId: WHO_1991_SOURCE_ID },
  }),
  updateAcupoint: async (f) => {
    const code = await f.point()
    return { method: 'PATCH', url: `/v1/acupoints/${code}`, headers: { 'if-match': await f.etag(`/v1/acupoints/${code}`) }, payload: { englishName: 'Edited' } }
  },
  deleteAcupoint: async (f) => ({ method: 'DELETE', url: `/v1/acupoints/${await f.point()}` }),
  createClaim: async () => ({ method: 'POST', url: '/v1/acupoints/ST36/claims', payload: { kind: 'health_benefit', text: 'Said to help.', sourceId: WHO_1991_SOURCE_ID } }),
  createSource: async () => ({ method: 'POST', url: '/v1/sources', payload: { kind: 'article', title: 'An article' } }),
  updateSource: async (f) => {
    const id = await f.source()
    return { method: 'PATCH', url: `/v1/sources/${id}`, headers: { 'if-match': await f.etag(`/v1/sources/${id}`) }, payload: { title: 'Edited' } }
  },
  deleteSource: async (f) => ({ method: 'DELETE', url: `/v1/sources/${await f.source()}` }),
  updateClaim: async (f) => {
    const id = await f.claim()
    return { method: 'PATCH', url: `/v1/claims/${id}`, headers: { 'if-match': await f.etag(`/v1/claims/${id}`) }, payload: { text: 'Edited' } }
  },
  deleteClaim: async (f) => ({ method: 'DELETE', url: `/v1/claims/${await f.claim()}` }),
  createArticle: async () => ({ method: 'POST', url: '/v1/articles', payload: { slug: `new-${randomBytes(4).toString('hex')}`, title: 'T', summary: 'S', body: 'B', attribution: 'A' } }),
  getArticle: async (f) => ({ method: 'GET', url: `/v1/articles/${await f.article()}` }),
  updateArticle: async (f) => {
    const slug = await f.article()
    return { method: 'PATCH', url: `/v1/articles/${slug}`, headers: { 'if-match': await f.etag(`/v1/articles/${slug}`) }, payload: { title: 'Edited' } }
  },
  deleteArticle: async (f) => ({ method: 'DELETE', url: `/v1/articles/${await f.article()}` }),
  publishArticle: async (f) => ({ method: 'POST', url: `/v1/articles/${await f.article()}/publish` }),
  unpublishArticle: async (f) => ({ method: 'POST', url: `/v1/articles/${await f.publishedArticle()}/unpublish` }),
  listModerationQueue: async () => ({ method: 'GET', url: '/v1/moderation/comments?limit=5' }),
  getCommentCounts: async () => ({ method: 'GET', url: '/v1/moderation/comments/counts' }),
  getModerationComment: async (f) => ({ method: 'GET', url: `/v1/moderation/comments/${(await f.comment()).id}` }),
  moderateCommentsInBulk: async (f) => ({ method: 'POST', url: '/v1/moderation/comments/bulk', payload: { ids: [(await f.comment()).id], status: 'approved', force: true } }),
  eraseCommenter: async () => ({ method: 'POST', url: '/v1/moderation/erasures', payload: { email: 'nobody@example.org' } }),
  getCurrentStaffMember: async () => ({ method: 'GET', url: '/v1/staff/me' }),
  moderateComment: async (f) => {
    const { id } = await f.comment()
    return { method: 'PATCH', url: `/v1/comments/${id}`, headers: { 'if-match': await f.etag(`/v1/moderation/comments/${id}`) }, payload: { status: 'rejected' } }
  },
  createWebhook: async () => ({ method: 'POST', url: '/v1/webhooks', payload: { url: 'https://hooks.access.invalid/', eventTypes: ['comment.submitted'] } }),
  listWebhooks: async () => ({ method: 'GET', url: '/v1/webhooks' }),
  getWebhook: async (f) => ({ method: 'GET', url: `/v1/webhooks/${await f.webhook()}` }),
  updateWebhook: async (f) => {
    const id = await f.webhook()
    return { method: 'PATCH', url: `/v1/webhooks/${id}`, headers: { 'if-match': await f.etag(`/v1/webhooks/${id}`) }, payload: { description: 'Edited' } }
  },
  deleteWebhook: async (f) => ({ method: 'DELETE', url: `/v1/webhooks/${await f.webhook()}` }),
  rotateWebhookSecret: async (f) => ({ method: 'POST', url: `/v1/webhooks/${await f.webhook()}/rotate-secret` }),
  pingWebhook: async (f) => ({ method: 'POST', url: `/v1/webhooks/${await f.webhook()}/ping` }),
  listWebhookDeliveries: async (f) => ({ method: 'GET', url: `/v1/webhooks/${await f.webhook()}/deliveries` }),
  redeliverWebhook: async (f) => {
    const id = await f.webhook()
    return { method: 'POST', url: `/v1/webhooks/${id}/deliveries/${await f.delivery(id)}/redeliver` }
  },
  getCommentHistory: async (f) => ({ method: 'GET', url: `/v1/comments/${(await f.comment()).id}/history` }),
  dismissCommentFlags: async (f) => ({ method: 'POST', url: `/v1/moderation/comments/${(await f.comment()).id}/flags/dismiss`, payload: {} }),
}

t.test('every secured operation in openapi.yaml: 401 without a valid token, 403 for other roles, success for its roles', async (t) => {
  const { app } = await buildTestApp(t, { WRITE_RATE_LIMIT_PER_MINUTE: '100000', COMMENT_RATE_LIMIT_PER_MINUTE: '10000', COMMENT_FLOOD_SECONDS: '0' })
  const tokens = Object.fromEntries(await Promise.all(ALL_ROLES.map(async (role) => [role, await staffToken(app, role)]))) as Record<Role, Awaited<ReturnType<typeof staffToken>>>
  const revoked = await staffToken(app, 'admin', 'Former admin')
  t.ok(await app.staffService.revokeToken(revoked.tokenId))
  const f = fixtures(app, tokens.admin.headers)

  const badTokens: Record<string, string> = {
    malformed: 'Bearer not-a-token',
    'wrong scheme': `Basic ${tokens.admin.token}`,
    unknown: `Bearer acp_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`,
    'known id, wrong secret': `Bearer ${tokens.admin.token.slice(0, 21)}${randomBytes(32).toString('base64url')}`,
    revoked: `Bearer ${revoked.token}`,
  }

  const secured = listOperations().filter(acceptsToken)
  t.ok(secured.length >= 20, `the spec declares ${secured.length} secured operations`)
  for (const operation of secured) {
    t.test(`${operation.operationId} (${operation.method} ${operation.path})`, async (t) => {
      // A HEAD operation is its GET without the body: the same request, sent as HEAD.
      const getId = operation.method === 'HEAD' ? operation.operationId.replace(/^head(\w)/, (_whole, first: string) => first.toLowerCase()) : undefined
      const get = getId ? REQUESTS[getId] : undefined
      const build = REQUESTS[operation.operationId] ?? (get && (async (f: Parameters<typeof get>[0]) => ({ ...(await get(f)), method: 'HEAD' as const })))
      if (!build) return t.fail(`no request for ${operation.operationId}: add one to REQUESTS`)
      const send = async (authorization?: string) => {
        const request = await build(f)
        const headers = { ...request.headers, ...(authorization ? { authorization } : {}) }
        const response = await app.inject({ ...request, headers } as InjectOptions)
        return response
      }
      if (requiresToken(operation)) {
        const response = await send()
        t.equal(response.statusCode, 401, 'no token: 401')
        t.match(response.headers['www-authenticate'], /^Bearer/)
        t.match(response.headers['content-type'], /^application\/problem\+json/)
      }
      for (const [kind, authorization] of Object.entries(badTokens)) {
        t.equal((await send(authorization)).statusCode, 401, `${kind} token: 401`)
      }
      const roles = declaredRoles(operation)
      if (!requiresToken(operation)) {
        // Optional security: a valid token of any role is accepted, and no token is fine too.
        t.equal((await send()).statusCode < 500, true)
        return
      }
      if (!roles) return t.fail(`${operation.operationId} does not say which roles may call it`)
      for (const role of ALL_ROLES) {
        const response = await send(`Bearer ${tokens[role].token}`)
        if (roles.includes(role)) t.ok(response.statusCode >= 200 && response.statusCode < 300, `${role}: ${response.statusCode} (allowed)`)
        else t.equal(response.statusCode, 403, `${role}: 403`)
      }
    })
  }
})

t.test('receipt tokens open only their own comment; comment ids are UUIDs', async (t) => {
  const { app } = await buildTestApp(t, { COMMENT_FLOOD_SECONDS: '0' })
  const first = (await submitComment(app)).json()
  const second = (await submitComment(app)).json()
  t.match(first.id, UUID, 'a comment id is a random UUID')
  t.match(second.id, UUID)
  t.not(first.id, second.id)

  const read = (id: string, token?: string) => app.inject({ url: `/v1/comments/${id}`, headers: token ? { 'x-receipt-token': token } : {} })
  t.equal((await read(first.id, first.receiptToken)).statusCode, 200, 'its own receipt opens a held comment')
  t.equal((await read(second.id, first.receiptToken)).statusCode, 404, "another comment's receipt does not")
  t.equal((await read(first.id, second.receiptToken)).statusCode, 404)
  t.equal((await read(first.id)).statusCode, 404, 'no receipt: a held comment does not exist')
  t.equal((await read(first.id, `${first.receiptToken.slice(0, -2)}xx`)).statusCode, 404, 'a forged receipt fails')
  const moderator = await staffToken(app, 'moderator')
  t.equal((await moderationView(app, first.id, moderator.headers)).body.id, first.id)
  t.equal((await app.inject({ url: `/v1/comments/${first.id}`, headers: { authorization: `Bearer ${first.receiptToken}` } })).statusCode, 404, 'a receipt is not a bearer token')
  t.equal((await app.inject({ url: '/v1/staff/me', headers: { authorization: `Bearer ${first.receiptToken}` } })).statusCode, 401)

  // Editing and withdrawing: only with the comment's own receipt; a staff token is no receipt.
  const etag = (await read(first.id, first.receiptToken)).headers.etag as string
  const edit = (headers: Record<string, string>) =>
    app.inject({ method: 'PATCH', url: `/v1/comments/${first.id}/by-author`, headers: { 'if-match': etag, ...headers }, payload: { body: 'Changed' } })
  const withdraw = (headers: Record<string, string>) => app.inject({ method: 'DELETE', url: `/v1/comments/${first.id}`, headers })
  const admin = await staffToken(app, 'admin')
  for (const [who, headers] of [
    ['no receipt', {}], ["another comment's receipt", { 'x-receipt-token': second.receiptToken }],
    ['a forged receipt', { 'x-receipt-token': `${first.receiptToken.slice(0, -2)}xx` }], ['an admin token', admin.headers],
    ['a receipt as a bearer token', { authorization: `Bearer ${first.receiptToken}` }],
  ] as Array<[string, Record<string, string>]>) {
    t.equal((await edit(headers)).statusCode, 404, `edit with ${who}: 404`)
    t.equal((await withdraw(headers)).statusCode, 404, `withdraw with ${who}: 404`)
  }
  const after = (await read(first.id, first.receiptToken)).json()
  t.match(after, { withdrawn: false, editedAt: null }, 'neither edited nor withdrawn by any of them')
  t.not(after.body, 'Changed')
  t.equal((await edit({ 'x-receipt-token': first.receiptToken })).statusCode, 200, 'its own receipt edits it')
  t.equal((await withdraw({ 'x-receipt-token': first.receiptToken })).statusCode, 204, 'and withdraws it')
})
