import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

export const SEED_SLUG = 'facial-acupuncture-six-points'

/** A fresh loopback-range address per call, so flood control and rate limits do not mix tests. */
export function freshIp(): string {
  const bytes = randomBytes(3)
  return `127.${bytes[0]}.${bytes[1]}.${Math.max(1, bytes[2]!)}`
}

export interface SubmitOptions {
  ip?: string
  slug?: string
  payload?: Record<string, unknown>
}

export async function submitComment(app: FastifyInstance, options: SubmitOptions = {}) {
  const unique = randomBytes(4).toString('hex')
  return app.inject({
    method: 'POST',
    url: `/v1/articles/${options.slug ?? SEED_SLUG}/comments`,
    remoteAddress: options.ip ?? freshIp(),
    payload: { authorName: `Reader ${unique}`, authorEmail: `reader-${unique}@example.org`, body: `Comment ${unique}`, ...options.payload },
  })
}

/** Reads a comment as a moderator and returns its ETag and status. */
export async function moderationView(app: FastifyInstance, id: string, headers: Record<string, string>) {
  const response = await app.inject({ url: `/v1/moderation/comments/${id}`, headers })
  return { etag: response.headers.etag as string, body: response.json() }
}

export async function moderate(app: FastifyInstance, id: string, status: string, headers: Record<string, string>, reason?: string) {
  const { etag } = await moderationView(app, id, headers)
  return app.inject({
    method: 'PATCH',
    url: `/v1/comments/${id}`,
    headers: { ...headers, 'if-match': etag },
    payload: { status, ...(reason ? { reason } : {}) },
  })
}
