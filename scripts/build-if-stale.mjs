// `npm start`'s build step: compiles only when something tsc reads changed since the last build
// (the newest source, config or generated Prisma client file against dist/.tsbuildinfo). The check
// takes milliseconds; the build itself is incremental (tsconfig.build.json), so a stale one
// recompiles only what changed.
/* global process, console */
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const stamp = path.join(root, 'dist', '.tsbuildinfo')
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json']

function newest(entry) {
  const stats = statSync(entry, { throwIfNoEntry: false })
  if (!stats) return 0
  if (!stats.isDirectory()) return stats.mtimeMs
  return Math.max(stats.mtimeMs, ...readdirSync(entry).map((name) => newest(path.join(entry, name))))
}

const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0
const changed = Math.max(...inputs.map((input) => newest(path.join(root, input))))
if (built >= changed) {
  console.log('dist/ is up to date with src/: not recompiling')
} else {
  console.log(built === 0 ? 'compiling src/ to dist/' : 'src/ changed since the last build: recompiling (incrementally)')
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  // tsc leaves the build info as it was when no output changed (a touched file): mark it current.
  if (result.status === 0) utimesSync(stamp, new Date(), new Date())
  process.exit(result.status ?? 1)
}
