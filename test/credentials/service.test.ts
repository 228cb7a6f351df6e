import t from 'tap'
import fc from 'fast-check'
import { CredentialService, type CredentialServiceOptions } from '../../src/credentials/service.js'
import type { Scope } from '../../src/domain/scope.js'
import type { CredentialProvider, MintedCredential } from '../../src/domain/provider.js'
import { createAliyunProvider } from '../../src/providers/aliyun.js'
import { createProvider } from '../../src/providers/create-provider.js'
import { MasterKey } from '../../src/keys.js'
import { DomainError } from '../../src/errors.js'
import { startFakeAliyunSts } from '../fakes/aliyun-sts.js'
import { makeScope, makeTarget } from './scope-fixtures.js'

/** A provider on the test clock: unique keys per mint, switchable failure. */
function stubProvider (clock: { now: number }) {
  const state = { calls: [] as Scope[], failWith: null as Error | null, delayMs: 0, lifetimeSeconds: null as number | null }
  let n = 0
  const provider: CredentialProvider = {
    name: 'stub',
    async mint (scope): Promise<MintedCredential> {
      state.calls.push(scope)
      if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs))
      if (state.failWith !== null) throw state.failWith
      n++
      return { accessKeyId: `AK${n}`, secret: `SK${n}`, securityToken: `TOKEN${n}`, expiresAt: new Date(clock.now + (state.lifetimeSeconds ?? scope.durationSeconds) * 1000) }
    },
  }
  return { provider, state }
}

function setup (options: Partial<CredentialServiceOptions> = {}) {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') }
  const { provider, state } = stubProvider(clock)
  const service = new CredentialService({ providerFor: () => provider, now: () => clock.now, ...options })
  return { clock, state, service }
}

const prefixScope = (prefix: string, overrides: Partial<Scope> = {}): Scope =>
  makeScope({ resource: { kind: 'prefix', prefix }, ...overrides })

t.test('200 concurrent vends of one cold scope make exactly one upstream call (real SDK against the fake)', async (t) => {
  const keys = { accessKeyId: 'LTAIconcurrency', accessKeySecret: 'secret-concurrency' }
  const sts = await startFakeAliyunSts(keys)
  t.teardown(() => sts.close())
  sts.setMode('ok', { delayMs: 50 })
  const upstream = { role_arn: 'acs:ram::1:role/r', access_key_id: keys.accessKeyId, access_key_secret: keys.accessKeySecret, sts_endpoint: sts.url }
  const target = makeTarget({ provider: 'aliyun', upstream })
  const service = new CredentialService({ providerFor: (tg) => createAliyunProvider(tg.upstream as typeof upstream, { allowCustomUpstreams: true, timeoutMs: 2000 }) })
  const scope = makeScope({ target })
  const results = await Promise.all(Array.from({ length: 200 }, async () => await service.vend(scope)))
  t.equal(sts.calls.length, 1)
  t.equal(new Set(results.map((r) => r.accessKeyId)).size, 1)
  t.equal(service.counters.upstreamCalls.aliyun, 1)
  t.equal(service.counters.misses, 200)
  const again = await service.vend(scope)
  t.equal(again.fromCache, true)
  t.equal(again.accessKeyId, results[0]!.accessKeyId)
  t.equal(service.counters.hits, 1)
})

t.test('distinct scopes mint one each, and repeat reads are cache hits', async (t) => {
  const { state, service } = setup()
  const scopes = ['a/', 'b/', 'c/'].map((p) => prefixScope(p))
  const first = await Promise.all(scopes.flatMap((s) => [service.vend(s), service.vend(s)]))
  t.equal(state.calls.length, 3)
  t.equal(new Set(first.map((c) => c.accessKeyId)).size, 3)
  const second = await service.vend(scopes[1]!)
  t.equal(second.fromCache, true)
  t.equal(second.accessKeyId, first[2]!.accessKeyId)
  t.equal(second.policy, first[2]!.policy)
  t.match(second.policy, /test-bucket\/b\/\*/)
})

t.test('a scope never gets another scope\'s credential (property)', async (t) => {
  const { service } = setup({ mintsPerSecondPerProject: 1e9, mintBurstPerProject: 1e9 })
  const segment = fc.stringMatching(/^[a-z0-9]{1,4}$/)
  const scopeArb = fc.record({
    prefix: fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `${s.join('/')}/`),
    actions: fc.subarray(['put', 'get', 'delete', 'multipart'] as const, { minLength: 1 }),
    duration: fc.constantFrom(900, 1800, 3600),
    version: fc.constantFrom(1, 2),
  })
  await fc.assert(fc.asyncProperty(scopeArb, scopeArb, async (a, b) => {
    const toScope = (x: typeof a): Scope => {
      const target = makeTarget({ version: x.version, durationSeconds: x.duration })
      return makeScope({ target, resource: { kind: 'prefix', prefix: x.prefix }, actions: x.actions, durationSeconds: x.duration })
    }
    const [ca, cb] = await Promise.all([service.vend(toScope(a)), service.vend(toScope(b))])
    const same = a.prefix === b.prefix && a.duration === b.duration && a.version === b.version &&
      [...a.actions].sort().join() === [...b.actions].sort().join()
    return same ? ca.accessKeyId === cb.accessKeyId : ca.accessKeyId !== cb.accessKeyId
  }), { numRuns: 300 })
})

