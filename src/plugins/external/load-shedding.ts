import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import type { AppConfig } from '../../config/config.js'
import { ServiceUnavailableError } from '../../errors/app-errors.js'

// Liveness must keep answering while we shed load, or an orchestrator would restart a busy but healthy process.
const NEVER_SHED = new Set(['/health'])

/**
 * Sheds load with a 503 problem and Retry-After once the event loop falls behind (or memory passes
 * a limit), before it stalls and every request times out. Thresholds come from the config.
 */
export default fp(
  async function loadShedding(app: FastifyInstance, options: { config: AppConfig }) {
    const { pressure } = options.config
    await app.register(underPressure, {
      maxEventLoopDelay: pressure.maxEventLoopDelayMs,
      maxEventLoopUtilization: pressure.maxEventLoopUtilization,
      maxHeapUsedBytes: pressure.maxHeapUsedBytes,
      maxRssBytes: pressure.maxRssBytes,
      sampleInterval: pressure.sampleIntervalMs,
      retryAfter: pressure.retryAfterSeconds,
      pressureHandler: async (request, _reply, type) => {
        if (NEVER_SHED.has(request.routeOptions.url ?? '')) return
        request.log.warn({ pressure: type }, 'shedding load')
        throw new ServiceUnavailableError('The server is overloaded right now. Retry shortly.', pressure.retryAfterSeconds, 'overloaded')
      },
    })
  },
  { name: 'load-shedding' },
)
