import type { PrismaClient } from '../generated/prisma/client.js'
import { NotFoundError } from '../errors/app-errors.js'
import { presentAcupointSummary, presentChannel, presentSources } from './reference-presenters.js'
import { createReferenceCache, type ReferenceCache } from './reference-cache.js'

// Channels change only through acupoint writes (point counts are part of the seed), which clear the cache.
export function createChannelService(prisma: PrismaClient, cache: ReferenceCache = createReferenceCache({ ttlMs: 0 })) {
  const sourcesOf = async (ids: Array<string | null>) => {
    const wanted = [...new Set(ids.filter((id): id is string => id !== null))]
    return presentSources(wanted.length > 0 ? await prisma.source.findMany({ where: { id: { in: wanted } } }) : [], wanted)
  }

  return {
    list: () => cache.get('channels', async () => {
      const channels = await prisma.channel.findMany({ orderBy: { sequence: 'asc' } })
      return { items: channels.map(presentChannel), total: channels.length, sources: await sourcesOf(channels.map((channel) => channel.standardSourceId)) }
    }),

    detail: (code: string) => cache.get(`channel:${code.toUpperCase()}`, async () => {
      const channel = await prisma.channel.findUnique({
        where: { code: code.toUpperCase() },
        include: { acupoints: { orderBy: { sortKey: 'asc' } } },
      })
      if (!channel) throw new NotFoundError(`No channel has the code "${code}".`, 'channel_not_found')
      return {
        ...presentChannel(channel),
        points: channel.acupoints.map((point) => presentAcupointSummary({ ...point, channel })),
        sources: await sourcesOf([channel.standardSourceId]),
      }
    }),
  }
}
