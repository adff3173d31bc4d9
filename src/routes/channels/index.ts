import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { sendRepresentation } from '../../http/conditional-requests.js'
import { CACHE_HEADERS, IfNoneMatchHeaders, NotModified, withHeaders } from '../../schemas/common-schemas.js'
import { ALWAYS, problemResponses } from '../../schemas/problem-schemas.js'
import { ChannelCodeParams } from '../../schemas/reference-schemas.js'

const channelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/channels', {
    schema: {
      tags: ['channels'],
      operationId: 'listChannels',
      summary: 'The 14 channels',
      description:
        'In the standard order, with each channel\'s WHO point count and, as standard facts with their source, its associated ' +
        'organ (zang-fu; none for the Governor and Conception vessels), English name, pinyin and characters.',
      headers: IfNoneMatchHeaders,
      response: { 200: withHeaders(Type.Ref('ChannelList'), CACHE_HEADERS, 'The channels'), 304: NotModified, ...problemResponses(400, ...ALWAYS) },
    },
  }, async (request, reply) => sendRepresentation(request, reply, await app.channels.list()))

  app.get('/channels/:code', {
    schema: {
      tags: ['channels'],
      operationId: 'getChannel',
      summary: 'One channel with its facts and points',
      description: 'The code is case-insensitive (`li` or `LI`). The channel\'s organ and names are standard facts, each with its source in `sources`.',
      params: ChannelCodeParams,
      headers: IfNoneMatchHeaders,
      response: {
        200: withHeaders(Type.Ref('ChannelDetail'), CACHE_HEADERS, 'The channel'),
        304: NotModified,
        ...problemResponses(400, 404, ...ALWAYS),
      },
    },
  }, async (request, reply) => sendRepresentation(request, reply, await app.channels.detail(request.params.code)))
}

export default channelRoutes
