import fc from 'fast-check'

/** Strings that have broken APIs before: unicode edge cases, injection payloads, traversal. */
export const HOSTILE_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\uDBFF\uDFFF',
  '\u202Egnp.exe',
  '\u200F\u200Eמרכז',
  'e' + '\u0301'.repeat(3000),
  '\uFEFF',
  '\u0085\u2028\u2029',
  '👩‍👩‍👧‍👦'.repeat(50),
  "'; DROP TABLE comments; --",
  "' OR '1'='1",
  '1 UNION SELECT author_email FROM comments --',
  "$$; SELECT pg_sleep(5); $$",
  '\\x27\\x3b',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}${7*7}',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '....//....//etc/passwd',
  '/v1/staff/me',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  ' ',
  '',
]

/** Path-parameter payloads: traversal and encodings that try to escape the route. */
export const PATH_TRAVERSALS = ['..', '..%2f..%2fhealth', '%2e%2e', '..%5c..%5c', '%00', 'LI20%00', '%252e%252e%252f', '.', '%2f', 'LI20;DROP', 'a%20b']

export const FORGED_ETAGS = ['"x"', '*', 'W/"x"', '"', 'W/', '""', 'not-quoted', '"a", "b", *', `"${'f'.repeat(2000)}"`, '"\u0000"', "'OR 1=1'"]

export const FORGED_CURSORS = [
  'AAAA',
  'eyJpZCI6Ii0xIn0',
  Buffer.from(JSON.stringify({ id: "' OR 1=1 --", createdAt: 'x' })).toString('base64url'),
  Buffer.from('{"k":["__proto__"],"v":1e309}').toString('base64url'),
  Buffer.from('{"').toString('base64url'),
  'a'.repeat(5000),
  '!!!',
  '%00',
  '',
]

export const PAGINATION_VALUES = ['-1', '0', '1', '100', '101', '1000000', '99999999999999999999', '1e3', '1.5', 'abc', '', '-99999999999', '0x10', ' 5']

export const hostileString = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }), weight: 1 },
)

/** A value of any JSON type, for "wrong type" mutations. */
export const anyJsonValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 10 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
)

export const MALFORMED_BODIES = ['{', '{"a":1}}', '[', 'nul', '{"a":}', "{'a':1}", '\u0000', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', 'NaN', '"\\ud800"', '1'.repeat(400), ' ', '{"a":1,"a":2}']

export const WRONG_CONTENT_TYPES = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonx', 'image/png', '']

// ─── Values that look valid but that the database would refuse (issue 11) ───────────────────────
// Garbage is refused by validation already; these are what got past it: each one reached
// PostgreSQL and came back as a 500 before the fixes.

/** Other spellings of a real UUID: Ajv's `uuid` format accepted the first; PostgreSQL parses some, refuses others. */
export const otherUuidSpelling = (uuid: string) => [
  `urn:uuid:${uuid}`, `URN:UUID:${uuid.toUpperCase()}`, `{${uuid}}`, uuid.replaceAll('-', ''), `${uuid.slice(0, 8)}${uuid.slice(9)}`,
  `${uuid.slice(0, 4)}-${uuid.slice(4, 8)}${uuid.slice(9)}`, '-'.repeat(36), `${uuid.slice(0, 35)}g`, `${uuid} `,
]
export const databaseRefusedUuid: fc.Arbitrary<string> = fc.tuple(fc.uuid(), fc.nat()).map(([uuid, n]) => {
  const spellings = otherUuidSpelling(uuid)
  return spellings[n % spellings.length]!
})

/** Timestamps JavaScript parses and PostgreSQL's timestamptz does not hold (or that do not exist). */
export const OUT_OF_RANGE_TIMESTAMPS = ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '-004714-01-01T00:00:00.000Z',
  '2021-02-30T00:00:00.000Z', '+010000-01-01T00:00:00.000Z', '9999-12-31T23:59:60.000Z']
/** Integers past int4, which sort keys are. */
export const OUT_OF_RANGE_INTEGERS = [2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53) + 1, 1e21]

const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Cursors shaped exactly like the ones the API issues, whose values the database would refuse. */
export const databaseRefusedCursor: fc.Arbitrary<string> = fc.oneof(
  // Comment pages and the moderation queue: { t, id }.
  fc.tuple(fc.constantFrom(...OUT_OF_RANGE_TIMESTAMPS), fc.uuid()).map(([t, id]) => encodeCursor({ t, id })),
  fc.tuple(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), databaseRefusedUuid).map(([t, id]) => encodeCursor({ t: t.toISOString(), id })),
  // Article pages: { p, id }.
  fc.tuple(fc.constantFrom(...OUT_OF_RANGE_TIMESTAMPS), fc.uuid()).map(([p, id]) => encodeCursor({ p, id })),
  fc.tuple(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), databaseRefusedUuid).map(([p, id]) => encodeCursor({ p: p.toISOString(), id })),
  // Acupoint pages: { k }.
  fc.constantFrom(...OUT_OF_RANGE_INTEGERS).map((k) => encodeCursor({ k })),
  // Source pages: { id }.
  databaseRefusedUuid.map((id) => encodeCursor({ id })),
)
