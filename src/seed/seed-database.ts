import { createHash, randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Prisma, PrismaClient } from '../generated/prisma/client.js'
import {
  readSeedFile, type ArticleFile, type ChannelsFile, type HeadFigureFile, type PointLocationsFile, type StandardPointsFile,
} from './seed-data.js'

type Tx = Prisma.TransactionClient

export const WHO_2008_SOURCE_ID = '2f0c8a94-1c6b-4f59-8d2e-3a7b5c1d9e01'
export const WHO_1991_SOURCE_ID = '2f0c8a94-1c6b-4f59-8d2e-3a7b5c1d9e02'
/** Extra points sort after the 14 channels. */
export const EXTRA_POINT_SORT_BASE = 900_000

export function sortKeyFor(channelSequence: number, number: number): number {
  return channelSequence * 1000 + number
}

export interface SeedStep {
  name: string
  run(tx: Tx): Promise<void>
}

const standardPoints: SeedStep = {
  name: '2026-11-24-who-standard-points',
  async run(tx) {
    const { channels } = await readSeedFile<ChannelsFile>('channels.json')
    const standard = await readSeedFile<StandardPointsFile>('who-standard-acupoints.json')
    await tx.source.createMany({
      skipDuplicates: true,
      data: [
        {
          id: WHO_2008_SOURCE_ID,
          kind: 'standard',
          title: standard.source.title,
          publisher: standard.source.publisher,
          publishedOn: String(standard.source.year),
          note: standard.source.note,
        },
        {
          id: WHO_1991_SOURCE_ID,
          kind: 'standard',
          title: 'A Proposed Standard International Acupuncture Nomenclature',
          publisher: 'World Health Organization',
          publishedOn: '1991',
          note: 'Report of a WHO Scientific Group: standard codes and names of the channel points and of the extra points (EX-…).',
        },
      ],
    })
    // The fields this step has always written: later steps add the rest (a step never changes what it does).
    await tx.channel.createMany({
      skipDuplicates: true,
      data: channels.map(({ code, sequence, name, pointCount }) => ({ code, sequence, name, pointCount })),
    })
    const sequence = new Map(channels.map((channel) => [channel.code, channel.sequence]))
    await tx.acupoint.createMany({
      skipDuplicates: true,
      data: standard.points.map((point) => ({
        code: point.code,
        channelCode: point.channel,
        number: point.number,
        sortKey: sortKeyFor(sequence.get(point.channel)!, point.number),
        pinyin: point.pinyin,
        hanziTraditional: point.hanziTraditional,
        hanziSimplified: point.hanziSimplified,
        englishName: point.englishName,
        region: point.region,
        standardSourceId: WHO_2008_SOURCE_ID,
      })),
    })
  },
}

const facialArticle: SeedStep = {
  name: '2026-11-24-facial-acupuncture-article',
  async run(tx) {
    const data = await readSeedFile<ArticleFile>('facial-acupuncture-article.json')
    const { source, article } = data
    await tx.source.createMany({ skipDuplicates: true, data: [source] })
    await tx.acupoint.createMany({
      skipDuplicates: true,
      data: data.extraPoints.map((point, index) => ({
        code: point.code,
        alternateCodes: point.alternateCodes,
        sortKey: EXTRA_POINT_SORT_BASE + index + 1,
        pinyin: point.pinyin,
        hanziTraditional: point.hanziTraditional,
        hanziSimplified: point.hanziSimplified,
        englishName: point.englishName,
        region: point.region,
        standardSourceId: WHO_1991_SOURCE_ID,
      })),
    })
    for (const [code, location] of Object.entries(data.standardLocations)) {
      await tx.acupoint.updateMany({ where: { code, location: null }, data: { location } })
    }
    const points = await tx.acupoint.findMany({
      where: { code: { in: [...new Set([...article.points, ...data.claims.map((claim) => claim.point)])] } },
      select: { id: true, code: true },
    })
    const idOf = new Map(points.map((point) => [point.code, point.id]))
    await tx.claim.createMany({
      skipDuplicates: true,
      data: data.claims.map((claim) => ({
        id: claim.id,
        acupointId: idOf.get(claim.point)!,
        sourceId: source.id,
        kind: claim.kind,
        keyword: claim.keyword,
        text: claim.text,
      })),
    })
    const existing = await tx.article.findUnique({ where: { slug: article.slug }, select: { id: true } })
    if (!existing) {
      await tx.article.create({
        data: {
          slug: article.slug,
          title: article.title,
          summary: article.summary,
          body: article.body,
          attribution: article.attribution,
          sourceUrl: article.sourceUrl,
          sourceId: source.id,
          status: 'published',
          publishedAt: new Date(article.publishedAt),
          cautions: article.cautions as Prisma.InputJsonValue,
          treatmentPlan: article.treatmentPlan as Prisma.InputJsonValue,
          points: { create: article.points.map((code, position) => ({ acupointId: idOf.get(code)!, position })) },
        },
      })
    }
  },
}

