// The docs page in a real browser (test/helpers/chromium.ts): headless Chromium opens /docs on a
// listening server, finds the operations, and runs one "try it out" call against it.
import t from 'tap'
import { buildTestApp } from '../helpers/build-test-app.js'
import { checkApiResponses, openChromiumPage, skipWithoutChromium } from '../helpers/chromium.js'
import { openApiContract } from '../helpers/openapi-contract.js'

t.test('/docs lists the operations and runs a call against the live server', { skip: skipWithoutChromium }, async (t) => {
  const { app } = await buildTestApp(t)
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })

  const { page } = await openChromiumPage(t)
  // Anything the page's calls to the API receive must match the document as well.
  const apiCallsChecked = checkApiResponses(t, page)
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

  t.ok(await apiCallsChecked() >= 1, 'the call was checked against the document')
  t.same(pageErrors, [], 'no script errors on the page')
})
