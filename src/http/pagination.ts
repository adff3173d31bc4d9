import type { FastifyReply, FastifyRequest } from 'fastify'
import { BadRequestError } from '../errors/app-errors.js'
import { CANONICAL_UUID } from '../schemas/common-schemas.js'

/*
 * What a cursor may carry. A cursor is client input like any other: every value in it must be one
 * PostgreSQL accepts, or a forged cursor becomes a database error (a 500) instead of a 400.
 */

/** An id in the one spelling the API accepts. */
export const isCursorId = (value: unknown): value is string => typeof value === 'string' && CANONICAL_UUID.test(value)

/** An int4 (PostgreSQL `integer`): sort keys are. */
export const isCursorInt4 = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= -2_147_483_648 && (value as number) <= 2_147_483_647

// Exactly what Date#toISOString writes for years 0001–9999, all inside PostgreSQL's timestamptz range.
const ISO_TIMESTAMP = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** A timestamp as this API writes it into cursors (toISOString), that names a real instant. */
export function isCursorTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const year = ISO_TIMESTAMP.exec(value)?.[1]
  if (!year || Number(year) < 1) return false
  const time = Date.parse(value)
  // A round trip rejects dates that do not exist (2021-02-30), which Date.parse would roll over.
  return !Number.isNaN(time) && new Date(time).toISOString() === value
}

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
