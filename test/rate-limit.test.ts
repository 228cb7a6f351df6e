import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp as buildApp, type TestApp } from './helpers/app.js'
import { openTestStore, testMasterKey } from './helpers/store.js'
import { REDIS_SKIP_REASON, TEST_REDIS_URL, testRedisPrefix } from './helpers/redis.js'

/**
 * Rate limits: per address before authentication, per principal and per
 * project after it, each refusal in the contract's own 429 with Retry-After.
 */

// One store for every app in this file (opening PGlite costs seconds); each test makes its own projects.
const keys = testMasterKey()
const store = await openTestStore(t, 'pglite', keys)
const buildTestApp = (t: Parameters<typeof buildApp>[0], options: { env: Record<string, string> }): Promise<TestApp> =>
  buildApp(t, { ...options, store, keys })

const WORKSPACE = (projectId: string): string => `/v1/${projectId}/app-warehouse/action/authorize`
const IOTDA = (projectId: string): string => `/v5/iot/${projectId}/devices/dev-1/action?action_id=resetSecret`
const EDAS = '/pop/v5/package_storage_credential'

const get = (h: TestApp, url: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
  h.app.inject({ method: 'GET', url, remoteAddress, headers })

const post = (h: TestApp, url: string, headers: Record<string, string>, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> =>
  h.app.inject({ method: 'POST', url, remoteAddress, headers: { 'content-type': 'application/json', ...headers }, payload: '{"app_file_name":"a.exe"}' })

async function projectWithTokens (h: TestApp, count: number): Promise<{ projectId: string, tokens: string[] }> {
  const project = await h.admin('POST', '/projects', { name: `rl-${Math.random().toString(36).slice(2, 10)}` })
  const projectId = project.body.project_id as string
  const tokens: string[] = []
  for (let i = 0; i < count; i++) tokens.push((await h.admin('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 600 })).body.token as string)
  return { projectId, tokens }
}

t.test('per address: the request over the limit gets each contract\'s own 429 with Retry-After', async (t) => {
  const h = await buildTestApp(t, { env: { STSGATE_RATE_LIMIT_IP_PER_MINUTE: '3' } })
  const cases: Array<{ name: string, url: string, address: string, check: (res: LightMyRequestResponse) => void }> = [
    {
      name: 'EDAS',
      url: EDAS,
      address: '203.0.113.1',
      check: (res) => {
        t.match(res.json(), { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.', RequestId: res.headers['x-request-id'], HostId: String })
        t.equal(res.headers['x-acs-request-id'], res.headers['x-request-id'], 'the POP request id header on an early refusal too')
      }
    },
    { name: 'Workspace', url: WORKSPACE('p1'), address: '203.0.113.2', check: (res) => t.match(res.json(), { error_code: 'APIGW.0308', error_msg: /throttling threshold/ }) },
    { name: 'IoTDA', url: IOTDA('p1'), address: '203.0.113.3', check: (res) => t.match(res.json(), { error_code: 'APIGW.0308' }) },
    { name: 'admin API', url: '/admin/v1/projects', address: '203.0.113.4', check: (res) => t.match(res.json(), { error: 'rate_limited', message: /retry after \d+ seconds/ }) }
  ]
  for (const c of cases) {
    for (let i = 0; i < 3; i++) t.not((await get(h, c.url, c.address)).statusCode, 429, `${c.name}: request ${i + 1} is within the limit`)
    const refused = await get(h, c.url, c.address)
    t.equal(refused.statusCode, 429, `${c.name}: the fourth request is refused`)
    t.match(refused.headers['content-type'], /^application\/json/)
    t.ok(Number(refused.headers['retry-after']) >= 1 && Number(refused.headers['retry-after']) <= 60, `${c.name}: Retry-After in seconds`)
    c.check(refused)
  }
  for (let i = 0; i < 5; i++) t.equal((await get(h, '/healthz', '203.0.113.1')).statusCode, 200, 'health probes are never limited')
  t.not((await get(h, EDAS, '198.51.100.7')).statusCode, 429, 'another address has its own allowance')
})

t.test('per address honours STSGATE_TRUST_PROXY: clients behind the proxy count separately', async (t) => {
  const h = await buildTestApp(t, { env: { STSGATE_RATE_LIMIT_IP_PER_MINUTE: '2', STSGATE_TRUST_PROXY: '1' } })
  const via = (client: string) => get(h, EDAS, '10.0.0.1', { 'x-forwarded-for': client })
  await via('192.0.2.1')
  await via('192.0.2.1')
  t.equal((await via('192.0.2.1')).statusCode, 429, 'the third request of one forwarded client is refused')
  t.not((await via('192.0.2.2')).statusCode, 429, 'a second client through the same proxy is not')
  const h2 = await buildTestApp(t, { env: { STSGATE_RATE_LIMIT_IP_PER_MINUTE: '2' } })
  for (const client of ['192.0.2.1', '192.0.2.2']) await get(h2, EDAS, '10.0.0.1', { 'x-forwarded-for': client })
  t.equal((await get(h2, EDAS, '10.0.0.1', { 'x-forwarded-for': '192.0.2.3' })).statusCode, 429, 'without trust, X-Forwarded-For is ignored')
})

t.test('IPv6 clients count per /64', async (t) => {
  const h = await buildTestApp(t, { env: { STSGATE_RATE_LIMIT_IP_PER_MINUTE: '2' } })
  await get(h, EDAS, '2001:db8:1:2::1')
  await get(h, EDAS, '2001:db8:1:2::2')
  t.equal((await get(h, EDAS, '2001:db8:1:2::3')).statusCode, 429, 'a third address of the same /64 is refused')
  t.not((await get(h, EDAS, '2001:db8:1:3::1')).statusCode, 429, 'another /64 is not')
})

t.test('per principal: a token over its limit is refused after authentication; another token of the project is not', async (t) => {
  const h = await buildTestApp(t, { env: { STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE: '2' } })
  const { projectId, tokens: [a, b] } = await projectWithTokens(h, 2)
  for (let i = 0; i < 2; i++) t.not((await post(h, WORKSPACE(projectId), { 'x-auth-token': a as string })).statusCode, 429)
  const refused = await post(h, WORKSPACE(projectId), { 'x-auth-token': a as string })
  t.equal(refused.statusCode, 429)
  t.match(refused.json(), { error_code: 'APIGW.0308' })
  t.ok(Number(refused.headers['retry-after']) >= 1)
  t.not((await post(h, WORKSPACE(projectId), { 'x-auth-token': b as string })).statusCode, 429, 'the other token has its own allowance')
  const bad = await post(h, WORKSPACE(projectId), { 'x-auth-token': 'not-a-token' })
  t.equal(bad.statusCode, 401, 'a failed authentication is not counted against (or refused as) a principal')
})

t.test('per project: tokens of one project share its allowance; another project is unaffected', async (t) => {
  const h = await buildTestApp(t, { env: { STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE: '3' } })
  const one = await projectWithTokens(h, 2)
  const two = await projectWithTokens(h, 1)
  const [a, b] = one.tokens as [string, string]
  await post(h, IOTDA(one.projectId), { 'x-auth-token': a })
  await post(h, IOTDA(one.projectId), { 'x-auth-token': b })
  await post(h, IOTDA(one.projectId), { 'x-auth-token': a })
  const refused = await post(h, IOTDA(one.projectId), { 'x-auth-token': b })
  t.equal(refused.statusCode, 429, 'the fourth request of the project is refused, whichever token')
  t.match(refused.json(), { error_code: 'APIGW.0308', error_msg: /too many requests/ })
  t.not((await post(h, IOTDA(two.projectId), { 'x-auth-token': two.tokens[0] as string })).statusCode, 429, 'another project is not limited')
})

t.test('Redis unreachable: the limits still hold, per instance, and nothing crashes', async (t) => {
  // Port 1 on loopback: connection refused at once.
  const h = await buildTestApp(t, { env: { STSGATE_REDIS_URL: 'redis://127.0.0.1:1', STSGATE_RATE_LIMIT_IP_PER_MINUTE: '2' } })
  t.equal((await get(h, '/healthz')).statusCode, 200)
  await get(h, '/admin/v1/projects', '203.0.113.9')
  await get(h, '/admin/v1/projects', '203.0.113.9')
  t.equal((await get(h, '/admin/v1/projects', '203.0.113.9')).statusCode, 429, 'counted in the instance\'s own counters')
  t.ok(h.logs.some((l) => /counting per instance/.test(String(l.msg))), 'the fallback is logged')
})

t.test('shared through Redis: two instances count against one allowance', { skip: TEST_REDIS_URL === undefined ? REDIS_SKIP_REASON : false }, async (t) => {
  const prefix = await testRedisPrefix(t)
  const env = { STSGATE_REDIS_URL: TEST_REDIS_URL as string, STSGATE_REDIS_PREFIX: prefix, STSGATE_RATE_LIMIT_IP_PER_MINUTE: '3' }
  const a = await buildTestApp(t, { env })
  const b = await buildTestApp(t, { env })
  t.not((await get(a, '/admin/v1/projects', '203.0.113.10')).statusCode, 429)
  t.not((await get(a, '/admin/v1/projects', '203.0.113.10')).statusCode, 429)
  t.not((await get(b, '/admin/v1/projects', '203.0.113.10')).statusCode, 429)
  const refused = await get(b, '/admin/v1/projects', '203.0.113.10')
  t.equal(refused.statusCode, 429, 'B refuses the fourth request although it saw only two')
  t.equal((await get(a, '/admin/v1/projects', '203.0.113.10')).statusCode, 429, 'and so does A')
})
