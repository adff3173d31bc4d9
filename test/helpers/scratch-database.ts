import { randomBytes } from 'node:crypto'
import pg from 'pg'

async function runOnServer(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/**
 * A new, empty database with a random name (`<prefix>_<hex>`) on the server at `adminUrl`, for a
 * test file or a soak run of its own. `drop()` removes it, cutting any connection still open.
 */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await runOnServer(adminUrl, `CREATE DATABASE "${name}"`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => runOnServer(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) }
}
