import type { PrismaClient } from '../generated/prisma/client.js'
import { NotFoundError } from '../errors/app-errors.js'
import { presentAcupointSummary, presentChannel } from './reference-presenters.js'
import { createReferenceCache, type ReferenceCache } from './reference-cache.js'

// Channels change only through acupoint writes (point counts are part of the seed), which clear the cache.
export function createChannelService(prisma: PrismaClient, cache: ReferenceCache = createReferenceCache({ ttlMs: 0 })) {
  return {
    list: () => cache.get('channels', async () => {
      const channels = await prisma.channel.findMany({ orderBy: { sequence: 'asc' } })
      return { items: channels.map(presentChannel) }
    }),

    detail: (code: string) => cache.get(`channel:${code.toUpperCase()}`, async () => {
      const channel = await prisma.channel.findUnique({
        where: { code: code.toUpperCase() },
        include: { acupoints: { include: { channel: true }, orderBy: { sortKey: 'asc' } } },
      })
      if (!channel) throw new NotFoundError(`No channel has the code "${code}".`, 'channel_not_found')
      return { ...presentChannel(channel), points: channel.acupoints.map(presentAcupointSummary) }
    }),
  }
}
