import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config/config.js'
import { openDatabase, prepareDatabase } from './db/database-runtime.js'
import { createLogger } from './logger.js'

function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}

const config = loadConfigOrExit()
const log = createLogger(config)

const database = await openDatabase(config, log, { shareRunningServer: false }).catch((error: Error) => {
  log.fatal(error.message)
  process.exit(1)
})
log.info({ database: database.kind }, `using ${database.description}`)

try {
  await prepareDatabase(database, config, log)
} catch (error) {
  log.fatal({ err: error }, 'could not prepare the database')
  await database.close()
  process.exit(1)
}

const app = await buildApp({ ...config, databaseUrl: database.url }, { loggerInstance: log })

closeWithGrace({ delay: config.shutdownGraceMs, logger: log }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an uncaught error')
  else log.info({ signal }, 'shutting down: finishing in-flight requests')
  await app.close()
  await database.close()
})

try {
  const address = await app.listen({ host: config.host, port: config.port })
  const publicAddress = config.publicUrl ?? address
  log.info(`acupoint-api is ready at ${address} (docs: ${publicAddress}/docs, OpenAPI: ${publicAddress}/openapi.yaml, database: ${database.description})`)
} catch (error) {
  log.fatal({ err: error }, 'could not start listening')
  await app.close()
  await database.close()
  process.exit(1)
}
