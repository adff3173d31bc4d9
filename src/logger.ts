import { createHmac, randomBytes } from 'node:crypto'
import { pino, type Logger, type LoggerOptions } from 'pino'
import pretty from 'pino-pretty'
import type { Config } from './config/config.js'
import type { LogClientIp } from './config/config-schema.js'
import { clientKey } from './http/client-address.js'

/**
 * How the access log shows a client's address (LOG_CLIENT_IP):
 * - `pseudonymise` (the default): a keyed hash of the client (its IPv4 address, or IPv6 /64), so
 *   one client's requests can be told apart and followed within a run, but the address cannot be
 *   recovered from the log. The key is random and lives only in this process's memory: it is never
 *   written anywhere, so an erasure is not undone by the logs, and pseudonyms do not link across
 *   restarts (an unkeyed hash would not do: the IPv4 space is small enough to hash whole);
 * - `omit`: no address at all;
 * - `full`: the address as it is (when the logs are themselves handled as personal data).
 */
export function clientAddressForLog(mode: LogClientIp, key: Buffer = randomBytes(32)): (ip: string) => string | undefined {
  if (mode === 'full') return (ip) => ip
  if (mode === 'omit') return () => undefined
  return (ip) => `client-${createHmac('sha256', key).update(clientKey(ip)).digest('base64url').slice(0, 16)}`
}

interface LoggedRequest {
  method: string
  url: string
  host?: string
  ip: string
  socket?: { remotePort?: number }
}

export function loggerOptions(config: Pick<Config, 'logLevel'> & { logClientIp?: LogClientIp }): LoggerOptions {
  const mode = config.logClientIp ?? 'pseudonymise'
  const address = clientAddressForLog(mode)
  return {
    level: config.logLevel,
    serializers: {
      // Fastify's request serializer, with the client's address as LOG_CLIENT_IP says.
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: request.url,
        host: request.host,
        remoteAddress: address(request.ip),
        ...(mode === 'full' ? { remotePort: request.socket?.remotePort } : {}),
      }),
    },
    // Tokens never reach the logs, even if a serializer starts logging headers.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-receipt-token"]',
        'headers.authorization',
        'headers["x-receipt-token"]',
        'req.raw.headers.authorization',
        'req.raw.headers["x-receipt-token"]',
        'req.raw.rawHeaders',
      ],
      censor: '[redacted]',
    },
  }
}

/** Pretty when asked, or on a terminal when left to `auto`; JSON otherwise (files, pipes, Docker). */
export function prettyLogs(format: Config['logFormat'], isTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTty)
}

/**
 * The server's logger. Pretty logs are one readable line per event (a request is one line: the
 * message says method, path, status and time); the structured fields stay in the JSON form only.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat' | 'logClientIp'>, output: { isTTY?: boolean } = process.stdout): Logger {
  if (!prettyLogs(config.logFormat, output.isTTY === true)) return pino(loggerOptions(config))
  return pino(loggerOptions(config), pretty({
    colorize: output.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,req,res,responseTime,requestId',
    sync: true,
  }))
}

