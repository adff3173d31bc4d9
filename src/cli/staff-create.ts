import { parseArgs } from 'node:util'
import { withPrisma } from '../db/with-prisma.js'
import { createStaffService } from '../services/staff-service.js'
import { runCommand, usageError } from './command.js'

const ROLES = ['editor', 'moderator', 'admin'] as const
type Role = (typeof ROLES)[number]

// Arguments are checked before the database is opened, so a typo fails at once.
const { values } = parseArgs({ options: { name: { type: 'string' }, role: { type: 'string' } } })
const name = values.name?.trim()
if (!name || name.length > 200) usageError('staff:create', '--name is required (1 to 200 characters), e.g. --name "Ada Lovelace"')
if (!ROLES.includes(values.role as Role)) usageError('staff:create', `--role must be one of: ${ROLES.join(', ')}`)

await runCommand('staff:create', async ({ config, database }) => {
  const created = await withPrisma(database.url, config, (prisma) =>
    createStaffService(prisma).createStaffMember(name, values.role as Role),
  )
  process.stdout.write(
    `Created ${created.staffMember.role} "${created.staffMember.name}" (${created.staffMember.id}).\n` +
      'Their API token is shown only this once; store it now:\n\n' +
      `${created.token}\n\n` +
      `Revoke it with: npm run staff:revoke -- --token-id ${created.tokenId}\n`,
  )
})
