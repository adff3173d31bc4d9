import type { FigurePosition } from '../../seed/seed-data.js'

/**
 * Schematic SVG figures of the head: a front view of the face and a lateral view (the person's left
 * side). The features are drawn at the landmarks of prisma/seed/data/head-figure.json, in the same
 * proportional coordinates as the points' positions, so a point stored "below the pupil" is drawn
 * below the drawn pupil. Labels sit in columns beside the head, joined to their points by leader lines.
 *
 * The output is self-contained: no scripts, styles, fonts or links, only presentation attributes,
 * so it renders under `Content-Security-Policy: default-src 'none'` and inside an <img>.
 */

export type View = 'front' | 'lateral'
export type Landmarks = Record<View, Record<string, FigurePosition>>

export interface FigureMarker {
  code: string
  pinyin: string
  position: FigurePosition
  /** Drawn hollow and explained in the description (a point inside the mouth). */
  note?: string
}

export interface FigureSpec {
  title: string
  /** Sentences for <desc>, before the list of points. */
  summary: string
  views: Array<{ view: View; markers: Array<FigureMarker & { location: string | null }> }>
}

// Scale: one unit of y is the head's height (230 mm) in pixels; x units follow the real proportions.
const HEIGHT = 520
const FRONT_HALF_WIDTH = HEIGHT * (75 / 230)
const LATERAL_LENGTH = HEIGHT * (215 / 230)
const TOP = 64
const LABEL_COLUMN = 190
const LABEL_GAP = 18
const FONT_SIZE = 13
const PANEL_GAP = 30

const INK = '#5b4636'
const SKIN = '#fbeee4'
const FAINT = '#c9a992'
const MARK = '#c0392b'

const esc = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
const n = (value: number) => (Math.round(value * 10) / 10).toString()

type Pt = [number, number]

/** A smooth closed or open path through points (Catmull-Rom turned into cubic Béziers). */
function smooth(points: Pt[], closed = false): string {
  const pts = closed ? [points.at(-1)!, ...points, points[0]!, points[1]!] : [points[0]!, ...points, points.at(-1)!]
  let d = `M${n(pts[1]![0])},${n(pts[1]![1])}`
  for (let i = 1; i < pts.length - 2; i++) {
    const [p0, p1, p2, p3] = [pts[i - 1]!, pts[i]!, pts[i + 1]!, pts[i + 2]!]
    const c1: Pt = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6]
    const c2: Pt = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6]
    d += ` C${n(c1[0])},${n(c1[1])} ${n(c2[0])},${n(c2[1])} ${n(p2[0])},${n(p2[1])}`
  }
  return closed ? `${d} Z` : d
}

const path = (d: string, attributes: string) => `<path d="${d}" ${attributes}/>`
const line = (color: string, width: number) => `stroke="${color}" stroke-width="${width}" stroke-linecap="round" stroke-linejoin="round"`
const stroke = (color: string, width: number, extra = '') => `fill="none" ${line(color, width)}${extra}`
const filled = (fill: string, color: string, width: number) => `fill="${fill}" ${line(color, width)}`

interface Panel {
  width: number
  /** Proportional position → pixels; `side` −1 mirrors a front-view point to the person's right. */
  px(position: FigurePosition, side?: 1 | -1): Pt
  drawing: string
  /** Where labels go: the x of each column's inner edge, and which column a marker's label takes. */
  columns: { left: number; right: number }
}

