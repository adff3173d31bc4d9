import { lookup } from 'node:dns/promises'
import ipaddr from 'ipaddr.js'
import { BadRequestError } from '../../errors/app-errors.js'

/**
 * Only ordinary public unicast addresses: anything else (loopback, private, link-local such as the
 * cloud metadata address 169.254.169.254, unique-local, multicast, reserved, IPv4 inside IPv6) would
 * let an admin token, or a subscriber's DNS, make the server call into its own network.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  const parsed = ipaddr.process(address)
  return parsed.range() === 'unicast'
}

export class WebhookTargetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WebhookTargetError'
  }
}

export interface ResolvedTarget {
  url: URL
  /** The checked address the request must connect to (never a second, unchecked DNS answer). */
  address: string
  family: 4 | 6
}

const DNS_TIMEOUT_MS = 3_000

async function resolveAll(hostname: string): Promise<Array<{ address: string; family: number }>> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new WebhookTargetError(`DNS lookup of ${hostname} timed out`)), DNS_TIMEOUT_MS)
  })
  try {
    return await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Parses a subscription URL: http(s), no credentials in it. Throws WebhookTargetError. */
export function parseTargetUrl(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new WebhookTargetError('is not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookTargetError('must be an http:// or https:// URL')
  if (url.username || url.password) throw new WebhookTargetError('must not carry a user name or password')
  return url
}

/**
 * Resolves the URL's host and checks every address it resolves to. Throws WebhookTargetError when
 * one is not public (unless allowed) or the name does not resolve.
 */
export async function resolveTarget(value: string, allowPrivate: boolean): Promise<ResolvedTarget> {
  const url = parseTargetUrl(value)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const answers = ipaddr.isValid(host) ? [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }] : await resolveAll(host).catch((error: unknown) => {
    if (error instanceof WebhookTargetError) throw error
    throw new WebhookTargetError(`${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`)
  })
  const first = answers[0]
  if (!first) throw new WebhookTargetError(`${host} does not resolve`)
  if (!allowPrivate) {
    const refused = answers.find((answer) => !isPublicAddress(answer.address))
    if (refused) throw new WebhookTargetError(`${host} resolves to ${refused.address}, which is not a public address`)
  }
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
}

/**
 * The check at create and update: a URL that resolves to a non-public address is a 400. A name that
 * does not resolve (yet) is accepted: nothing can be reached through it, and every delivery checks again.
 */
export async function assertAcceptableTarget(value: string, allowPrivate: boolean): Promise<void> {
  try {
    await resolveTarget(value, allowPrivate)
  } catch (error) {
    if (!(error instanceof WebhookTargetError)) throw error
    const unresolved = /does not resolve|timed out/.test(error.message)
    if (unresolved) return
    throw new BadRequestError(`The webhook URL ${error.message}.`, [{ in: 'body', pointer: '/url', message: error.message }], 'webhook_target_refused')
  }
}
