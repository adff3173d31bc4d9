/**
 * Spec-driven fuzzing of the whole API (see test/fuzz/fuzz-engine.ts).
 *
 *   npm run fuzz                                  # 2,000 cases
 *   npm run fuzz -- --runs 100000
 *   npm run fuzz -- --seed 123456 [--path 42:1]   # replay the failure a run printed
 *   npm run fuzz -- --runs 500 --shrink           # shrink a failure to a smaller case
 *   npm run fuzz -- --runs 100000 --max-minutes 30  # stop after 30 minutes, reporting how many ran
 *
 * Uses PGlite, or a fresh database on DATABASE_URL's server when it is set. Prints the counts per
 * operation and status; exits non-zero on a failure or inconsistent stored data.
 */
import { parseArgs } from 'node:util'
import { formatCounts, runFuzz, startFuzzTarget } from '../test/fuzz/fuzz-engine.js'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    shrink: { type: 'boolean', default: false },
    'max-minutes': { type: 'string' },
  },
})
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer')

const target = await startFuzzTarget()
const started = Date.now()
console.log(`fuzz: ${runs} cases on ${target.db.kind === 'external' ? 'PostgreSQL' : 'PGlite'}${values.seed ? `, seed ${values.seed}` : ''}`)
const report = await runFuzz(target, {
  runs,
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  ...(values.path ? { path: values.path } : {}),
  shrink: values.shrink,
  ...(values['max-minutes'] ? { timeLimitMs: Number(values['max-minutes']) * 60_000 } : {}),
  onProgress: (done) => {
    if (done % 5000 === 0) console.log(`  ${done} cases, ${Math.round(done / ((Date.now() - started) / 1000))}/s`)
  },
})
await target.close()

const total = Object.values(report.counts).reduce((sum, byStatus) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0)
const byStatus: Record<string, number> = {}
for (const statuses of Object.values(report.counts)) for (const [status, count] of Object.entries(statuses)) byStatus[status] = (byStatus[status] ?? 0) + count
console.log(`\n${'operation'.padEnd(26)} ${'cases'.padStart(7)}  status:count`)
console.log(formatCounts(report.counts))
console.log(`\n${total} requests in ${(report.elapsedMs / 1000).toFixed(1)} s; by status: ${Object.entries(byStatus).map(([s, c]) => `${s}:${c}`).join(' ')}`)
if (report.interrupted) console.log(`stopped by --max-minutes after ${report.runs} of ${runs} cases`)
console.log(`stored data: ${report.consistency.length === 0 ? 'consistent' : report.consistency.join('; ')}`)
if (report.failed) {
  console.log(`\nFAILED after ${report.runs} cases (seed ${report.seed}):\n${report.failure}`)
  console.log(`reproduce: npm run fuzz -- --seed ${report.seed}${report.counterexamplePath ? ` --path ${report.counterexamplePath}` : ''} --runs ${runs}`)
}
console.log(`seed ${report.seed}`)
process.exit(report.failed || report.consistency.length > 0 ? 1 : 0)
