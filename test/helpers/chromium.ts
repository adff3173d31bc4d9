// Debian's headless Chromium, driven by playwright-core, for the tests that need a real browser
// (the docs page, cross-origin calls). In CI (CI=true, as .ci/run runs, which installs the package)
// they never skip: without /usr/bin/chromium they fail. On a developer's machine without Chromium
// they are skipped, loudly, so that `npm test` on a fresh clone needs nothing installed by hand.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Test } from 'tap'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { checkResponse } from './openapi-contract.js'

export const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

/** The `skip` option for a test that needs Chromium: false where it must (or can) run. */
export const skipWithoutChromium: string | false =
  process.env.CI !== 'true' && !existsSync(CHROMIUM) ? `needs Debian's chromium at ${CHROMIUM} (apt-get install chromium); CI always runs it` : false

/** A fresh browser profile and its first page, closed and removed when the test ends. */
export async function openChromiumPage(t: Test): Promise<{ browser: BrowserContext; page: Page }> {
  const profile = await mkdtemp(path.join(tmpdir(), 'acupoint-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 })
  t.teardown(async () => {
    await browser.close()
    await rm(profile, { recursive: true, force: true })
  })
  const page = browser.pages()[0] ?? (await browser.newPage())
  page.setDefaultTimeout(60_000)
  return { browser, page }
}

/**
 * Checks every response the page receives from the API (paths under /v1/) against openapi.yaml.
 * Await the returned function once the page is done: it resolves when every check has run. The
 * page must read each body it fetches, or its check waits for a body that never loads.
 */
export function checkApiResponses(t: Test, page: Page): () => Promise<number> {
  const checks: Promise<void>[] = []
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (!url.pathname.startsWith('/v1/')) return
    checks.push((async () => {
      const violations = checkResponse({
        method: response.request().method(),
        path: url.pathname + url.search,
        statusCode: response.status(),
        headers: await response.allHeaders(),
        body: response.request().method() === 'OPTIONS' ? '' : await response.text(),
      })
      if (violations.length > 0) t.fail(`the page received a response the document does not allow:\n${violations.join('\n')}`)
    })())
  })
  return async () => {
    await Promise.all(checks)
    return checks.length
  }
}
