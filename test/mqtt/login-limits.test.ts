import t, { type Test } from 'tap'
import { performance } from 'node:perf_hooks'
import mqtt, { type IClientOptions } from 'mqtt'
import { hashPassword, verifyPassword } from '../../src/keys.js'
import type { LoginRefusal } from '../../src/mqtt/broker.js'
import type { GatewayDirectory } from '../../src/mqtt/gateway-login.js'
import { addressKey, LocalFailureBuckets, LoginLimiter, RedisFailureBuckets, type FailureBuckets } from '../../src/mqtt/login-limits.js'
import { REDIS_SKIP_REASON, TEST_REDIS_URL, testRedisPrefix } from '../helpers/redis.js'
import { NOW, startTestBroker } from './helpers.js'
import { Redis } from 'ioredis'

const dock = (sn: string, password: string): IClientOptions => ({ clientId: sn, username: sn, password })

/** The refusal reason of a CONNECT, or 'accepted'. */
async function tryLogin (url: string, opts: IClientOptions): Promise<string> {
  try {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 10_000, ...opts })
    await c.endAsync(true)
    return 'accepted'
  } catch (err) {
    return (err as { code?: number }).code === 3 ? 'unavailable' : (err as { code?: number }).code === 4 ? 'bad' : String(err)
  }
}

/** Docks whose passwords are checked with the store's own scrypt hash, an unknown sn against a dummy hash. */
async function scryptGateways (): Promise<GatewayDirectory> {
  const hashes = new Map([['DOCK1', await hashPassword('dock1-pass')], ['DOCK2', await hashPassword('dock2-pass')]])
  const dummy = await hashPassword('never-a-password')
  return {
    async verifyGateway (sn, password) {
      const ok = await verifyPassword(password, hashes.get(sn) ?? dummy)
      return ok && hashes.has(sn) ? { projectId: 'p1', sns: [sn] } : undefined
    }
  }
}

t.test('addressKey: IPv4 as is, IPv4-mapped unwrapped, IPv6 per /64', async (t) => {
  t.equal(addressKey('192.0.2.7'), '192.0.2.7')
  t.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7')
  t.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
  t.equal(addressKey('2001:db8:1:2::9'), '2001:db8:1:2::/64')
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(addressKey('::1'), '0:0:0:0::/64')
  t.equal(addressKey(undefined), 'unknown')
})

async function exhaustAndRecover (t: Test, buckets: FailureBuckets, clock: { now: number }): Promise<void> {
  const limiter = new LoginLimiter({ failuresPerAddress: 0, failuresPerIdentity: 3, concurrentChecks: 2, queuedChecks: 2 }, buckets)
  for (let i = 0; i < 3; i++) {
    const a = await limiter.admit('192.0.2.1', 'DOCK1')
    t.ok(a.admitted, `failure ${i + 1} is checked`)
    if (a.admitted) a.ticket.finish(true)
  }
  t.same(await limiter.admit('192.0.2.9', 'DOCK1'), { admitted: false, reason: 'too_many_failures_identity' }, 'the identity is refused, from any address')
  const other = await limiter.admit('192.0.2.1', 'DOCK2')
  t.ok(other.admitted, 'another identity is not')
  if (other.admitted) other.ticket.finish(false)
  clock.now += 20_000 // one token per 60 s / 3
  const back = await limiter.admit('192.0.2.1', 'DOCK1')
  t.ok(back.admitted, 'a token has come back after 20 s')
  if (back.admitted) back.ticket.finish(false) // success: the token is returned
  const again = await limiter.admit('192.0.2.1', 'DOCK1')
  t.ok(again.admitted, 'a success gave its token back')
  if (again.admitted) again.ticket.finish(true)
  t.same(await limiter.admit('192.0.2.1', 'DOCK1'), { admitted: false, reason: 'too_many_failures_identity' })
}

t.test('failure buckets in this process: empty after N failures, refilled over the minute, success refunds', async (t) => {
  const clock = { now: NOW }
  await exhaustAndRecover(t, new LocalFailureBuckets(() => clock.now), clock)
})

t.test('failure buckets in Redis (STSGATE_TEST_REDIS_URL): the same, shared by two limiters', { skip: TEST_REDIS_URL === undefined ? REDIS_SKIP_REASON : false }, async (t) => {
  const prefix = await testRedisPrefix(t)
  const redis = new Redis(TEST_REDIS_URL!, { maxRetriesPerRequest: 0 })
  t.teardown(() => redis.quit())
  const clock = { now: NOW }
  const fallbacks: unknown[] = []
  const buckets = new RedisFailureBuckets(redis, prefix, (err) => fallbacks.push(err), () => clock.now)
  await exhaustAndRecover(t, buckets, clock)
  // A second instance on the same Redis sees the same empty bucket.
  const second = new LoginLimiter({ failuresPerAddress: 0, failuresPerIdentity: 3, concurrentChecks: 1, queuedChecks: 0 },
    new RedisFailureBuckets(redis, prefix, (err) => fallbacks.push(err), () => clock.now))
  t.same(await second.admit('198.51.100.1', 'DOCK1'), { admitted: false, reason: 'too_many_failures_identity' }, 'refused on the other instance too')
  t.same(fallbacks, [], 'Redis answered every time')
  const keys = await redis.keys(`${prefix}*`)
  t.ok(keys.length > 0 && keys.every((k) => !k.includes('DOCK1')), 'the username is not in the key')
})

