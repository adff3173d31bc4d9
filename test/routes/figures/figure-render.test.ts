// The figures in a real browser (headless Chromium, see test/helpers/chromium.ts): each SVG is opened
// from a listening server, under its own strict CSP, and the test measures what was drawn: where the
// points, labels and features are, relative to each other, and the colour of the pixels under the
// points in a screenshot.
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { buildTestApp } from '../../helpers/build-test-app.js'
import { skipWithoutChromium as skip, openChromiumPage } from '../../helpers/chromium.js'
import { SEED_SLUG } from '../../helpers/comments.js'

// The functions below that Chromium runs use the DOM; the project compiles without its library.
declare const document: any
declare const Image: any

interface Box { x: number; y: number; width: number; height: number; cx: number; cy: number; code?: string; side?: string; text?: string }

/** Everything the figure drew that the checks need, measured by the browser's layout. */
async function measure(page: Page) {
  return page.evaluate(() => {
    const box = (element: any) => {
      const rect = element.getBoundingClientRect()
      return {
        x: rect.x, y: rect.y, width: rect.width, height: rect.height, cx: rect.x + rect.width / 2, cy: rect.y + rect.height / 2,
        code: element.getAttribute('data-code') ?? undefined, side: element.getAttribute('data-side') ?? undefined,
        text: element.textContent ?? undefined, view: element.getAttribute('data-view') ?? undefined,
      }
    }
    const root = document.documentElement
    return {
      namespace: root.namespaceURI,
      parseErrors: document.getElementsByTagName('parsererror').length,
      title: root.querySelector('title')?.textContent ?? null,
      desc: root.querySelector('desc')?.textContent ?? null,
      size: box(root),
      points: [...root.querySelectorAll('circle.point')].map(box),
      labels: [...root.querySelectorAll('text.label')].map(box),
      landmarks: Object.fromEntries(['pupil', 'eyebrow', 'eye', 'nose', 'mouth', 'outline', 'ear'].map((name) =>
        [name, [...root.querySelectorAll(`[data-landmark="${name}"]`)].map(box)])),
    }
  })
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

t.test('the figures render in Chromium with the points where they belong', { skip }, async (t) => {
  const { app } = await buildTestApp(t)
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const { browser, page } = await openChromiumPage(t)
  const violations: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') violations.push(message.text()) })
  page.on('pageerror', (error) => violations.push(error.message))

  t.test('the article: a face from the front, six points, eleven marks', async (t) => {
    await page.setViewportSize({ width: 1000, height: 800 })
    const response = await page.goto(`${baseUrl}/v1/articles/${SEED_SLUG}/figure.svg`)
    t.equal(response?.status(), 200)
    t.equal(response?.headers()['content-type'], 'image/svg+xml; charset=utf-8')
    const drawn = await measure(page)
    t.equal(drawn.namespace, 'http://www.w3.org/2000/svg', 'Chromium opened it as an SVG document')
    t.equal(drawn.parseErrors, 0, 'well-formed XML')
    t.match(drawn.title, /six points/, 'it has a title')
    t.match(drawn.desc, /LI20 \(Yingxiang\), on both sides/, 'and a description a screen reader can read')

    const mark = (code: string, side: string) => {
      const found = drawn.points.find((point) => point.code === code && point.side === side)
      if (!found) throw new Error(`no ${side} mark for ${code}`)
      return found
    }
    const yintang = mark('EX-HN3', 'midline')
    const [rightPupil, leftPupil] = ['right', 'left'].map((side) => drawn.landmarks.pupil!.find((pupil) => pupil.side === side)!)
    const [rightBrow, leftBrow] = ['right', 'left'].map((side) => drawn.landmarks.eyebrow!.find((brow) => brow.side === side)!)
    const nose = drawn.landmarks.nose![0]!
    const mouth = drawn.landmarks.mouth![0]!
    t.equal(drawn.points.length, 11, 'one mark for Yintang, two for each of the five bilateral points')

    // The person's right is on the viewer's left.
    for (const [side, pupil, brow, sign] of [['right', rightPupil!, rightBrow!, -1], ['left', leftPupil!, leftBrow!, 1]] as const) {
      const gb14 = mark('GB14', side)
      const st2 = mark('ST2', side)
      const st4 = mark('ST4', side)
      const li20 = mark('LI20', side)
      const si18 = mark('SI18', side)
      t.ok(Math.abs(gb14.cx - pupil.cx) < 3 && gb14.cy < brow.y, `${side} GB14: above the eyebrow, straight above the pupil`)
      t.ok(Math.abs(st2.cx - pupil.cx) < 3 && st2.cy > pupil.cy + 20, `${side} ST2: straight below the pupil`)
      t.ok(st2.cy > gb14.cy, `${side} ST2 is below GB14`)
      t.ok(st4.cy > mouth.y && st4.cy < mouth.y + mouth.height, `${side} ST4: level with the mouth`)
      t.ok(sign * (st4.cx - (sign < 0 ? mouth.x : mouth.x + mouth.width)) > 0 && Math.abs(st4.cx - (sign < 0 ? mouth.x : mouth.x + mouth.width)) < 40,
        `${side} ST4: just outside the corner of the mouth`)
      t.ok(li20.cy > nose.y && li20.cy < nose.y + nose.height, `${side} LI20: level with the wing of the nose`)
      t.ok(sign * (li20.cx - (sign < 0 ? nose.x : nose.x + nose.width)) > 0 && Math.abs(li20.cx - (sign < 0 ? nose.x : nose.x + nose.width)) < 30,
        `${side} LI20: just beside the nose`)
      t.ok(sign * (si18.cx - pupil.cx) > 20 && si18.cy > st2.cy && si18.cy < st4.cy, `${side} SI18: outside the pupil line, below ST2, above the mouth`)
    }
    t.ok(Math.abs(yintang.cx - (mark('GB14', 'right').cx + mark('GB14', 'left').cx) / 2) < 1.5, 'Yintang is centred between the two GB14s')
    t.ok(Math.abs(yintang.cx - (rightPupil!.cx + leftPupil!.cx) / 2) < 1.5, 'on the midline between the eyes')
    t.ok(yintang.cy > rightBrow!.y && yintang.cy < rightBrow!.y + rightBrow!.height + 6 && yintang.cx > rightBrow!.x + rightBrow!.width && yintang.cx < leftBrow!.x,
      'between the inner ends of the brows')
    for (const code of ['GB14', 'ST2', 'ST4', 'SI18', 'LI20']) {
      const [right, left] = [mark(code, 'right'), mark(code, 'left')]
      t.ok(Math.abs((yintang.cx - right.cx) - (left.cx - yintang.cx)) < 1.5 && Math.abs(right.cy - left.cy) < 1, `${code}: the two sides mirror each other`)
    }

    // Labels: code and pinyin, on the side of their point, apart from each other, inside the figure.
    t.equal(drawn.labels.length, 11)
    for (const label of drawn.labels) {
      const point = mark(label.code!, label.side!)
      t.match(label.text, new RegExp(`^${label.code} [A-Z][a-z]+$`), `label "${label.text}"`)
      if (label.side === 'right') t.ok(label.x + label.width < point.cx, `${label.text} (right side) is left of its point`)
      else t.ok(label.x > point.cx, `${label.text} (${label.side}) is right of its point`)
      t.ok(label.x >= 0 && label.y >= 0 && label.x + label.width <= drawn.size.width && label.y + label.height <= drawn.size.height, `${label.text}: inside the figure`)
    }
    const clashes = drawn.labels.flatMap((a, i) => drawn.labels.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.text} / ${b.text}`))
    t.same(clashes, [], 'no two labels overlap')

    // The screenshot: the pixels under every mark are the marks' red, on a white figure.
    // caret 'initial': hiding the caret injects a style, which the figure's CSP (rightly) refuses.
    const clip = { x: 0, y: 0, width: Math.ceil(drawn.size.width), height: Math.ceil(drawn.size.height) }
    const png = await page.screenshot({ caret: 'initial', animations: 'allow', timeout: 20_000, clip })
    const file = path.join(tmpdir(), 'acupoint-figure-article.png')
    await writeFile(file, png)
    t.comment(`screenshot: ${file}`)
    const colours = await pixelsAt(browser.newPage.bind(browser), png, [...drawn.points.map((point) => [point.cx, point.cy] as const), [5, 5]])
    for (const [index, point] of drawn.points.entries()) {
      const [r = 0, g = 0, b = 0] = colours[index]!
      t.ok(r > 150 && g < 100 && b < 100, `the screenshot shows ${point.code} (${point.side}) in red: rgb(${r}, ${g}, ${b})`)
    }
    t.same(colours.at(-1), [255, 255, 255], 'and a white background')
  })

  t.test('a lateral view: points by the ear and on the crown', async (t) => {
    await page.setViewportSize({ width: 1800, height: 800 })
    for (const [code, check] of [
      ['GB2', (point: Box, ear: Box, outline: Box) => point.cx < ear.x && point.cx > ear.x - 25 && point.cy > ear.y && point.cy < ear.y + ear.height && outline.x < point.cx],
      ['TE17', (point: Box, ear: Box) => point.cy > ear.y + ear.height * 0.6 && point.cx > ear.x],
      ['GV20', (point: Box, ear: Box, outline: Box) => Math.abs(point.cy - outline.y) < 6 && Math.abs(point.cx - ear.cx) < 30],
    ] as const) {
      const response = await page.goto(`${baseUrl}/v1/acupoints/${code}/figure.svg`)
      t.equal(response?.status(), 200)
      const drawn = await measure(page)
      const lateral = drawn.points.find((point) => (point as Box & { view?: string }).view === 'lateral')
      const ear = drawn.landmarks.ear![0]!
      const outline = drawn.landmarks.outline!.at(-1)!
      t.ok(lateral && check(lateral, ear, outline), `${code} sits where its location puts it, relative to the drawn ear and head`)
    }
  })

  t.same(violations, [], 'no errors or CSP violations in the browser')
})

/** The RGB colour at each (x, y) of a PNG, read back by the browser from a canvas. */
async function pixelsAt(newPage: () => Promise<Page>, png: Buffer, at: ReadonlyArray<readonly [number, number]>): Promise<number[][]> {
  const page = await newPage()
  try {
    await page.setContent('<canvas></canvas>')
    return await page.evaluate(async ({ data, points }) => {
      const image = new Image()
      image.src = `data:image/png;base64,${data}`
      await image.decode()
      const canvas = document.querySelector('canvas')!
      canvas.width = image.width
      canvas.height = image.height
      const context = canvas.getContext('2d')!
      context.drawImage(image, 0, 0)
      return points.map(([x, y]) => [...context.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3)])
    }, { data: png.toString('base64'), points: at as Array<readonly [number, number]> })
  } finally {
    await page.close()
  }
}
