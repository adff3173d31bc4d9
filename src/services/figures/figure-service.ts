import type { PrismaClient } from '../../generated/prisma/client.js'
import { NotFoundError } from '../../errors/app-errors.js'
import { etagOf } from '../../http/conditional-requests.js'
import type { FigurePositions } from '../../seed/seed-data.js'
import type { ArticleService } from '../article-service.js'
import { normaliseCode } from '../acupoint-service.js'
import { createReferenceCache, type ReferenceCache } from '../reference-cache.js'
import { renderHeadFigure, type FigureSpec, type Landmarks, type View } from './head-figure-svg.js'

export interface Figure {
  svg: string
  etag: string
}

const positionsOf = (figure: unknown): FigurePositions => (typeof figure === 'object' && figure !== null ? figure : {}) as FigurePositions

const noFigure = (what: string) =>
  new NotFoundError(`${what} has no figure: only points of the head and face are drawn, at their stored positions.`, 'no_figure')

/**
 * SVG figures of head and face points, drawn from each point's stored positions (`acupoints.figure`)
 * on a head whose features sit at `landmarks` (prisma/seed/data/head-figure.json). Cached like the
 * reference data they are drawn from: any editor write clears them.
 */
export function createFigureService(
  prisma: PrismaClient,
  articles: Pick<ArticleService, 'published'>,
  landmarks: Landmarks,
  cache: ReferenceCache = createReferenceCache({ ttlMs: 0 }),
) {
  const finish = (spec: FigureSpec): Figure => {
    const svg = renderHeadFigure(spec, landmarks)
    return { svg, etag: etagOf(svg) }
  }

  return {
    /** Every view a point has a position in: the front view, the lateral view, or both side by side. */
    point: (code: string) => cache.get(`figure:acupoint:${normaliseCode(code)}`, async () => {
      const canonical = normaliseCode(code)
      const point = await prisma.acupoint.findFirst({
        where: { OR: [{ code: canonical }, { alternateCodes: { has: canonical } }] },
        select: { code: true, pinyin: true, englishName: true, location: true, figure: true },
      })
      if (!point) throw new NotFoundError(`No acupoint has the code "${code}".`, 'acupoint_not_found')
      const positions = positionsOf(point.figure)
      const views = (['front', 'lateral'] as const).filter((view) => positions[view])
      if (views.length === 0) throw noFigure(point.code)
      return finish({
        title: `${point.code} ${point.pinyin} (${point.englishName})`,
        summary: `A schematic ${views.map((view) => (view === 'front' ? 'front view of the face' : 'lateral view of the head')).join(' and a ')}, ` +
          `with ${point.code} marked in red${views.includes('front') && positions.front!.x > 0 ? ' on both sides' : ''}. Positions are proportional, for orientation only.`,
        views: views.map((view: View) => ({
          view,
          markers: [{ code: point.code, pinyin: point.pinyin, position: positions[view]!, location: point.location, ...(positions.note ? { note: positions.note } : {}) }],
        })),
      })
    }),

    /** A front view of a face with the article's points, in the article's order. */
    article: (slug: string) => cache.get(`figure:article:${slug}`, async () => {
      const article = await articles.published(slug)
      const drawn = article.points.filter((entry) => positionsOf(entry.acupoint.figure).front)
      if (drawn.length === 0) throw noFigure(`The article "${slug}"`)
      const left = article.points.filter((entry) => !positionsOf(entry.acupoint.figure).front).map((entry) => entry.acupoint.code)
      return finish({
        title: `${article.title}: the points on a face`,
        summary: `A schematic front view of a face with the ${drawn.length} point(s) of the article, marked in red; points on both sides of ` +
          `the face are marked on both sides. Positions are proportional, for orientation only.${left.length > 0 ? ` Not drawn (no front-view position): ${left.join(', ')}.` : ''}`,
        views: [{
          view: 'front',
          markers: drawn.map(({ acupoint }) => {
            const positions = positionsOf(acupoint.figure)
            return { code: acupoint.code, pinyin: acupoint.pinyin, position: positions.front!, location: acupoint.location, ...(positions.note ? { note: positions.note } : {}) }
          }),
        }],
      })
    }),
  }
}

export type FigureService = ReturnType<typeof createFigureService>
