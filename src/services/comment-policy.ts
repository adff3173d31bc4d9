// Pure checks applied to a submission before it is stored: normalisation and spam signals.
import { createHash } from 'node:crypto'

export interface SpamSignal {
  signal: 'honeypot' | 'links' | 'spam_word' | 'hold_word'
  detail: string
}

export interface CommentPolicy {
  maxLinks: number
  spamWords: string[]
  holdWords: string[]
}

export interface Classification {
  status: 'pending' | 'spam'
  needsAttention: boolean
  signals: SpamSignal[]
}

// Control characters other than tab and line breaks have no place in a comment.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text)
}

/** NFC, unified line endings, no trailing spaces, at most one blank line in a row, trimmed. */
export function normaliseBody(body: string): string {
  return body
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

export function normaliseName(name: string): string {
  return name.normalize('NFC').replace(/\s+/g, ' ').trim()
}

// Characters that change the direction of the text around them: in a name they can make it read as
// something else in the moderation queue and in every page that shows it (Trojan Source, CVE-2021-42574).
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u
// What renders as nothing: format characters (U+200B, U+2060, U+FEFF, …), the other default-ignorable
// code points (U+3164 Hangul filler, U+115F, variation selectors, …), the Braille blank, and spaces.
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800\s]/gu

export function hasBidiControls(text: string): boolean {
  return BIDI_CONTROL.test(text)
}

/** True when nothing would be seen of `text`: it is empty once invisible and format characters go. */
export function isVisiblyBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === ''
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

/**
 * What a body is compared by for duplicates: compatibility forms folded (NFKC: full-width letters,
 * ligatures), case folded (upper then lower: "ß" and "SS" are one), invisible characters dropped,
 * and every run of whitespace one space.
 */
export function comparableText(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(INVISIBLE, (character) => (/\s/u.test(character) ? ' ' : ''))
    .replace(/ +/g, ' ').trim()
}

/** Fingerprints carry their version, so rows written before a change of the rule can be found and re-fingerprinted. */
export const FINGERPRINT_VERSION = 'v2:'

/**
 * What makes two submissions "the same comment": article, author and body. The author is matched
 * case- and space-insensitively ("Sam" and " SAM " are one author), the body as `comparableText`
 * sees it ("Great post" and "great   POST" are one body).
 */
export function commentFingerprint(articleId: string, email: string, name: string, body: string): string {
  const author = normaliseName(name).toLowerCase()
  return FINGERPRINT_VERSION +
    createHash('sha256').update(`${articleId}\u0000${normaliseEmail(email)}\u0000${author}\u0000${comparableText(normaliseBody(body))}`).digest('hex')
}

const LINK = /\bhttps?:\/\/|\bwww\.[a-z0-9-]+\./gi

function containsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu').test(text)
}

export function classify(text: { name: string; email: string; body: string; honeypot: string | undefined }, policy: CommentPolicy): Classification {
  const signals: SpamSignal[] = []
  if (text.honeypot) signals.push({ signal: 'honeypot', detail: 'The hidden "website" field was filled in.' })
  const links = text.body.match(LINK)?.length ?? 0
  if (links > policy.maxLinks) signals.push({ signal: 'links', detail: `${links} links (more than ${policy.maxLinks}).` })
  const haystack = `${text.name}\n${text.email}\n${text.body}`
  for (const word of policy.spamWords) if (containsWord(haystack, word)) signals.push({ signal: 'spam_word', detail: `Contains "${word}".` })
  for (const word of policy.holdWords) if (containsWord(haystack, word)) signals.push({ signal: 'hold_word', detail: `Contains "${word}".` })
  const spam = signals.some((signal) => signal.signal === 'honeypot' || signal.signal === 'spam_word')
  return { status: spam ? 'spam' : 'pending', needsAttention: signals.length > 0, signals }
}
