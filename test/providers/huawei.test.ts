import { createRequire } from 'node:module'
import t, { type Test } from 'tap'
import { startFakeHuaweiIam, type FakeHuaweiIam } from '../fakes/huawei-iam.js'
import { createHuaweiProvider } from '../../src/providers/huawei.js'
import { formatSdkDate, signHuaweiRequest } from '../../src/signing/huawei-apig.js'
import { renderPolicy } from '../../src/credentials/policy.js'
import type { DomainError } from '../../src/errors.js'
import type { HuaweiUpstream } from '../../src/domain/target.js'
import { makeScope, makeTarget } from '../credentials/scope-fixtures.js'

const keys = { accessKeyId: 'HPUAFAKEFAKE0001', secretAccessKey: 'fake-huawei-secret-0123456789' }

async function setup (t: Test, overrides: Partial<HuaweiUpstream> = {}, timeoutMs = 300) {
  const iam = await startFakeHuaweiIam(keys)
  t.teardown(() => iam.close())
  const upstream: HuaweiUpstream = {
    agency_name: 'stsgate-obs',
    domain_name: 'tenant-a',
    access_key_id: keys.accessKeyId,
    secret_access_key: keys.secretAccessKey,
    iam_endpoint: iam.url,
    ...overrides,
  }
  const target = makeTarget({ provider: 'huawei', bucket: 'wks-app-test123456', region: 'cn-north-4', upstream })
  const scope = makeScope({ target, resource: { kind: 'object', key: 'file/proj-1/Postman Setup 1.0.exe' }, actions: ['put', 'delete'], durationSeconds: 900 })
  const provider = createHuaweiProvider(upstream, { timeoutMs, allowCustomUpstreams: true })
  return { iam, scope, mint: async () => await provider.mint(scope, renderPolicy(scope)) }
}

t.test('the signer matches @huaweicloud/huaweicloud-sdk-core AKSKSigner byte for byte', async (t) => {
  const require = createRequire(import.meta.url)
  const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
    AKSKSigner: { sign: (r: unknown, c: unknown) => Record<string, string> }
  }
  const at = new Date('2026-11-24T10:11:12Z')
  const body = JSON.stringify({ auth: { identity: { methods: ['assume_role'] } } })
  const url = new URL('http://127.0.0.1:8443/v3.0/OS-CREDENTIAL/securitytokens?b=2&a=x y')
  const ours = signHuaweiRequest({ method: 'POST', url, headers: { 'content-type': 'application/json;charset=utf8' }, body }, keys, at)
  const theirs = AKSKSigner.sign({
    method: 'POST',
    endpoint: url.toString(),
    headers: { 'content-type': 'application/json;charset=utf8', 'X-Sdk-Date': formatSdkDate(at.getTime()) },
    queryParams: { b: '2', a: 'x y' },
    data: JSON.parse(body),
  }, { getAk: () => keys.accessKeyId, getSk: () => keys.secretAccessKey })
  t.equal(formatSdkDate(at.getTime()), '20261124T101112Z')
  t.equal(ours.authorization, theirs.Authorization)
})

t.test('the fake IAM checks with the SDK\'s signer: our signature passes, a body changed after signing does not', async (t) => {
  const iam = await startFakeHuaweiIam(keys)
  t.teardown(() => iam.close())
  const url = new URL(`${iam.url}/v3.0/OS-CREDENTIAL/securitytokens`)
  const body = JSON.stringify({ auth: { identity: { methods: ['assume_role'] } } })
  const headers = signHuaweiRequest({ method: 'POST', url, headers: { 'content-type': 'application/json;charset=utf8' }, body }, keys)
  t.equal((await fetch(url, { method: 'POST', headers, body })).status, 201)
  const tampered = JSON.stringify({ auth: { identity: { methods: ['token'] } } })
  t.equal((await fetch(url, { method: 'POST', headers, body: tampered })).status, 401)
  t.same(iam.calls.map((c) => c.signatureValid), [true, false])
})