const seedComment: SeedStep = {
  name: '2026-11-24-facial-acupuncture-reader-comment',
  async run(tx) {
    const data = await readSeedFile<ArticleFile>('facial-acupuncture-article.json')
    const article = await tx.article.findUnique({ where: { slug: data.article.slug }, select: { id: true } })
    if (!article) return
    for (const comment of data.comments) {
      if (await tx.comment.findUnique({ where: { id: comment.id }, select: { id: true } })) continue
      await tx.comment.create({
        data: {
          id: comment.id,
          articleId: article.id,
          authorName: comment.authorName,
          authorEmail: null,
          body: comment.body,
          status: 'approved',
          // Imported, not submitted: no address, and a receipt nobody holds.
          fingerprint: createHash('sha256').update(`seed:${comment.id}`).digest('hex'),
          receiptTokenHash: new Uint8Array(createHash('sha256').update(randomBytes(32)).digest()),
          createdAt: new Date(comment.createdAt),
          events: {
            create: [
              { toStatus: 'approved', reason: `Imported as approved from the source post. ${comment.note}`, createdAt: new Date(comment.createdAt) },
            ],
          },
        },
      })
    }
  },
}

/** Each channel's organ and standard names, with their source, on channels that have none yet. */
const channelFacts: SeedStep = {
  name: '2026-12-01-channel-facts',
  async run(tx) {
    const { channels } = await readSeedFile<ChannelsFile>('channels.json')
    for (const channel of channels) {
      await tx.channel.updateMany({
        where: { code: channel.code, standardSourceId: null },
        data: {
          organ: channel.organ,
          pinyin: channel.pinyin,
          hanziTraditional: channel.hanziTraditional,
          hanziSimplified: channel.hanziSimplified,
          standardSourceId: WHO_1991_SOURCE_ID,
        },
      })
    }
  },
}

/**
 * A standard location (and, where it is uncertain, a note) for every point. A location an editor
 * has written is kept: only a location that is still empty, or still the text an earlier seed
 * step wrote, is replaced, and only while the point has no location note.
 */
const pointLocations: SeedStep = {
  name: '2026-12-01-point-locations',
  async run(tx) {
    const { points } = await readSeedFile<PointLocationsFile>('point-locations.json')
    const { standardLocations: earlier } = await readSeedFile<ArticleFile>('facial-acupuncture-article.json')
    await tx.$executeRaw`
      UPDATE acupoints a
         SET location = v.location, location_note = v.note, version = a.version + 1, updated_at = now()
        FROM unnest(${points.map((point) => point.code)}::text[], ${points.map((point) => point.location)}::text[],
                    ${points.map((point) => point.note ?? null)}::text[], ${points.map((point) => earlier[point.code] ?? null)}::text[])
             AS v(code, location, note, earlier)
       WHERE a.code = v.code AND a.location_note IS NULL
         AND (a.location IS NULL OR a.location = v.earlier)
         AND (a.location IS DISTINCT FROM v.location OR v.note IS NOT NULL)`
  },
}

/** Positions on the head figures for the points of the head and face, where a point has none. */
const figurePositions: SeedStep = {
  name: '2026-12-01-head-figure-positions',
  async run(tx) {
    const { points } = await readSeedFile<HeadFigureFile>('head-figure.json')
    const entries = Object.entries(points)
    await tx.$executeRaw`
      UPDATE acupoints a SET figure = v.figure, version = a.version + 1, updated_at = now()
        FROM unnest(${entries.map(([code]) => code)}::text[],
                    ${entries.map(([, position]) => JSON.stringify(position))}::jsonb[])
             AS v(code, figure)
       WHERE a.code = v.code AND a.figure IS NULL`
  },
}

export const SEED_STEPS: SeedStep[] = [standardPoints, facialArticle, seedComment, channelFacts, pointLocations, figurePositions]

/**
 * Applies each seed step once, like a migration: a step and its record in `seed_runs` commit
 * together, so running the seed again changes nothing and never undoes an editor's later edit.
 */
export async function seedDatabase(prisma: PrismaClient, log: Logger, steps: SeedStep[] = SEED_STEPS): Promise<string[]> {
  const done = new Set((await prisma.seedRun.findMany({ select: { name: true } })).map((run) => run.name))
  const applied: string[] = []
  for (const step of steps) {
    if (done.has(step.name)) continue
    await prisma.$transaction(
      async (tx) => {
        await step.run(tx)
        await tx.seedRun.create({ data: { name: step.name } })
      },
      { timeout: 60_000, maxWait: 10_000 },
    )
    applied.push(step.name)
  }
  if (applied.length > 0) log.info({ steps: applied }, `seed: applied ${applied.length} step(s)`)
  else log.info('seed: reference data is up to date')
  return applied
}
