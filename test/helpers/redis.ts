import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { Redis } from 'ioredis'

/**
 * The Redis the shared-state tests run against: STSGATE_TEST_REDIS_URL (CI
 * sets it). Unset → those tests skip with a printed reason; set but down →
 * they fail, never skip.
 */
export const TEST_REDIS_URL = process.env.STSGATE_TEST_REDIS_URL

export const REDIS_SKIP_REASON = 'STSGATE_TEST_REDIS_URL is not set (CI sets it; e.g. redis://127.0.0.1:6379)'

/** A key prefix of this test's own; every key under it is deleted at teardown. Fails the test when Redis does not answer. */
export async function testRedisPrefix (t: Test): Promise<string> {
  if (TEST_REDIS_URL === undefined) throw new Error(REDIS_SKIP_REASON)
  const prefix = `stsgate-test:${process.pid}:${randomBytes(4).toString('hex')}:`
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null })
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    client.disconnect()
    throw new Error(`STSGATE_TEST_REDIS_URL is set but Redis does not answer: ${(err as Error).message}`)
  }
  t.teardown(async () => {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== '0')
    await client.quit()
  })
  return prefix
}
