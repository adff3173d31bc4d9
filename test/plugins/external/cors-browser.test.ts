// CORS as a browser enforces it: a page served from one origin (http://localhost:<port>) calls the
// API listening on another (http://127.0.0.1:<port>), with the server's default settings. It reads
// a point, submits a comment, reads it back with its receipt token, and moderates it with a staff
// token and If-Match: every call but the first needs a preflight, and each header it reads must be
// exposed. Chromium is Debian's (test/helpers/chromium.ts).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, staffToken } from '../../helpers/build-test-app.js'
import { checkApiResponses, openChromiumPage, skipWithoutChromium } from '../../helpers/chromium.js'
import { SEED_SLUG } from '../../helpers/comments.js'

const PAGE_HTML = '<!doctype html><html><head><meta charset="utf-8"><title>A frontend</title></head><body>frontend</body></html>'

interface FlowResult {
  point: { status: number; code: string; etag: string | null; requestId: string | null }
  submitted: { status: number; location: string | null; rateLimit: string | null; id: string; receiptToken: string; problem?: unknown }
  receipt: { status: number; commentStatus: string }
  held: { status: number; etag: string | null; bodyEtag: string }
  decided: { status: number; commentStatus: string; etag: string | null }
  stale: { status: number; code: string }
  published: boolean
}

t.test('a page on another origin reads, submits and moderates, with default settings', { skip: skipWithoutChromium }, async (t) => {
  const preflights: string[] = []
  const { app } = await buildTestApp(t, {}, {
    // onResponse: CORS answers a preflight in its own onRequest hook, before any later one.
    beforeReady: (app) => app.addHook('onResponse', async (request) => {
      if (request.method === 'OPTIONS') preflights.push(`${String(request.headers['access-control-request-method'])} ${request.url}`)
    }),
  })
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const { token } = await staffToken(app, 'moderator')

  // The frontend's own origin: another host name and port than the API's.
  const pageServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML))
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => pageServer.close(() => resolve())))
  const pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`

  const { page } = await openChromiumPage(t)
  const checked = checkApiResponses(t, page)
  await page.goto(`${pageOrigin}/`)
  t.equal(await page.evaluate(() => (globalThis as unknown as { location: { origin: string } }).location.origin), pageOrigin)

  // Runs in the page, as the frontend's own script would.
  const result = await page.evaluate(async ({ api, slug, token }): Promise<FlowResult> => {
    const json = (body: unknown) => JSON.stringify(body)
    const staff = { authorization: `Bearer ${token}` }

    const pointResponse = await fetch(`${api}/v1/acupoints/LI20`)
    const point = (await pointResponse.json()) as any

    const submitResponse = await fetch(`${api}/v1/articles/${slug}/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json({ authorName: 'A frontend', authorEmail: 'frontend@example.org', body: 'Asked from another origin' }),
    })
    const accepted = (await submitResponse.json()) as any

    const receiptResponse = await fetch(`${api}/v1/comments/${accepted.id}`, { headers: { 'x-receipt-token': accepted.receiptToken } })
    const receipt = (await receiptResponse.json()) as any

    const heldResponse = await fetch(`${api}/v1/moderation/comments/${accepted.id}`, { headers: staff })
    const etag = heldResponse.headers.get('etag')
    const heldComment = (await heldResponse.json()) as any

    const decideResponse = await fetch(`${api}/v1/comments/${accepted.id}`, {
      method: 'PATCH',
      headers: { ...staff, 'content-type': 'application/json', 'if-match': etag ?? '' },
      body: json({ status: 'approved', reason: 'On topic' }),
    })
    const decided = (await decideResponse.json()) as any

    const staleResponse = await fetch(`${api}/v1/comments/${accepted.id}`, {
      method: 'PATCH',
      headers: { ...staff, 'content-type': 'application/json', 'if-match': etag ?? '' },
      body: json({ status: 'rejected' }),
    })
    const stale = (await staleResponse.json()) as any

    const listResponse = await fetch(`${api}/v1/articles/${slug}/comments`)
    const list = (await listResponse.json()) as any

    return {
      point: { status: pointResponse.status, code: point.code, etag: pointResponse.headers.get('etag'), requestId: pointResponse.headers.get('x-request-id') },
      submitted: {
        status: submitResponse.status,
        location: submitResponse.headers.get('location'),
        rateLimit: submitResponse.headers.get('x-ratelimit-limit'),
        id: accepted.id,
        // What a refusal said, so that a failure names its cause.
        problem: submitResponse.ok ? undefined : accepted,
        receiptToken: accepted.receiptToken,
      },
      receipt: { status: receiptResponse.status, commentStatus: receipt.status },
      held: { status: heldResponse.status, etag, bodyEtag: heldComment.etag },
      decided: { status: decideResponse.status, commentStatus: decided.status, etag: decideResponse.headers.get('etag') },
      stale: { status: staleResponse.status, code: stale.code },
      published: list.items.some((comment: { id: string }) => comment.id === accepted.id),
    }
  }, { api, slug: SEED_SLUG, token })

  t.equal(result.point.status, 200, 'reads a point')
  t.equal(result.point.code, 'LI20')
  t.match(result.point.etag, /^"/, 'and can read its ETag (exposed)')
  t.ok(result.point.requestId, 'and X-Request-Id (exposed)')
  t.equal(result.submitted.status, 202, `submits a comment (a JSON POST: preflighted)${result.submitted.problem ? `: ${JSON.stringify(result.submitted.problem)}` : ''}`)
  t.equal(result.submitted.location, `/v1/comments/${result.submitted.id}`, 'and reads Location (exposed)')
  t.ok(Number(result.submitted.rateLimit) > 0, 'and X-RateLimit-Limit (exposed)')
  t.equal(result.receipt.status, 200, 'reads it back with X-Receipt-Token')
  t.equal(result.receipt.commentStatus, 'pending')
  t.equal(result.held.status, 200, 'a moderator reads it with a bearer token')
  t.match(result.held.etag, /^"/)
  t.equal(result.held.etag, result.held.bodyEtag, 'the ETag header (exposed) is the one in the body')
  t.equal(result.decided.status, 200, 'and approves it with If-Match')
  t.equal(result.decided.commentStatus, 'approved')
  t.not(result.decided.etag, result.held.etag, 'the ETag moved on')
  t.equal(result.stale.status, 412, 'a second decision on the old ETag is refused, and the page can read why')
  t.equal(result.stale.code, 'precondition_failed')
  t.ok(result.published, 'the approved comment is public')

  // The browser really asked first: one preflight per non-simple request.
  t.ok(preflights.some((line) => line.startsWith('POST ')), 'the JSON POST was preflighted')
  t.ok(preflights.some((line) => line.startsWith('PATCH ')), 'the PATCH was preflighted')
  t.ok(preflights.some((line) => line.startsWith('GET /v1/comments/')), 'the GET with X-Receipt-Token was preflighted')
  t.ok(await checked() >= 7, 'every response the page received matches the document')
})
