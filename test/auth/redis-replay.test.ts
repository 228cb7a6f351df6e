import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { RedisReplayGuard } from '../../src/auth/redis-replay.js'
import { isDomainError } from '../../src/errors.js'
import { buildTestApp } from '../helpers/app.js'
import { openTestStore, testMasterKey } from '../helpers/store.js'
import { REDIS_SKIP_REASON, TEST_REDIS_URL, testRedisPrefix } from '../helpers/redis.js'
import { createEdasProject, handSignRoa } from '../routes/edas-fixtures.js'

/** The replay window shared through Redis: a signed request accepted by one instance is refused by every other. */

const needsRedis = { skip: TEST_REDIS_URL === undefined ? REDIS_SKIP_REASON : false }

const client = async (t: Test): Promise<Redis> => {
  const redis = new Redis(TEST_REDIS_URL as string, { maxRetriesPerRequest: 0 })
  t.teardown(() => redis.quit())
  return redis
}

t.test('remember is atomic: of many concurrent claims on one key exactly one wins, and the key expires with the window', needsRedis, async (t) => {
  const prefix = await testRedisPrefix(t)
  const redis = await client(t)
  const guards = [new RedisReplayGuard(redis, prefix), new RedisReplayGuard(await client(t), prefix)]
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (guards[i % 2] as RedisReplayGuard).remember('n:1', Date.now() + 60_000)))
  t.equal(results.filter(Boolean).length, 1, 'one claim accepted, 39 refused')
  const ttl = await redis.pttl(`${prefix}replay:n:1`)
  t.ok(ttl > 55_000 && ttl <= 60_000, `remembered until the window ends (pttl ${ttl})`)
  t.equal(await (guards[0] as RedisReplayGuard).remember('n:2', Date.now() + 200), true, 'another key is new')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(await (guards[1] as RedisReplayGuard).remember('n:2', Date.now() + 200), true, 'once its window has passed a key is forgotten')
})

t.test('Redis unreachable: remember fails closed with unavailable/replay_store_unavailable', async (t) => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  t.teardown(() => redis.disconnect())
  const err = await new RedisReplayGuard(redis).remember('k', Date.now() + 1000).catch((e: unknown) => e)
  t.ok(isDomainError(err))
  t.match(err, { kind: 'unavailable', code: 'replay_store_unavailable' })
})

// One store for both instances, as two stsgate processes share one database.
t.test('a ROA-signed request accepted by instance A is refused by instance B', needsRedis, async (t) => {
  const prefix = await testRedisPrefix(t)
  const keys = testMasterKey()
  const store = await openTestStore(t, 'pglite', keys)
  const env = { STSGATE_REDIS_URL: TEST_REDIS_URL as string, STSGATE_REDIS_PREFIX: prefix }
  const a = await buildTestApp(t, { env, store, keys })
  const b = await buildTestApp(t, { env, store, keys })
  const project = await createEdasProject(a)
  const signed = handSignRoa(project)
  const first = await a.app.inject({ method: 'GET', url: signed.url, headers: signed.headers })
  t.equal(first.statusCode, 200, 'A accepts it')
  const replay = await b.app.inject({ method: 'GET', url: signed.url, headers: signed.headers })
  t.equal(replay.statusCode, 400, 'B refuses the replay')
  t.match(replay.json(), { Code: 'SignatureNonceUsed' })
  const again = await a.app.inject({ method: 'GET', url: signed.url, headers: signed.headers })
  t.match(again.json(), { Code: 'SignatureNonceUsed' }, 'and so does A')
  const fresh = handSignRoa(project)
  t.equal((await b.app.inject({ method: 'GET', url: fresh.url, headers: fresh.headers })).statusCode, 200, 'a fresh nonce is accepted on B')
})

t.test('Redis down: signed requests get the contract\'s 503, never an unchecked accept', async (t) => {
  const h = await buildTestApp(t, { env: { STSGATE_REDIS_URL: 'redis://127.0.0.1:1' } })
  const project = await createEdasProject(h)
  const signed = handSignRoa(project)
  const res = await h.app.inject({ method: 'GET', url: signed.url, headers: signed.headers })
  t.equal(res.statusCode, 503)
  t.match(res.json(), { Code: 'ServiceUnavailable', RequestId: String })
  t.ok(h.logs.some((l) => l.code === 'replay_store_unavailable'), 'logged with its code')
})
