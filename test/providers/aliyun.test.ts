import t, { type Test } from 'tap'
import { startFakeAliyunSts, type FakeAliyunSts } from '../fakes/aliyun-sts.js'
import { createAliyunProvider } from '../../src/providers/aliyun.js'
import { renderPolicy } from '../../src/credentials/policy.js'
import { DomainError } from '../../src/errors.js'
import { makeScope, makeTarget } from '../credentials/scope-fixtures.js'
import type { AliyunUpstream } from '../../src/domain/target.js'

const keys = { accessKeyId: 'LTAI5tFakeAccessKey', accessKeySecret: 'fake-secret-aliyun-0123456789' }

async function setup (t: Test, upstreamOverrides: Partial<AliyunUpstream> = {}, timeoutMs = 300): Promise<{ sts: FakeAliyunSts, mint: () => ReturnType<ReturnType<typeof createAliyunProvider>['mint']>, scope: ReturnType<typeof makeScope> }> {
  const sts = await startFakeAliyunSts(keys)
  t.teardown(() => sts.close())
  const upstream: AliyunUpstream = {
    role_arn: 'acs:ram::1234567890123456:role/stsgate-oss',
    access_key_id: keys.accessKeyId,
    access_key_secret: keys.accessKeySecret,
    sts_endpoint: sts.url,
    ...upstreamOverrides,
  }
  const target = makeTarget({ provider: 'aliyun', bucket: 'edas-bj', upstream })
  const scope = makeScope({ target, resource: { kind: 'prefix', prefix: 'release-pkg/p1/' }, actions: ['put', 'get', 'multipart'] })
  const provider = createAliyunProvider(upstream, { timeoutMs, allowCustomUpstreams: true })
  return { sts, scope, mint: () => provider.mint(scope, renderPolicy(scope)) }
}

t.test('the official SDK mints through the fake: signature verified, role, duration and policy carried, answer parsed', async (t) => {
  const { sts, scope, mint } = await setup(t, { external_id: 'ext-1', role_session_name: 'edas-upload' })
  const cred = await mint()
  t.match(cred.accessKeyId, /^STS\./)
  t.ok(cred.secret.length > 10)
  t.ok(cred.securityToken.startsWith('CAIS'))
  t.ok(cred.expiresAt.getTime() > Date.now() + 3000_000)
  t.equal(sts.calls.length, 1)
  const call = sts.calls[0]!
  t.equal(call.signatureValid, true)
  t.equal(call.action, 'AssumeRole')
  t.equal(call.roleArn, 'acs:ram::1234567890123456:role/stsgate-oss')
  t.equal(call.roleSessionName, 'edas-upload')
  t.equal(call.externalId, 'ext-1')
  t.equal(call.durationSeconds, scope.durationSeconds)
  t.same(call.policy, {
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject', 'oss:AbortMultipartUpload', 'oss:ListParts'], Resource: ['acs:oss:*:*:edas-bj/release-pkg/p1/*'] }],
  })
})

t.test('a wrong secret fails the fake signature check and maps to upstream_denied', async (t) => {
  const { sts, mint } = await setup(t, { access_key_secret: 'not-the-secret' })
  const err = await mint().catch((e: unknown) => e) as DomainError
  t.equal(sts.calls[0]?.signatureValid, false)
  t.equal(err.kind, 'misconfigured')
  t.equal(err.code, 'upstream_denied')
  t.notMatch(err.message, /not-the-secret/)
})

t.test('failures map to domain errors', async (t) => {
  const { sts, mint } = await setup(t)
  const cases: Array<[Parameters<FakeAliyunSts['setMode']>[0], string, string]> = [
    ['throttle', 'throttled', 'upstream_throttled'],
    ['deny', 'misconfigured', 'upstream_denied'],
    ['fail', 'unavailable', 'upstream_unavailable'],
    ['garbage', 'unavailable', 'upstream_unavailable'],
  ]
  for (const [mode, kind, code] of cases) {
    sts.setMode(mode)
    const err = await mint().catch((e: unknown) => e) as DomainError
    t.equal(err.kind, kind, `${mode} → ${kind}`)
    t.equal(err.code, code, `${mode} → ${code}`)
    t.notMatch(err.message, new RegExp(keys.accessKeySecret))
  }
})

t.test('a hanging upstream gives up within the configured timeout', async (t) => {
  const { sts, mint } = await setup(t, {}, 300)
  sts.setMode('hang')
  const started = Date.now()
  const err = await mint().catch((e: unknown) => e) as DomainError
  const took = Date.now() - started
  t.equal(err.kind, 'unavailable')
  t.ok(took < 1500, `gave up after ${took} ms`)
})

t.test('a refused connection is unavailable', async (t) => {
  const { sts, mint } = await setup(t)
  await sts.close()
  const err = await mint().catch((e: unknown) => e) as DomainError
  t.equal(err.kind, 'unavailable')
})

t.test('an endpoint outside the vendor hosts is refused unless custom upstreams are allowed', async (t) => {
  t.throws(() => createAliyunProvider({ role_arn: 'r', access_key_id: 'a', access_key_secret: 's', sts_endpoint: 'http://127.0.0.1:1' }),
    { code: 'upstream_endpoint_refused' })
  t.doesNotThrow(() => createAliyunProvider({ role_arn: 'r', access_key_id: 'a', access_key_secret: 's' }))
})
