import t from 'tap'
import fc from 'fast-check'
import { body, expectedErrorKeys, fuzzWorld, headers, METHODS, query, segment } from './http-world.js'

/**
 * Random requests under the three vendor contracts' prefixes and outside
 * them: never a 5xx for caller input (the local issuer has no upstream to be
 * down), every error in the contract's own shape, the process still standing.
 */
const RUNS = Number(process.env.STSGATE_FUZZ_RUNS ?? 5_000)

async function checkAnswer (w: Awaited<ReturnType<typeof fuzzWorld>>, method: string, url: string, headers: Record<string, string>, payload: string | undefined): Promise<number> {
  const res = await w.test.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) })
  if (res.statusCode >= 500) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`)
  if (res.statusCode >= 400 && method !== 'HEAD') {
    let parsed: unknown
    try { parsed = JSON.parse(res.body) } catch { throw new Error(`${method} ${url} → ${res.statusCode} not JSON: ${res.body.slice(0, 200)}`) }
    const keys = Object.keys(parsed as object).sort()
    // inject resolves dot segments as a WHATWG URL does (`/v5/..` arrives as `/`): judge by what arrived.
    const expected = expectedErrorKeys(new URL(`http://localhost${url}`).pathname)
    if (JSON.stringify(keys) !== JSON.stringify(expected)) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}: expected keys ${expected.join(',')}`)
  }
  return res.statusCode
}

t.test(`${RUNS} random requests against every HTTP route: no 5xx, always the contract's error shape`, async (t) => {
  const w = await fuzzWorld(t)
  const prefixes = ['/pop', '/pop/v5', '/v1', `/v1/${w.projectId}`, '/v5', `/v5/iot/${w.projectId}`, `/v5/iot/${w.projectId}/devices/${w.deviceId}`, '/admin/v1', `/admin/v1/projects/${w.projectId}`, '/healthz', '/readyz', '/metrics', '']
  const request = fc.record({
    method: fc.constantFrom(...METHODS),
    prefix: fc.constantFrom(...prefixes),
    segments: fc.array(segment(w), { maxLength: 5 }),
    query: query(),
    headers: headers(w),
    body: body()
  })
  let cases = 0
  const statuses = new Map<number, number>()
  await fc.assert(fc.asyncProperty(request, async (r) => {
    cases++
    const path = [r.prefix, ...r.segments].join('/') || '/'
    const url = `${path.startsWith('/') ? path : `/${path}`}${r.query}`
    const status = await checkAnswer(w, r.method, url, r.headers, r.body)
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
  }), { numRuns: RUNS })
  t.comment(`fuzz cases run: ${cases}; statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
  t.equal(cases, RUNS)
  const ready = await w.test.app.inject({ method: 'GET', url: '/healthz' })
  t.equal(ready.statusCode, 200, 'still serving')
})

t.test(`${RUNS} random requests on the exact routes (past routing, into auth, validation and handlers)`, async (t) => {
  const w = await fuzzWorld(t)
  const routes = [
    '/pop/v5/package_storage_credential',
    `/v1/${w.projectId}/app-warehouse/action/authorize`,
    `/v5/iot/${w.projectId}/devices/${w.deviceId}/action`,
    `/v5/iot/${w.projectId}/devices/unknown-device/action`,
    '/admin/v1/projects', `/admin/v1/projects/${w.projectId}`, `/admin/v1/projects/${w.projectId}/tokens`,
    `/admin/v1/projects/${w.projectId}/targets`, `/admin/v1/projects/${w.projectId}/bindings`, `/admin/v1/projects/${w.projectId}/devices`,
    `/admin/v1/projects/${w.projectId}/gateways`, `/admin/v1/projects/${w.projectId}/access-keys`, '/admin/v1/credentials/introspect', '/admin/v1/status'
  ]
  const request = fc.record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT'), fc.constantFrom(...METHODS)),
    route: fc.constantFrom(...routes),
    query: query(),
    headers: headers(w),
    body: body()
  })
  let cases = 0
  const statuses = new Map<number, number>()
  await fc.assert(fc.asyncProperty(request, async (r) => {
    cases++
    const status = await checkAnswer(w, r.method, `${r.route}${r.query}`, r.headers, r.body)
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
  }), { numRuns: RUNS })
  t.comment(`fuzz cases run: ${cases}; statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
  t.equal(cases, RUNS)
})