function frontPanel(landmarks: Landmarks['front'], offsetX: number): Panel {
  const cx = offsetX + LABEL_COLUMN + FRONT_HALF_WIDTH * 1.15
  const px = (p: FigurePosition, side: 1 | -1 = 1): Pt => [cx + side * p.x * FRONT_HALF_WIDTH, TOP + p.y * HEIGHT]
  const at = (name: string, side: 1 | -1 = 1) => px(landmarks[name]!, side)
  const L = (name: string) => landmarks[name]!
  const both = (draw: (side: 1 | -1) => string) => draw(-1) + draw(1)
  const sideName = (side: 1 | -1) => (side < 0 ? 'right' : 'left')
  /** Proportional [x, y] pairs on one side, in pixels. */
  const on = (side: 1 | -1, pairs: Array<[number, number]>) => pairs.map(([x, y]) => px({ x, y }, side))

  // Head outline: the person's left half from the vertex to the chin, mirrored.
  const half = (side: 1 | -1): Pt[] => [
    [0, 0], [0.45, 0.03], [0.75, 0.11], [0.93, 0.25], [0.99, 0.38], [0.95, 0.5], [0.92, 0.62], [0.87, 0.74],
    [L('mandibleAngle').x, L('mandibleAngle').y], [0.5, 0.955], [0.22, 0.995],
  ].map(([x, y]) => px({ x: x!, y: y! }, side))
  const outline = [...half(1), at('menton'), ...half(-1).reverse().slice(0, -1)]
  const ears = both((side) => path(smooth(on(side, [[0.95, 0.45], [1.06, 0.43], [1.1, 0.52], [1.06, 0.66], [0.97, 0.71], [0.92, 0.66]])), filled(SKIN, INK, 1.6)))
  const hairline = both((side) => path(
    smooth([at('anteriorHairline'), ...on(side, [[0.45, 0.21], [0.72, 0.25], [0.86, 0.36], [0.9, 0.46]])]),
    stroke(FAINT, 1.4, ' stroke-dasharray="5 4"'),
  ))
  const brows = both((side) => path(
    smooth([at('eyebrowInnerEnd', side), at('eyebrowPeak', side), at('eyebrowOuterEnd', side)]),
    `${stroke(INK, 4.5)} data-landmark="eyebrow" data-side="${sideName(side)}"`,
  ))
  const eyes = both((side) => {
    const inner = at('innerCanthus', side)
    const outer = at('outerCanthus', side)
    const pupil = at('pupil', side)
    const mid = (inner[0] + outer[0]) / 2
    const lid = HEIGHT * 0.028
    const almond = `M${n(inner[0])},${n(inner[1])} Q${n(mid)},${n(pupil[1] - lid * 1.6)} ${n(outer[0])},${n(outer[1])} Q${n(mid)},${n(pupil[1] + lid * 1.2)} ${n(inner[0])},${n(inner[1])} Z`
    return path(almond, `${filled('#ffffff', INK, 1.6)} data-landmark="eye"`) +
      `<circle cx="${n(pupil[0])}" cy="${n(pupil[1])}" r="${n(lid * 0.85)}" fill="#7a5a3f"/>` +
      `<circle cx="${n(pupil[0])}" cy="${n(pupil[1])}" r="${n(lid * 0.38)}" fill="#1d1410" data-landmark="pupil" data-side="${sideName(side)}"/>`
  })
  const ala = (side: 1 | -1) => at('ala', side)
  const bridge = both((side) => path(smooth([at('eyebrowInnerEnd', side), ...on(side, [[0.1, 0.56], [0.14, 0.64]]), ala(side)]), stroke(FAINT, 1.4)))
  const nose = bridge +
    path(smooth([...on(-1, [[0.2, 0.655]]), ala(-1), ...on(-1, [[0.2, 0.715], [0.07, 0.722]]), at('subnasale'),
      ...on(1, [[0.07, 0.722], [0.2, 0.715]]), ala(1), ...on(1, [[0.2, 0.655]])]), `${stroke(INK, 1.8)} data-landmark="nose"`) +
    both((side) => {
      const [x, y] = at('nostril', side)
      return `<ellipse cx="${n(x)}" cy="${n(y)}" rx="${n(FRONT_HALF_WIDTH * 0.045)}" ry="${n(HEIGHT * 0.008)}" fill="${INK}"/>`
    })
  const mouthY = L('mouthCorner').y
  const lips = [at('mouthCorner', -1), ...on(-1, [[0.16, 0.8], [0.05, 0.792]]), at('upperLip'), ...on(1, [[0.05, 0.792], [0.16, 0.8]]),
    at('mouthCorner', 1), ...on(1, [[0.15, 0.845]]), at('lowerLip'), ...on(-1, [[0.15, 0.845]])]
  const [rightCorner, leftCorner] = [at('mouthCorner', -1), at('mouthCorner', 1)]
  const mouth = path(smooth(lips, true), `${filled('#e3a59a', INK, 1.6)} data-landmark="mouth"`) +
    path(`M${n(rightCorner[0])},${n(rightCorner[1])} Q${n(cx)},${n(TOP + (mouthY + 0.008) * HEIGHT)} ${n(leftCorner[0])},${n(leftCorner[1])}`, stroke(INK, 1.2))
  const cheek = L('cheekboneLowerBorder').y
  const cheekbones = both((side) => path(smooth(on(side, [[0.5, cheek - 0.01], [0.66, cheek], [0.86, cheek - 0.03]])), stroke(FAINT, 1.3)))
  const chin = path(smooth([...on(-1, [[0.09, 0.895]]), at('mentolabialSulcus'), ...on(1, [[0.09, 0.895]])]), stroke(FAINT, 1.3))

  const drawing = `<g aria-hidden="true">${ears}${path(smooth(outline, true), `${filled(SKIN, INK, 2)} data-landmark="outline"`)}` +
    `${hairline}${cheekbones}${brows}${eyes}${nose}${mouth}${chin}</g>`
  return {
    width: 2 * LABEL_COLUMN + 2 * FRONT_HALF_WIDTH * 1.15,
    px,
    drawing,
    columns: { left: offsetX + LABEL_COLUMN - 12, right: offsetX + LABEL_COLUMN + 2 * FRONT_HALF_WIDTH * 1.15 + 12 },
  }
}

