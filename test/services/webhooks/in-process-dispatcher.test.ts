import t from 'tap'
import { retryDelayMs } from '../../../src/services/webhooks/in-process-dispatcher.js'

t.test('retry delays double from the base, with 50–100 % jitter, up to the maximum', async (t) => {
  const settings = { retryBaseMs: 1_000, retryMaxMs: 60_000 }
  t.equal(retryDelayMs(1, settings, () => 1), 1_000, 'attempt 1: the base')
  t.equal(retryDelayMs(1, settings, () => 0), 500, 'jitter halves it at most')
  t.equal(retryDelayMs(4, settings, () => 1), 8_000, 'attempt 4: 2³ × base')
  t.equal(retryDelayMs(20, settings, () => 1), 60_000, 'capped')
  t.equal(retryDelayMs(20, settings, () => 0), 30_000)
  for (let attempt = 1; attempt <= 10; attempt++) {
    const delay = retryDelayMs(attempt, settings)
    const ceiling = Math.min(60_000, 1_000 * 2 ** (attempt - 1))
    t.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay} ms within [${ceiling / 2}, ${ceiling}]`)
  }
})
