import type { FastifyReply, FastifyRequest } from 'fastify'
import { BadRequestError } from '../errors/app-errors.js'

/**
 * Opaque keyset cursors: base64url JSON of the last item's sort key. They are not secret: a
 * forged one can only move the window, and a malformed one is a 400.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  isValid: (value: Record<string, unknown>) => value is T,
): T | undefined {
  if (cursor === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    value = undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isValid(value as Record<string, unknown>)) {
    throw new BadRequestError('The cursor is not one this API issued. Start again without it.', [
      { in: 'query', pointer: '/cursor', message: 'is not a valid cursor' },
    ], 'invalid_cursor')
  }
  return value as T
}

/** Sets `Link: <…>; rel="next"` (RFC 8288) pointing at the same query with the next cursor. */
export function setNextLink(request: FastifyRequest, reply: FastifyReply, nextCursor: string | null): void {
  if (!nextCursor) return
  const url = new URL(request.url, 'http://placeholder')
  url.searchParams.set('cursor', nextCursor)
  reply.header('link', `<${url.pathname}${url.search}>; rel="next"`)
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** Splits a `limit + 1` fetch into the page and the cursor after it. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items: items.map(map), nextCursor: rows.length > limit && last ? cursorOf(last) : null }
}
