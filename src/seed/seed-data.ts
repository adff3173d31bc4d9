import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { prismaDir } from '../paths.js'

// The shapes of the data files in prisma/seed/data/.

export type Region = 'head' | 'face' | 'neck' | 'chest' | 'abdomen' | 'back' | 'lumbosacral' | 'upper_limb' | 'lower_limb' | 'perineum'

export interface ChannelsFile {
  factsSource: string
  channels: Array<{
    code: string
    sequence: number
    name: string
    pointCount: number
    organ: string | null
    pinyin: string
    hanziTraditional: string
    hanziSimplified: string
  }>
}

/** A position on a head figure: proportional coordinates, basis in head-figure.json. */
export interface FigurePosition { x: number; y: number }
/** A point's positions on the head figures, as stored in `acupoints.figure`. */
export interface FigurePositions { front?: FigurePosition; lateral?: FigurePosition; note?: string }

export interface HeadFigureFile {
  compiledBy: string
  basis: {
    landmarks: { front: Record<string, FigurePosition>; lateral: Record<string, FigurePosition> }
    [key: string]: unknown
  }
  points: Record<string, FigurePositions>
}

export interface PointLocationsFile {
  compiledBy: string
  method: string
  parts: Array<{ channels: string[]; points: number; compiledBy: string }>
  points: Array<{ code: string; location: string; note?: string }>
}

export interface StandardPointsFile {
  source: { title: string; publisher: string; year: number; note: string }
  points: Array<{
    code: string
    channel: string
    number: number
    pinyin: string
    hanziTraditional: string
    hanziSimplified: string
    englishName: string
    region: Region | null
  }>
}

export interface SourceRecord {
  id: string
  kind: 'standard' | 'article' | 'book'
  title: string
  author: string | null
  publisher: string | null
  url: string | null
  publishedOn: string | null
  note: string | null
}

export interface ArticleFile {
  source: SourceRecord
  extraPoints: Array<{
    code: string
    alternateCodes: string[]
    pinyin: string
    hanziTraditional: string
    hanziSimplified: string
    englishName: string
    region: Region
    sourceNote: string
  }>
  standardLocations: Record<string, string>
  claims: Array<{
    id: string
    point: string
    kind: 'cosmetic_effect' | 'linked_organ' | 'health_benefit' | 'location_note'
    keyword: string | null
    text: string
  }>
  article: {
    slug: string
    title: string
    summary: string
    attribution: string
    sourceUrl: string | null
    publishedAt: string
    points: string[]
    cautions: Array<Record<string, unknown>>
    treatmentPlan: Record<string, unknown>
    body: string
  }
  comments: Array<{ id: string; createdAt: string; authorName: string; body: string; note: string }>
}

export async function readSeedFile<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(path.join(prismaDir, 'seed', 'data', name), 'utf8')) as T
}