t.test('Redis down: the limits hold per instance', async (t) => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  const clock = { now: NOW }
  const fallbacks: unknown[] = []
  const limiter = new LoginLimiter({ failuresPerAddress: 0, failuresPerIdentity: 2, concurrentChecks: 1, queuedChecks: 0 },
    new RedisFailureBuckets(redis, 'x:', (err) => fallbacks.push(err), () => clock.now))
  for (let i = 0; i < 2; i++) {
    const a = await limiter.admit('192.0.2.1', 'DOCK1')
    if (a.admitted) a.ticket.finish(true)
  }
  t.same(await limiter.admit('192.0.2.1', 'DOCK1'), { admitted: false, reason: 'too_many_failures_identity' })
  t.equal(fallbacks.length, 1, 'one warning, not one per login')
})

t.test('real mqtt.js docks: after N bad passwords the right one is refused too, and recovers', async (t) => {
  const clock = { now: NOW }
  const refusals: LoginRefusal[] = []
  const b = await startTestBroker(t, {
    now: () => clock.now,
    gateways: await scryptGateways(),
    loginLimits: { failuresPerIdentity: 3, failuresPerAddress: 5 },
    onLoginRefused: (r) => refusals.push(r)
  })
  for (let i = 0; i < 3; i++) t.equal(await tryLogin(b.url, dock('DOCK1', `guess-${i}`)), 'bad', `guess ${i + 1}: CONNACK 4`)
  t.equal(await tryLogin(b.url, dock('DOCK1', 'dock1-pass')), 'unavailable', 'the right password is refused unchecked (CONNACK 3)')
  t.equal(await tryLogin(b.url, dock('DOCK2', 'dock2-pass')), 'accepted', 'another dock from the same address logs in')
  clock.now += 20_000
  t.equal(await tryLogin(b.url, dock('DOCK1', 'dock1-pass')), 'accepted', 'after 20 s the dock logs in again')

  // The address bucket (5, whatever the usernames): 3 spent, 5/3 regained in the 20 s → 3.67 left.
  for (const sn of ['NOPE1', 'NOPE2', 'NOPE3']) t.equal(await tryLogin(b.url, dock(sn, 'x')), 'bad')
  t.equal(await tryLogin(b.url, dock('DOCK2', 'dock2-pass')), 'unavailable', 'the address has spent its failures')
  t.same(refusals, ['bad_credentials', 'bad_credentials', 'bad_credentials', 'too_many_failures_identity',
    'bad_credentials', 'bad_credentials', 'bad_credentials', 'too_many_failures_address'])
})

t.test('a guessing flood does not keep an honest dock out: excess guesses are refused fast, the dock gets a check', async (t) => {
  const refusals = new Map<LoginRefusal, number>()
  const b = await startTestBroker(t, {
    gateways: await scryptGateways(),
    // No failure limits here: the flood comes from everywhere; only the check slots stand.
    loginLimits: { failuresPerIdentity: 0, failuresPerAddress: 0, concurrentChecks: 2, queuedChecks: 4 },
    onLoginRefused: (r) => refusals.set(r, (refusals.get(r) ?? 0) + 1)
  })
  const timed = async (): Promise<[string, number]> => {
    const start = performance.now()
    const outcome = await tryLogin(b.url, dock('DOCK1', 'dock1-pass'))
    return [outcome, performance.now() - start]
  }
  const [first, quiet] = await timed()
  t.equal(first, 'accepted', 'the dock logs in (and is now known from this address)')
  let flooding = true
  let guesses = 0
  const flood = Array.from({ length: 24 }, async (_, w) => {
    for (let i = 0; flooding; i++) {
      guesses++
      await tryLogin(b.url, dock(`GUESS${w}x${i}`, 'guess'))
    }
  })
  // Wait until the flood has filled the queue: some guesses are being refused unchecked.
  while ((refusals.get('checks_busy') ?? 0) < 5) await new Promise((resolve) => setImmediate(resolve))
  const [underFlood, loaded] = await timed()
  flooding = false
  await Promise.all(flood)
  t.equal(underFlood, 'accepted', 'the honest dock logs in on its first try under the flood')
  t.ok((refusals.get('checks_busy') ?? 0) >= 5, 'guesses beyond the queue were refused without a check')
  t.comment(`honest login: ${quiet.toFixed(0)} ms quiet, ${loaded.toFixed(0)} ms under a flood of ${guesses} guesses ` +
    `(${refusals.get('bad_credentials') ?? 0} checked, ${refusals.get('checks_busy') ?? 0} refused unchecked)`)
})