t.test('a new target version never serves the old version\'s credential', async (t) => {
  const { state, service } = setup()
  const v1 = await service.vend(makeScope({ target: makeTarget({ version: 1 }) }))
  const v2 = await service.vend(makeScope({ target: makeTarget({ version: 2 }) }))
  t.not(v1.accessKeyId, v2.accessKeyId)
  t.equal(state.calls.length, 2)
})

t.test('refresh-ahead: a read inside the refresh window serves the entry and refreshes it once in the background', async (t) => {
  const { clock, state, service } = setup()
  const scope = prefixScope('p/') // 3600 s: min remaining 300 s, refresh window 300 s more
  const first = await service.vend(scope)
  clock.now += 2990_000 // 610 s left: outside the window
  t.equal((await service.vend(scope)).accessKeyId, first.accessKeyId)
  t.equal(state.calls.length, 1)
  clock.now += 100_000 // 510 s left: inside the window
  const [a, b] = await Promise.all([service.vend(scope), service.vend(scope)])
  t.equal(a.accessKeyId, first.accessKeyId, 'still served while refreshing')
  t.equal(b.fromCache, true)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(state.calls.length, 2, 'one background refresh')
  t.equal(service.counters.refreshes, 1)
  const after = await service.vend(scope)
  t.not(after.accessKeyId, first.accessKeyId, 'the refreshed credential replaces the old one')
  t.equal(after.fromCache, true)
})

t.test('below the minimum remaining lifetime a read mints synchronously', async (t) => {
  const { clock, state, service } = setup()
  const scope = prefixScope('p/')
  const first = await service.vend(scope)
  clock.now += 3400_000 // 200 s left < 300 s
  const second = await service.vend(scope)
  t.not(second.accessKeyId, first.accessKeyId)
  t.equal(second.fromCache, false)
  t.equal(state.calls.length, 2)
})

t.test('a caller may demand a longer remaining lifetime (DJI margin + floor)', async (t) => {
  const { clock, state, service } = setup()
  const scope = prefixScope('p/')
  const first = await service.vend(scope)
  clock.now += 1800_000 // 1800 s left
  t.equal((await service.vend(scope, { minRemainingSeconds: 1200 })).accessKeyId, first.accessKeyId)
  const fresh = await service.vend(scope, { minRemainingSeconds: 2400 })
  t.not(fresh.accessKeyId, first.accessKeyId)
  t.equal(state.calls.length, 2)
  await t.rejects(service.vend(scope, { minRemainingSeconds: 4000 }), { kind: 'misconfigured', code: 'duration_too_short' })
})

t.test('outage: still-valid entries keep being served; expired entries give upstream_unavailable', async (t) => {
  const { clock, state, service } = setup({ negativeTtlMs: 0 })
  const scope = prefixScope('p/')
  const first = await service.vend(scope)
  state.failWith = new DomainError('upstream_unavailable', 'aliyun STS is unavailable (HTTP 500)')
  clock.now += 3400_000 // 200 s left: below the minimum, so a mint is attempted and fails
  const stale = await service.vend(scope)
  t.equal(stale.accessKeyId, first.accessKeyId)
  t.equal(service.counters.staleServed, 1)
  t.equal(service.counters.upstreamFailures.local, 1)
  const health = service.upstreamState().local!
  t.equal(health.lastFailureAt?.getTime(), clock.now)
  t.equal(health.lastFailureCode, 'upstream_unavailable')
  await t.rejects(service.vend(scope, { minRemainingSeconds: 250 }), { code: 'upstream_unavailable' },
    'an explicit minimum is not waived during an outage')
  clock.now += 300_000 // expired
  await t.rejects(service.vend(scope), { kind: 'unavailable', code: 'upstream_unavailable' })
  state.failWith = new Error('socket hang up')
  await t.rejects(service.vend(scope), { kind: 'unavailable', code: 'upstream_unavailable' }, 'non-domain errors are wrapped')
  state.failWith = null
  const recovered = await service.vend(scope)
  t.not(recovered.accessKeyId, first.accessKeyId)
  t.equal(service.upstreamState().local?.consecutiveFailures, 0)
})