function lateralPanel(landmarks: Landmarks['lateral'], offsetX: number): Panel {
  const left = offsetX + LABEL_COLUMN
  const px = (p: FigurePosition): Pt => [left + p.x * LATERAL_LENGTH, TOP + p.y * HEIGHT]
  const at = (name: string) => px(landmarks[name]!)
  const pt = (x: number, y: number) => px({ x, y })

  // From the bottom of the throat, up the face and over the head to the bottom of the nape; the cut is straight.
  const profile = [
    pt(0.37, 1.1), pt(0.345, 1.05), pt(0.29, 1.012), at('menton'), pt(0.09, 0.955), pt(0.11, 0.89), pt(0.06, 0.85), pt(0.085, 0.82),
    pt(0.055, 0.79), at('subnasale'), pt(0.03, 0.72), at('noseTip'), pt(0.06, 0.6), at('nasion'), at('glabella'), pt(0.1, 0.33),
    at('anteriorHairline'), pt(0.3, 0.04), at('vertex'), pt(0.66, 0.01), pt(0.8, 0.06), pt(0.93, 0.18), at('backOfHead'), pt(0.975, 0.47),
    at('externalOccipitalProtuberance'), pt(0.88, 0.66), pt(0.81, 0.82), pt(0.79, 1.1),
  ]
  const auricle = [at('tragus'), pt(0.5, 0.47), at('auricleApex'), pt(0.6, 0.45), pt(0.63, 0.54), pt(0.6, 0.64), at('earLobe'), pt(0.51, 0.68), pt(0.5, 0.62)]
  const ear = path(smooth(auricle, true), `${filled(SKIN, INK, 1.6)} data-landmark="ear"`) +
    path(smooth([pt(0.515, 0.5), pt(0.55, 0.47), pt(0.585, 0.52), pt(0.57, 0.6), pt(0.535, 0.63)]), stroke(FAINT, 1.3))
  const canthus = at('outerCanthus')
  const [front, upper, lower] = [pt(0.135, 0.5), pt(0.165, 0.478), pt(0.165, 0.524)]
  const almond = `M${n(front[0])},${n(front[1])} Q${n(upper[0])},${n(upper[1])} ${n(canthus[0])},${n(canthus[1])} ` +
    `Q${n(lower[0])},${n(lower[1])} ${n(front[0])},${n(front[1])} Z`
  const eye = path(almond, `${filled('#ffffff', INK, 1.5)} data-landmark="eye"`)
  const brow = path(smooth([pt(0.11, 0.45), pt(0.17, 0.44), pt(0.245, 0.455)]), `${stroke(INK, 4)} data-landmark="eyebrow"`)
  const jaw = path(smooth([pt(0.22, 0.985), at('mandibleAngle'), at('mandibleCondyle')]), stroke(FAINT, 1.4))
  const arch = path(smooth([pt(0.25, 0.59), at('zygomaticArchMidpoint'), pt(0.465, 0.585)]), stroke(FAINT, 1.4))
  const hairline = path(smooth([at('anteriorHairline'), pt(0.27, 0.29), pt(0.39, 0.37), pt(0.45, 0.45), pt(0.47, 0.5)]),
    stroke(FAINT, 1.4, ' stroke-dasharray="5 4"'))
  const [lipFront, corner] = [pt(0.085, 0.82), at('mouthCorner')]
  const mouth = path(`M${n(lipFront[0])},${n(lipFront[1])} L${n(corner[0])},${n(corner[1])}`, `${stroke(INK, 1.5)} data-landmark="mouth"`)
  const ala = path(smooth([pt(0.05, 0.66), pt(0.1, 0.68), pt(0.09, 0.715), pt(0.06, 0.72)]), stroke(INK, 1.4))

  const drawing = `<g aria-hidden="true">${path(`${smooth(profile)} Z`, `${filled(SKIN, INK, 2)} data-landmark="outline"`)}` +
    `${hairline}${jaw}${arch}${ear}${brow}${eye}${ala}${mouth}</g>`
  return {
    width: 2 * LABEL_COLUMN + LATERAL_LENGTH,
    px: (p) => px(p),
    drawing,
    columns: { left: left - 12, right: left + LATERAL_LENGTH + 12 },
  }
}

