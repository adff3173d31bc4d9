/**
 * Sends what the outbox (webhook_deliveries) holds. Two implementations over the same rows:
 * pg-boss jobs on PostgreSQL (pg-boss-dispatcher.ts) and a loop in this process for the embedded
 * database (in-process-dispatcher.ts). Code that records an event calls `poke()` after its commit.
 */
export interface WebhookDispatcher {
  readonly kind: 'pg-boss' | 'in-process'
  /** Something was committed to the outbox: send it soon (never throws, never waits). */
  poke(): void
  start(): Promise<void>
  /** When each pending delivery will be tried next, where the queue rather than the row knows it (by delivery id). */
  nextAttempts(deliveries: Array<{ id: string; jobId: string | null }>): Promise<Map<string, Date>>
  /** Resolves when nothing due is being or waiting to be sent (retries due later do not count); tests wait on it. */
  idle(): Promise<void>
  /** Stops taking work and cancels requests in flight; their rows are sent again later, by this or another instance. */
  stop(): Promise<void>
}
