import { migrate } from '../db/database-runtime.js'
import { runCommand } from './command.js'

await runCommand('db:migrate', async ({ config, database, log }) => {
  const applied = await migrate(config.database.directUrl ?? database.url, log, config)
  process.stdout.write(
    applied.length > 0 ? `Applied ${applied.length} migration(s) to ${database.description}:\n${applied.map((name) => `  ${name}\n`).join('')}`
      : `No pending migrations: ${database.description} is up to date.\n`,
  )
}, { prepare: false })
