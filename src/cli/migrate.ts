import { applyMigrations } from '../db/schema-engine.js'
import { runCommand } from './command.js'

await runCommand('db:migrate', async ({ database }) => {
  const applied = await applyMigrations(database.url)
  process.stdout.write(
    applied.length > 0 ? `Applied ${applied.length} migration(s) to ${database.description}:\n${applied.map((name) => `  ${name}\n`).join('')}`
      : `No pending migrations: ${database.description} is up to date.\n`,
  )
}, { prepare: false })