interface Placed {
  code: string
  text: string
  side: 'right' | 'left' | 'midline'
  point: Pt
  hollow: boolean
  column: 'left' | 'right'
}

/** Label positions in one column: in the order of their points, pushed apart, kept inside the figure. */
function stack(items: Placed[], bottom: number): number[] {
  const ys = items.map((item) => item.point[1] + FONT_SIZE * 0.35)
  for (let i = 1; i < ys.length; i++) ys[i] = Math.max(ys[i]!, ys[i - 1]! + LABEL_GAP)
  const last = ys.length - 1
  if (last >= 0 && ys[last]! > bottom) ys[last] = bottom
  for (let i = last - 1; i >= 0; i--) ys[i] = Math.min(ys[i]!, ys[i + 1]! - LABEL_GAP)
  for (let i = 0; i < ys.length; i++) ys[i] = Math.max(ys[i]!, TOP - 20 + i * LABEL_GAP)
  return ys
}

function place(view: View, panel: Panel, markers: FigureMarker[]): string {
  const placed: Placed[] = []
  for (const marker of markers) {
    const text = `${marker.code} ${marker.pinyin}`
    const hollow = Boolean(marker.note)
    if (view === 'front' && marker.position.x > 0) {
      // Bilateral: the person's right is on the viewer's left.
      placed.push({ code: marker.code, text, side: 'right', point: panel.px(marker.position, -1), hollow, column: 'left' })
      placed.push({ code: marker.code, text, side: 'left', point: panel.px(marker.position, 1), hollow, column: 'right' })
    } else if (view === 'front') {
      placed.push({ code: marker.code, text, side: 'midline', point: panel.px(marker.position), hollow, column: 'right' })
    } else {
      const point = panel.px(marker.position)
      placed.push({ code: marker.code, text, side: 'left', point, hollow, column: marker.position.x < 0.45 ? 'left' : 'right' })
    }
  }
  let out = ''
  for (const column of ['left', 'right'] as const) {
    const items = placed.filter((item) => item.column === column).sort((a, b) => a.point[1] - b.point[1] || a.point[0] - b.point[0])
    const ys = stack(items, TOP + HEIGHT * 1.08)
    items.forEach((item, index) => {
      const x = column === 'left' ? panel.columns.left : panel.columns.right
      const y = ys[index]!
      const anchor = column === 'left' ? 'end' : 'start'
      const lineEnd = column === 'left' ? x + 4 : x - 4
      const data = `data-code="${esc(item.code)}" data-side="${item.side}" data-view="${view}"`
      const [code, ...rest] = item.text.split(' ')
      out += `<line x1="${n(item.point[0])}" y1="${n(item.point[1])}" x2="${n(lineEnd)}" y2="${n(y - FONT_SIZE * 0.35)}" stroke="${MARK}" stroke-width="0.9" stroke-opacity="0.55"/>`
      out += `<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}" font-size="${FONT_SIZE}" fill="#2b1d14" class="label" ${data}>` +
        `<tspan font-weight="bold">${esc(code!)}</tspan> ${esc(rest.join(' '))}</text>`
    })
  }
  // Markers last, so they sit on top of the leader lines.
  for (const item of placed) {
    const data = `data-code="${esc(item.code)}" data-side="${item.side}" data-view="${view}"`
    out += item.hollow
      ? `<circle cx="${n(item.point[0])}" cy="${n(item.point[1])}" r="5.5" fill="#ffffff" stroke="${MARK}" stroke-width="2.2" stroke-dasharray="3 2" class="point" ${data}/>`
      : `<circle cx="${n(item.point[0])}" cy="${n(item.point[1])}" r="5.5" fill="${MARK}" stroke="#ffffff" stroke-width="1.5" class="point" ${data}/>`
  }
  return out
}

