import { pino, type Logger } from 'pino'
import { ConfigError, loadConfig, type Config } from '../config/config.js'
import { openDatabase, prepareDatabase, type OpenDatabase } from '../db/database-runtime.js'

export interface CommandContext {
  config: Config
  log: Logger
  database: OpenDatabase
}

/** Stops a command before it touches the database, with one line saying what is wrong. */
export function usageError(name: string, message: string): never {
  process.stderr.write(`${name}: ${message}\n`)
  process.exit(2)
}

/**
 * Runs a command-line task against the configured database (DATABASE_URL, or the embedded one,
 * shared with a running server if there is one). Failures print one line, not a stack.
 */
export async function runCommand(
  name: string,
  task: (context: CommandContext) => Promise<void>,
  options: { prepare?: boolean } = {},
): Promise<void> {
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name })
  let database: OpenDatabase | undefined
  try {
    database = await openDatabase(config, log, { shareRunningServer: true })
    // An embedded database this command had to start itself may be brand new: prepare it as the server would.
    if (options.prepare !== false) await prepareDatabase(database, config, log)
    await task({ config, log, database })
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  } finally {
    await database?.close()
  }
}
