import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

/**
 * For tests of the delivery machinery: receivers on 127.0.0.1 allowed, retries of one second (pg-boss
 * counts whole seconds), no poll (only commits and retries start work), no flood wait between comments.
 */
export const WEBHOOK_SERVICE_ENV = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_BASE_MS: '1000',
  WEBHOOK_RETRY_MAX_MS: '1000',
  WEBHOOK_POLL_INTERVAL_MS: '0',
  COMMENT_FLOOD_SECONDS: '0',
}

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders
  body: string
  json: { type: string; timestamp: string; data: Record<string, unknown> }
}

/**
 * A webhook receiver on 127.0.0.1 for one test: records every request, and answers with what
 * `respond` says (200 by default). Closed when the test ends.
 */
export async function startReceiver(t: Test, respond: (request: ReceivedWebhook, index: number) => number | 'hang' = () => 200) {
  const received: ReceivedWebhook[] = []
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const entry = { headers: request.headers, body, json: JSON.parse(body) }
      received.push(entry)
      const answer = respond(entry, received.length - 1)
      if (answer === 'hang') return
      response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, received }
}

/** Waits until `condition` holds (polling), failing after `timeoutMs`. */
export async function eventually<T>(condition: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await condition()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