const VIEW_NAMES: Record<View, string> = { front: 'Front view', lateral: 'Lateral view (left side)' }

function describe(spec: FigureSpec): string {
  const lines = [spec.summary]
  for (const { view, markers } of spec.views) {
    for (const marker of markers) {
      const where = view === 'front' ? (marker.position.x > 0 ? 'on both sides' : 'on the midline') : 'on the side of the head'
      lines.push(`${VIEW_NAMES[view]}: ${marker.code} (${marker.pinyin}), ${where}${marker.location ? `: ${marker.location}` : '.'}${marker.note ? ` ${marker.note}` : ''}`)
    }
  }
  return lines.join(' ')
}

/** The figure as an SVG document. Pure: the same spec always gives the same bytes (and ETag). */
export function renderHeadFigure(spec: FigureSpec, landmarks: Landmarks): string {
  let offset = 0
  let body = ''
  for (const { view, markers } of spec.views) {
    const panel = view === 'front' ? frontPanel(landmarks.front, offset) : lateralPanel(landmarks.lateral, offset)
    body += `<g class="view" data-view="${view}">` +
      `<text x="${n(offset + panel.width / 2)}" y="${TOP - 34}" text-anchor="middle" font-size="15" fill="${INK}">${VIEW_NAMES[view]}</text>` +
      `${panel.drawing}${place(view, panel, markers)}</g>`
    offset += panel.width + PANEL_GAP
  }
  const width = Math.ceil(offset - PANEL_GAP)
  const height = Math.ceil(TOP + HEIGHT * 1.1 + 16)
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-labelledby="figure-title figure-desc" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">` +
    `<title id="figure-title">${esc(spec.title)}</title><desc id="figure-desc">${esc(describe(spec))}</desc>` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>\n`
}
