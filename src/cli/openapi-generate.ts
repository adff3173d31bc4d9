import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { buildApp } from '../app.js'
import { loadConfig } from '../config/config.js'
import { projectRoot } from '../paths.js'

// Builds the app exactly as the server does (no database is contacted) and writes its document.
const check = process.argv.includes('--check')
const target = path.join(projectRoot, 'openapi.yaml')
const app = await buildApp({ ...loadConfig({ LOG_LEVEL: 'silent' }), databaseUrl: 'postgresql://openapi@127.0.0.1:1/none' })
await app.ready()
const yaml = app.swagger({ yaml: true })
await app.close()

if (check) {
  const committed = await readFile(target, 'utf8').catch(() => '')
  if (committed !== yaml) {
    process.stderr.write('openapi.yaml is stale: it differs from what the routes declare. Run npm run openapi:generate and commit it.\n')
    process.exit(1)
  }
  process.stdout.write('openapi.yaml matches the routes.\n')
} else {
  await writeFile(target, yaml)
  process.stdout.write(`Wrote ${target}\n`)
}
