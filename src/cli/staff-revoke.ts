import { parseArgs } from 'node:util'
import { withPrisma } from '../db/with-prisma.js'
import { createStaffService } from '../services/staff-service.js'
import { runCommand, usageError } from './command.js'

const { values } = parseArgs({ options: { 'token-id': { type: 'string' } } })
const tokenId = values['token-id'] ?? usageError('staff:revoke', '--token-id is required (the 16 hex characters after "acp_")')

await runCommand('staff:revoke', async ({ config, database }) => {
  const revoked = await withPrisma(database.url, config, (prisma) => createStaffService(prisma).revokeToken(tokenId))
  if (!revoked) throw new Error(`No active token has the id ${tokenId}.`)
  process.stdout.write(`Revoked token ${tokenId}.\n`)
})
