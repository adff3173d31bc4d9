// The docs page in a real browser: Debian's headless Chromium, driven by playwright-core, opens
// /docs on a listening server, finds the operations, and runs one "try it out" call against it.
// In CI (CI=true, as .ci/run runs, which installs the package) it never skips: without
// /usr/bin/chromium it fails. On a developer's machine without Chromium it is skipped, loudly, so
// that `npm test` on a fresh clone needs nothing installed by hand.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { chromium } from 'playwright-core'
import { buildTestApp } from '../helpers/build-test-app.js'
import { checkResponse, openApiContract } from '../helpers/openapi-contract.js'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

const inCi = process.env.CI === 'true'
const skip = !inCi && !existsSync(CHROMIUM) ? `needs Debian's chromium at ${CHROMIUM} (apt-get install chromium); CI always runs it` : false

t.test('/docs lists the operations and runs a call against the live server', { skip }, async (t) => {
  const { app } = await buildTestApp(t)
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })

  const profile = await mkdtemp(path.join(tmpdir(), 'acupoint-docs-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  })
  t.teardown(async () => {
    await browser.close()
    await rm(profile, { recursive: true, force: true })
  })
  const page = browser.pages()[0] ?? (await browser.newPage())
  page.setDefaultTimeout(60_000)

  // Anything the page's calls to the API receive must match the document as well.
  const apiCalls: Promise<void>[] = []
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (!url.pathname.startsWith('/v1/')) return
    apiCalls.push((async () => {
      const violations = checkResponse({
        method: response.request().method(),
        path: url.pathname + url.search,
        statusCode: response.status(),
        headers: await response.allHeaders(),
        body: await response.text(),
      })
      if (violations.length > 0) t.fail(`the docs page received a response the document does not allow:\n${violations.join('\n')}`)
    })())
  })
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))

  await page.goto(`${baseUrl}/docs`)
  await page.locator('.opblock').first().waitFor()
  t.match(await page.locator('.info .title').innerText(), /acupoint-api/, 'the document\'s title is shown')

  // Every operation of the document is listed, under its tag.
  const methods = await page.locator('.opblock .opblock-summary-method').allInnerTexts()
  const paths = await page.locator('.opblock .opblock-summary-path').evaluateAll((elements) => elements.map((element) => (element as unknown as { getAttribute(name: string): string | null }).getAttribute('data-path')))
  const listed = methods.map((method, index) => `${method.trim()} ${paths[index]}`)
  const documented = Object.entries(openApiContract().document.paths).flatMap(([pathTemplate, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${pathTemplate}`),
  )
  t.same([...listed].sort(), [...documented].sort(), `all ${documented.length} operations are listed`)

  // Try it out: GET /v1/acupoints/{code} for LI20, sent by the page to the live server.
  const operation = page.locator('#operations-acupoints-getAcupoint')
  await operation.locator('.opblock-summary').click()
  const tryOut = operation.locator('button.try-out__btn')
  if (await tryOut.isVisible() && (await tryOut.innerText()).trim() === 'Try it out') await tryOut.click()
  await operation.locator('tr[data-param-name="code"] input').fill('LI20')
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/acupoints/LI20')
  await operation.locator('button.execute').click()
  const response = await answered
  t.equal(response.status(), 200, 'the live server answered 200')
  const shown = operation.locator('.live-responses-table .response .response-col_status').first()
  await shown.waitFor()
  t.equal((await shown.innerText()).trim(), '200', 'the page shows the 200')
  t.match(await operation.locator('.live-responses-table .response .response-col_description').first().innerText(), /"code": "LI20"/, 'and the body')

  await Promise.all(apiCalls)
  t.ok(apiCalls.length >= 1, 'the call was checked against the document')
  t.same(pageErrors, [], 'no script errors on the page')
})
