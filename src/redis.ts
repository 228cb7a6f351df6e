import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'

/**
 * The Redis connection shared by the rate limiter and the replay guard
 * (STSGATE_REDIS_URL). Tuned so that a Redis outage costs a request at most
 * `commandTimeoutMs`, never a hang or a crash:
 * - no offline queue: while disconnected a command fails at once instead of
 *   piling up behind a reconnect;
 * - a short command timeout: a Redis that accepts the connection but stalls
 *   fails the command, not the request's whole time budget;
 * - reconnects forever with a capped back-off, so Redis coming back heals
 *   every instance without a restart.
 * Callers decide what a failed command means (rate limits: fall back to the
 * instance's own counters; replay guard: refuse the request with a 503).
 */
export interface RedisOptions {
  url: string
  logger: FastifyBaseLogger
  commandTimeoutMs?: number
}

export async function openRedis (options: RedisOptions): Promise<Redis> {
  const { url, logger } = options
  // Loaded only by deployments that use Redis (docs/performance.md).
  const { Redis } = await import('ioredis')
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 500,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: true
  })
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  let lastError = ''
  client.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn({ err }, 'redis connection failed; retrying')
    lastError = err.message
  })
  client.on('ready', () => {
    if (lastError !== '') logger.info('redis connection restored')
    lastError = ''
  })
  try {
    await client.connect()
  } catch (err) {
    // Start anyway: the client keeps retrying, and until it connects every
    // caller gets the documented degraded answer rather than no service at all.
    logger.error({ err }, 'redis is not reachable at start-up; rate limits are per instance and signed requests are refused until it is')
  }
  return client
}

/** Closes without waiting for a Redis that may be gone. */
export async function closeRedis (client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect())
  } else {
    client.disconnect()
  }
}