t.test('mints through the fake: signature verified, agency, domain, duration, policy carried, 201 parsed', async (t) => {
  const { iam, mint } = await setup(t)
  const cred = await mint()
  t.ok(cred.accessKeyId.length === 20)
  t.ok(cred.securityToken.startsWith('gQpjbi1ub3J0aC00'))
  t.ok(cred.expiresAt.getTime() > Date.now() + 3000_000)
  const call = iam.calls[0]!
  t.equal(call.signatureValid, true)
  t.same(call.methods, ['assume_role'])
  t.equal(call.agencyName, 'stsgate-obs')
  t.equal(call.domainName, 'tenant-a')
  t.equal(call.domainId, null)
  t.equal(call.durationSeconds, 900)
  t.same(call.policy, {
    Version: '1.1',
    Statement: [{ Effect: 'Allow', Action: ['obs:object:PutObject', 'obs:object:DeleteObject'], Resource: ['obs:*:*:object:wks-app-test123456/file/proj-1/Postman Setup 1.0.exe'] }],
  })
})

t.test('domain_id is sent instead of domain_name when configured', async (t) => {
  const { iam, mint } = await setup(t, { domain_id: '0a1b2c', domain_name: undefined })
  await mint()
  t.equal(iam.calls[0]?.domainId, '0a1b2c')
  t.equal(iam.calls[0]?.domainName, null)
})

t.test('a wrong secret fails the signature check → upstream_denied', async (t) => {
  const { iam, mint } = await setup(t, { secret_access_key: 'wrong' })
  const err = await mint().catch((e: unknown) => e) as DomainError
  t.equal(iam.calls[0]?.signatureValid, false)
  t.equal(err.code, 'upstream_denied')
})

t.test('failures map to domain errors', async (t) => {
  const { iam, mint } = await setup(t)
  const cases: Array<[Parameters<FakeHuaweiIam['setMode']>[0], string, string]> = [
    ['throttle', 'throttled', 'upstream_throttled'],
    ['deny', 'misconfigured', 'upstream_denied'],
    ['fail', 'unavailable', 'upstream_unavailable'],
    ['garbage', 'unavailable', 'upstream_unavailable'],
  ]
  for (const [mode, kind, code] of cases) {
    iam.setMode(mode)
    const err = await mint().catch((e: unknown) => e) as DomainError
    t.equal(err.kind, kind, `${mode} → ${kind}`)
    t.equal(err.code, code, `${mode} → ${code}`)
  }
})

t.test('a hanging upstream gives up within the configured timeout; a refused connection is unavailable', async (t) => {
  const { iam, mint } = await setup(t, {}, 300)
  iam.setMode('hang')
  const started = Date.now()
  const err = await mint().catch((e: unknown) => e) as DomainError
  t.equal(err.kind, 'unavailable')
  t.ok(Date.now() - started < 1500)
  await iam.close()
  const refused = await mint().catch((e: unknown) => e) as DomainError
  t.equal(refused.kind, 'unavailable')
})

t.test('durations outside the agency range are refused before calling out', async (t) => {
  const { iam, scope } = await setup(t)
  const provider = createHuaweiProvider({ agency_name: 'a', domain_name: 'd', access_key_id: 'k', secret_access_key: 's', iam_endpoint: iam.url }, { allowCustomUpstreams: true })
  const err = await provider.mint({ ...scope, durationSeconds: 50_000 }, renderPolicy(scope)).catch((e: unknown) => e) as DomainError
  t.equal(err.code, 'invalid_duration')
  t.equal(iam.calls.length, 0)
})

t.test('redirects are never followed', async (t) => {
  const { iam } = await setup(t)
  const { createServer } = await import('node:http')
  const redirector = createServer((_req, res) => { res.writeHead(307, { location: `${iam.url}/v3.0/OS-CREDENTIAL/securitytokens` }); res.end() })
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { redirector.closeAllConnections(); redirector.close(() => resolve()) }))
  const port = (redirector.address() as { port: number }).port
  const provider = createHuaweiProvider({ agency_name: 'a', domain_name: 'd', ...{ access_key_id: keys.accessKeyId, secret_access_key: keys.secretAccessKey }, iam_endpoint: `http://127.0.0.1:${port}` },
    { allowCustomUpstreams: true, timeoutMs: 500 })
  const scope = makeScope({ target: makeTarget({ provider: 'huawei' }), durationSeconds: 900 })
  const err = await provider.mint(scope, renderPolicy(scope)).catch((e: unknown) => e) as DomainError
  t.equal(err.kind, 'unavailable')
  t.equal(iam.calls.length, 0, 'the redirect target was never called')
})
