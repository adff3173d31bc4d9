import { withPrisma } from '../db/with-prisma.js'
import { seedDatabase } from '../seed/seed-database.js'
import { runCommand } from './command.js'

await runCommand('db:seed', async ({ config, database, log }) => {
  await withPrisma(database.url, config, (prisma) => seedDatabase(prisma, log))
  process.stdout.write(`Seeded ${database.description}.\n`)
})
