import t from 'tap'
import { startWorld } from '../routes/workspace-world.js'
import type { FakeMode } from '../fakes/fake-upstream.js'

/**
 * Upstream STS trouble (Huawei IAM fake behind the Workspace contract), with
 * STSGATE_UPSTREAM_TIMEOUT_MS=500: a credential already cached keeps being
 * served while valid; a scope with nothing cached gets the contract's
 * documented error — 503 (429 for throttling) — within the timeout plus a
 * margin for two shared CI cores.
 */
const TIMEOUT_MS = 500
const MARGIN_MS = 1_000

interface Fault { name: string, mode: FakeMode, delayMs?: number, status: number, code: string }
const FAULTS: Fault[] = [
  { name: 'hangs', mode: 'hang', status: 503, code: 'WKS.00503001' },
  { name: 'is slower than the timeout', mode: 'ok', delayMs: 3_000, status: 503, code: 'WKS.00503001' },
  { name: 'answers 500', mode: 'fail', status: 503, code: 'WKS.00503001' },
  { name: 'throttles', mode: 'throttle', status: 429, code: 'WKS.00429001' },
  { name: 'returns garbage', mode: 'garbage', status: 503, code: 'WKS.00503001' }
]

t.test('upstream faults: cached credentials keep flowing, uncached scopes fail fast in the contract\'s dialect', async (t) => {
  const world = await startWorld(t, { provider: 'huawei', env: { STSGATE_UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) } })
  const iam = world.iam!
  const authorize = (name: string) => world.test.app.inject({
    method: 'POST', url: world.authorizePath(), headers: { 'x-auth-token': world.token, 'content-type': 'application/json' },
    payload: JSON.stringify({ app_file_name: name })
  })
  let injected = 0
  for (const [i, fault] of FAULTS.entries()) {
    t.test(`the upstream ${fault.name}`, async (t) => {
      iam.setMode('ok', { delayMs: 0 })
      const cachedName = `cached-${i}.exe`
      const warm = await authorize(cachedName)
      t.equal(warm.statusCode, 200, 'warmed while the upstream works')

      iam.setMode(fault.mode, { delayMs: fault.delayMs ?? 0 })
      injected++
      const cached = await authorize(cachedName)
      t.equal(cached.statusCode, 200, 'the cached credential is still served')
      t.equal(cached.json().ak, warm.json().ak, 'the same credential')

      const started = performance.now()
      const fresh = await authorize(`fresh-${i}.exe`)
      const elapsed = performance.now() - started
      t.equal(fresh.statusCode, fault.status, fresh.body)
      t.same(Object.keys(fresh.json()).sort(), ['error_code', 'error_msg'], 'Workspace error shape')
      t.equal(fresh.json().error_code, fault.code)
      t.ok(elapsed < TIMEOUT_MS + MARGIN_MS, `answered in ${Math.round(elapsed)} ms (< ${TIMEOUT_MS} + ${MARGIN_MS})`)
      t.notOk(fresh.body.includes(iam.url), 'the upstream address is not revealed')
    })
  }
  t.test('a slow upstream within the timeout still mints', async (t) => {
    iam.setMode('ok', { delayMs: 200 })
    const res = await authorize('slow-but-fine.exe')
    t.equal(res.statusCode, 200, res.body)
  })
  t.test('recovery: a new scope mints again once the upstream answers', async (t) => {
    iam.setMode('ok', { delayMs: 0 })
    // The failed scopes sit in the short negative cache (2 s); a new name goes straight through.
    const res = await authorize('after-recovery.exe')
    t.equal(res.statusCode, 200, res.body)
    t.comment(`upstream faults injected: ${injected}`)
  })
})

t.test('an upstream issuing credentials shorter than the minimum: the contract\'s misconfiguration error, nothing cached', async (t) => {
  const world = await startWorld(t, { provider: 'huawei' })
  const iam = world.iam!
  iam.credentialSeconds = 60 // the target asks for 900 s; at least 225 s must remain when served
  const authorize = () => world.test.app.inject({
    method: 'POST', url: world.authorizePath(), headers: { 'x-auth-token': world.token, 'content-type': 'application/json' },
    payload: JSON.stringify({ app_file_name: 'short-lived.exe' })
  })
  for (const attempt of ['first', 'second']) {
    const res = await authorize()
    t.equal(res.statusCode, 500, `${attempt}: ${res.body}`)
    t.equal(res.json().error_code, 'WKS.00500002', 'Workspace\'s misconfiguration code')
  }
  t.equal(iam.calls.length, 1, 'the second request hit the short negative cache, not the upstream')
  t.equal(world.test.app.credentials.cacheSize, 0, 'the short credential was not cached')
})