t.test('a failing scope is negative-cached briefly', async (t) => {
  const { clock, state, service } = setup({ negativeTtlMs: 2000 })
  const scope = prefixScope('p/')
  state.failWith = new DomainError('upstream_throttled', 'throttled')
  await t.rejects(service.vend(scope), { code: 'upstream_throttled' })
  await t.rejects(service.vend(scope), { code: 'upstream_throttled' })
  t.equal(state.calls.length, 1)
  t.equal(service.counters.negativeHits, 1)
  clock.now += 2001
  state.failWith = null
  await service.vend(scope)
  t.equal(state.calls.length, 2)
})

t.test('the per-project mint budget throttles one project without touching another', async (t) => {
  const { clock, state, service } = setup({ mintsPerSecondPerProject: 2, mintBurstPerProject: 2 })
  await service.vend(prefixScope('a/'))
  await service.vend(prefixScope('b/'))
  await t.rejects(service.vend(prefixScope('c/')), { kind: 'throttled', code: 'mint_budget_exhausted' })
  const other = makeTarget({ id: 'tgt-2', projectId: 'proj-2' })
  await service.vend(makeScope({ target: other }))
  t.equal(service.counters.budgetRejections, 1)
  clock.now += 500 // one token back
  await service.vend(prefixScope('c/'))
  t.equal(state.calls.length, 4)
})

t.test('the LRU keeps each project within its share', async (t) => {
  const { state, service } = setup({ maxEntries: 10, maxEntriesPerProject: 2 })
  const other = makeScope({ target: makeTarget({ id: 'tgt-2', projectId: 'proj-2' }) })
  await service.vend(other)
  for (const p of ['a/', 'b/', 'c/']) await service.vend(prefixScope(p))
  t.equal(service.cacheSize, 3)
  t.equal((await service.vend(other)).fromCache, true, 'the other project kept its entry')
  t.equal((await service.vend(prefixScope('c/'))).fromCache, true)
  t.equal((await service.vend(prefixScope('a/'))).fromCache, false, 'the project\'s oldest entry was evicted')
  t.equal(state.calls.length, 5)
})

t.test('an upstream credential shorter-lived than the minimum gets the contract\'s error and is never cached', async (t) => {
  const { clock, state, service } = setup({ negativeTtlMs: 2000 })
  const scope = prefixScope('p/') // 3600 s: at least 300 s must remain
  state.lifetimeSeconds = 60
  const tooShort = { kind: 'misconfigured', code: 'credential_lifetime_too_short' }
  await t.rejects(service.vend(scope), tooShort)
  t.equal(service.cacheSize, 0, 'nothing cached')
  t.equal(service.counters.staleServed, 0, 'the short credential was not served as stale')
  t.equal(service.upstreamState().local?.lastFailureCode, 'credential_lifetime_too_short', 'the operator sees why')
  await t.rejects(service.vend(scope), tooShort)
  t.equal(state.calls.length, 1, 'negative-cached like any failed mint: the upstream is not asked on every request')
  clock.now += 2001
  await t.rejects(service.vend(scope), tooShort)
  t.equal(state.calls.length, 2)
  t.equal(service.cacheSize, 0)
})

t.test('a too-short upstream credential does not fall back to an older entry either', async (t) => {
  const { clock, state, service } = setup({ negativeTtlMs: 0 })
  const scope = prefixScope('p/')
  await service.vend(scope)
  clock.now += 3400_000 // 200 s left: below the minimum, still valid
  state.lifetimeSeconds = 60
  await t.rejects(service.vend(scope), { code: 'credential_lifetime_too_short' }, 'a misconfiguration is not an outage')
  t.equal(service.counters.staleServed, 0)
})

t.test('a credential long enough for the scope but not for a demanding caller is cached for the others', async (t) => {
  const { state, service } = setup()
  const scope = prefixScope('p/')
  state.lifetimeSeconds = 1800
  await t.rejects(service.vend(scope, { minRemainingSeconds: 2400 }), { kind: 'misconfigured', code: 'credential_lifetime_too_short' })
  t.equal(service.cacheSize, 1)
  const other = await service.vend(scope)
  t.equal(other.fromCache, true)
  t.equal(state.calls.length, 1)
})

t.test('invalid names are refused before anything is minted', async (t) => {
  const { state, service } = setup()
  await t.rejects(service.vend(prefixScope('../')), { kind: 'invalid', code: 'invalid_object_name' })
  t.equal(state.calls.length, 0)
})

t.test('createProvider wires the local issuer through the service', async (t) => {
  const masterKey = new MasterKey(Buffer.alloc(32, 7))
  const service = new CredentialService({ providerFor: (target) => createProvider(target, { masterKey }) })
  const cred = await service.vend(makeScope())
  t.match(cred.accessKeyId, /^STS\./)
  t.equal(service.counters.upstreamCalls.local, 1)
  t.throws(() => createProvider(makeTarget({ provider: 'aws', upstream: null }), { masterKey }), { code: 'upstream_missing' })
})
