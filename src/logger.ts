import { pino, type Logger, type LoggerOptions } from 'pino'
import pretty from 'pino-pretty'
import type { Config } from './config/config.js'

export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
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
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, output: { isTTY?: boolean } = process.stdout): Logger {
  if (!prettyLogs(config.logFormat, output.isTTY === true)) return pino(loggerOptions(config))
  return pino(loggerOptions(config), pretty({
    colorize: output.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,req,res,responseTime,requestId',
    sync: true,
  }))
}
