import type { PrismaClient } from '../generated/prisma/client.js'
import { NotFoundError } from '../errors/app-errors.js'
import { presentAcupointSummary, presentChannel } from './reference-presenters.js'

export function createChannelService(prisma: PrismaClient) {
  return {
    async list() {
      const channels = await prisma.channel.findMany({ orderBy: { sequence: 'asc' } })
      return { items: channels.map(presentChannel) }
    },

    async detail(code: string) {
      const channel = await prisma.channel.findUnique({
        where: { code: code.toUpperCase() },
        include: { acupoints: { include: { channel: true }, orderBy: { sortKey: 'asc' } } },
      })
      if (!channel) throw new NotFoundError(`No channel has the code "${code}".`, 'channel_not_found')
      return { ...presentChannel(channel), points: channel.acupoints.map(presentAcupointSummary) }
    },
  }
}
