import t from 'tap'
import { listOperations } from '../helpers/openapi-spec.js'
import { formatCounts, runFuzz, startFuzzTarget } from './fuzz-engine.js'

// Bounded for CI; `npm run fuzz -- --runs N` runs as many as asked.
const RUNS = 2000
// Every case is a real request against a real database: give a slow CI machine time.
t.setTimeout(900_000)

t.test(`${RUNS} spec-driven hostile requests: declared statuses, bodies as specified, no 5xx, consistent data`, async (t) => {
  const target = await startFuzzTarget()
  t.teardown(() => target.close())
  const report = await runFuzz(target, { runs: RUNS })
  t.comment(`seed ${report.seed}, ${(report.elapsedMs / 1000).toFixed(1)} s\n${formatCounts(report.counts)}`)
  t.notOk(report.failed, report.failed ? `${report.failure}\nreproduce: npm run fuzz -- --seed ${report.seed} --path ${report.counterexamplePath}` : 'every response conforms')
  t.same(report.consistency, [], 'stored data stays consistent')
  if (!report.failed) {
    // HEAD operations are their GETs without the body, not fuzzed separately (fuzz-engine.ts).
    const missed = listOperations().filter((operation) => !operation.path.startsWith('/docs') && operation.method !== 'HEAD' && !report.counts[operation.operationId])
    t.same(missed.map((operation) => operation.operationId), [], 'every operation was exercised')
  }
})
