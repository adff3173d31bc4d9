import type { LoggerOptions } from 'pino'
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
