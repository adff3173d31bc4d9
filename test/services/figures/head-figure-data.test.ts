import { readFile } from 'node:fs/promises'
import t from 'tap'
import type { HeadFigureFile, StandardPointsFile } from '../../../src/seed/seed-data.js'

// The stored positions of head and face points, checked against the standard locations they stand
// for, through the landmarks the figures draw.
const read = async <T>(name: string) => JSON.parse(await readFile(new URL(`../../../prisma/seed/data/${name}`, import.meta.url), 'utf8')) as T
const figure = await read<HeadFigureFile>('head-figure.json')
const standard = await read<StandardPointsFile>('who-standard-acupoints.json')
const front = figure.basis.landmarks.front
const lateral = figure.basis.landmarks.lateral
const at = (code: string, view: 'front' | 'lateral') => {
  const position = figure.points[code]?.[view]
  if (!position) throw new Error(`${code} has no ${view} position`)
  return position
}
const near = (a: number, b: number, tolerance = 0.02) => Math.abs(a - b) <= tolerance

t.test('every point of the head and face has a position, and only those', async (t) => {
  const headAndFace = standard.points.filter((point) => point.region === 'head' || point.region === 'face').map((point) => point.code)
  t.same(Object.keys(figure.points).sort(), [...headAndFace, 'EX-HN3'].sort(), `${headAndFace.length} channel points and Yintang`)
  for (const [code, positions] of Object.entries(figure.points)) {
    t.ok(positions.front || positions.lateral, `${code} can be drawn`)
    for (const view of ['front', 'lateral'] as const) {
      const position = positions[view]
      if (!position) continue
      t.ok(position.x >= 0 && position.x <= 1 && position.y >= 0 && position.y <= 1, `${code} ${view}: inside the proportional frame`)
    }
    const midline = /^(GV|CV|EX-HN3$)/.test(code)
    if (positions.front) t.equal(positions.front.x === 0, midline, `${code}: ${midline ? 'on the midline' : 'bilateral, off the midline'}`)
  }
  t.ok(figure.basis.y && figure.basis.front && figure.basis.lateral, 'the data file explains its coordinate system')
})

t.test('the article\'s six points sit where their standard locations put them', async (t) => {
  const yintang = at('EX-HN3', 'front')
  t.ok(yintang.x === 0 && near(yintang.y, front.glabella!.y) && near(yintang.y, front.eyebrowInnerEnd!.y), 'Yintang: on the midline, between the inner ends of the brows')
  const gb14 = at('GB14', 'front')
  t.ok(near(gb14.x, front.pupil!.x, 0.005), 'GB14: straight above the pupil')
  const cun = (front.glabella!.y - front.anteriorHairline!.y) / 3
  t.ok(near(front.eyebrowPeak!.y - gb14.y, cun, 0.02), 'GB14: 1 B-cun above the eyebrow (glabella to hairline is 3 B-cun)')
  const st2 = at('ST2', 'front')
  t.ok(near(st2.x, front.pupil!.x, 0.005) && st2.y > front.pupil!.y + 0.05, 'ST2: straight below the pupil, below the eye')
  t.ok(st2.y < front.ala!.y, 'ST2: above the level of the nose\'s wing (infraorbital foramen)')
  const st4 = at('ST4', 'front')
  t.ok(near(st4.y, front.mouthCorner!.y, 0.005) && st4.x > front.mouthCorner!.x && st4.x - front.mouthCorner!.x < 0.15, 'ST4: beside the corner of the mouth')
  const li20 = at('LI20', 'front')
  t.ok(near(li20.y, front.ala!.y, 0.005) && li20.x > front.ala!.x && li20.x - front.ala!.x < 0.1, 'LI20: beside the wing of the nose, level with its middle')
  const si18 = at('SI18', 'front')
  t.ok(near(si18.x, front.outerCanthus!.x, 0.005) && si18.y > front.cheekboneLowerBorder!.y, 'SI18: below the outer canthus, under the cheekbone')
})

t.test('other points keep their stated relations', async (t) => {
  t.ok(near(at('TE23', 'front').x, at('GB1', 'front').x, 0.005), 'TE23 is directly above GB1')
  t.ok(at('TE23', 'front').y < at('GB1', 'front').y)
  t.ok(near(at('GB3', 'lateral').x, at('ST7', 'lateral').x, 0.005) && at('GB3', 'lateral').y < at('ST7', 'lateral').y, 'GB3 is directly above ST7')
  const column = ['TE21', 'SI19', 'GB2'].map((code) => at(code, 'lateral'))
  t.ok(column.every((position) => near(position.x, column[0]!.x, 0.005) && position.x < lateral.tragus!.x), 'TE21, SI19 and GB2: one column in front of the tragus')
  t.ok(column[0]!.y < column[1]!.y && column[1]!.y < column[2]!.y, 'top to bottom: TE21, SI19, GB2')
  t.ok(near(at('LI19', 'front').y, at('GV26', 'front').y, 0.005), 'LI19 is level with GV26 (WHO 2008)')
  const gv = ['GV24', 'GV23', 'GV22', 'GV21', 'GV20', 'GV19', 'GV18', 'GV17'].map((code) => at(code, 'lateral'))
  t.ok(gv.every((position, index) => index === 0 || position.x > gv[index - 1]!.x), 'the Governor Vessel runs front to back over the head')
  t.ok(near(at('GV20', 'lateral').x, lateral.auricleApex!.x, 0.01), 'GV20 is above the apex of the ear')
  t.ok(['GB15', 'GB16', 'GB17', 'GB18'].every((code) => near(at(code, 'front').x, front.pupil!.x, 0.03)), 'GB15-GB18 on the pupil line')
  t.ok(['BL9', 'GB19'].every((code) => near(at(code, 'lateral').y, at('GV17', 'lateral').y, 0.005)), 'BL9 and GB19 level with GV17')
})
