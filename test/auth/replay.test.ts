import t from 'tap'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { MemoryReplayGuard } from '../../src/auth/replay.js'
import { FingerprintTable } from '../../src/auth/fingerprint-table.js'

/**
 * The in-memory replay window: a replay is always refused, a key is never
 * forgotten before its expiry, whole time buckets are dropped once expired,
 * and beyond the memory budget new keys are refused (replay_window_full),
 * never old ones forgotten.
 */

const MINUTE = 60_000
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0)

t.test('a key is new once, then a replay until its expiry', async (t) => {
  let now = T0
  const guard = new MemoryReplayGuard(() => now)
  t.equal(await guard.remember('aliyun:roa:AK:n1', now + 15 * MINUTE), true)
  t.equal(await guard.remember('aliyun:roa:AK:n1', now + 15 * MINUTE), false, 'the same key again is a replay')
  t.equal(await guard.remember('aliyun:roa:AK:n2', now + 15 * MINUTE), true, 'another key is new')
  t.equal(await guard.remember('aliyun:roa:OTHER:n1', now + 15 * MINUTE), true, 'the same nonce under another key is new')
  now = T0 + 15 * MINUTE - 1
  t.equal(await guard.remember('aliyun:roa:AK:n1', now + 15 * MINUTE), false, 'one millisecond before its expiry it is still remembered')
  t.equal(guard.entries, 3)
})

t.test('whole buckets are dropped once every key in them has expired', async (t) => {
  let now = T0
  const guard = new MemoryReplayGuard(() => now, { bucketMs: MINUTE })
  for (let i = 0; i < 1000; i++) await guard.remember(`k${i}`, now + 15 * MINUTE + (i % 2) * 2 * MINUTE)
  t.equal(guard.entries, 1000)
  const bytes = guard.bytes
  now = T0 + 16 * MINUTE
  t.equal(await guard.remember('fresh', now + 15 * MINUTE), true)
  t.equal(guard.entries, 501, 'the earlier bucket went as a whole; the later one and the new key remain')
  t.ok(guard.bytes < bytes + FingerprintTable.INITIAL_SLOTS * 8, 'its table was freed')
  t.equal(await guard.remember('k1', now + MINUTE), false, 'a key of the later bucket is still a replay')
  now = T0 + 18 * MINUTE
  t.equal(await guard.remember('k1', now + MINUTE), true, 'after its expiry (and its bucket\'s end) the key is forgotten')
})

t.test('many keys: every one is new once and a replay after (tables grow without losing any)', async (t) => {
  const now = T0
  const guard = new MemoryReplayGuard(() => now)
  const keys = Array.from({ length: 50_000 }, () => `hw:AK:${randomUUID()}`)
  let fresh = 0
  for (const [i, key] of keys.entries()) if (await guard.remember(key, now + 15 * MINUTE - (i % 90_000))) fresh++
  t.equal(fresh, keys.length, 'all new')
  let replays = 0
  for (const key of keys) if (!await guard.remember(key, now + 15 * MINUTE)) replays++
  t.equal(replays, keys.length, 'all replays')
  t.ok(guard.bytes / guard.entries <= 16, `at most 16 bytes per key (${(guard.bytes / guard.entries).toFixed(1)})`)
})

t.test('at the memory budget: new keys are refused with replay_window_full; nothing remembered is forgotten', async (t) => {
  let now = T0
  const budgetBytes = FingerprintTable.INITIAL_SLOTS * 8
  const guard = new MemoryReplayGuard(() => now, { budgetBytes })
  const accepted: string[] = []
  let refusal: unknown
  for (let i = 0; i < 10_000 && refusal === undefined; i++) {
    try {
      if (await guard.remember(`n${i}`, now + 15 * MINUTE)) accepted.push(`n${i}`)
    } catch (err) {
      refusal = err
    }
  }
  t.match(refusal, { kind: 'unavailable', code: 'replay_window_full' }, 'the key that does not fit is refused')
  t.equal(accepted.length, Math.floor(FingerprintTable.INITIAL_SLOTS * FingerprintTable.MAX_LOAD), 'a full first table')
  t.ok(guard.bytes <= budgetBytes, 'within the budget')
  t.equal(guard.refusals, 1)
  for (const key of accepted) t.equal(await guard.remember(key, now + 15 * MINUTE), false, `${key} is still a replay`)
  await t.rejects(guard.remember('another', now + 15 * MINUTE + 5 * MINUTE), { code: 'replay_window_full' }, 'a new bucket does not fit either')
  t.equal(guard.refusals, 2)
  now = T0 + 16 * MINUTE
  t.equal(await guard.remember('after', now + 15 * MINUTE), true, 'once the bucket has aged out there is room again')
})

t.test('against a plain map: a replay inside its window is never accepted (property)', async (t) => {
  // Keys from a small alphabet so that repeats are common; times move forward by random steps.
  const op = fc.record({ key: fc.integer({ min: 0, max: 30 }), advanceMs: fc.integer({ min: 0, max: 5 * MINUTE }), ttlMs: fc.integer({ min: 1, max: 30 * MINUTE }) })
  fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 200 }), async (ops) => {
    let now = T0
    const guard = new MemoryReplayGuard(() => now, { bucketMs: MINUTE })
    const model = new Map<string, number>()
    for (const { key, advanceMs, ttlMs } of ops) {
      now += advanceMs
      const name = `k${key}`
      const until = model.get(name)
      const fresh = await guard.remember(name, now + ttlMs)
      if (until !== undefined && until > now) {
        if (fresh) return false // a replay inside its window was accepted
        continue
      }
      // Kept at most one bucket longer than asked: a key whose bucket has ended is new again.
      if (until === undefined || Math.ceil(until / MINUTE) * MINUTE <= now) {
        if (!fresh) return false
      }
      if (fresh) model.set(name, now + ttlMs)
    }
    return true
  }), { numRuns: 300 })
  t.pass('300 random sequences')
})
