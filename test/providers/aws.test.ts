import t, { type Test } from 'tap'
import { startFakeAwsSts, type FakeAwsSts } from '../fakes/aws-sts.js'
import { awsDefaultEndpoint, createAwsProvider } from '../../src/providers/aws.js'
import { renderPolicy } from '../../src/credentials/policy.js'
import type { DomainError } from '../../src/errors.js'
import type { AwsUpstream } from '../../src/domain/target.js'
import { makeScope, makeTarget } from '../credentials/scope-fixtures.js'

const keys = { accessKeyId: 'AKIAFAKEFAKEFAKE0001', secretAccessKey: 'fake/secret+aws/0123456789abcdefghij' }

async function setup (t: Test, overrides: Partial<AwsUpstream> = {}, timeoutMs = 300) {
  const sts = await startFakeAwsSts(keys)
  t.teardown(() => sts.close())
  const upstream: AwsUpstream = {
    role_arn: 'arn:aws:iam::123456789012:role/stsgate-s3',
    access_key_id: keys.accessKeyId,
    secret_access_key: keys.secretAccessKey,
    sts_endpoint: sts.url,
    ...overrides,
  }
  const target = makeTarget({ provider: 'aws', bucket: 'dji-media', region: 'eu-west-1', upstream })
  const scope = makeScope({ target, projectId: 'proj 7/x', resource: { kind: 'prefix', prefix: 'wayline/dock-1/' }, actions: ['put', 'get'], durationSeconds: 1800 })
  const provider = createAwsProvider(upstream, target.region, { timeoutMs, allowCustomUpstreams: true })
  return { sts, scope, mint: async () => await provider.mint(scope, renderPolicy(scope)) }
}

t.test('the official SDK mints through the fake: SigV4 verified, role, session, duration, policy carried', async (t) => {
  const { sts, mint } = await setup(t, { external_id: 'ext-9' })
  const cred = await mint()
  t.match(cred.accessKeyId, /^ASIA/)
  t.ok(cred.securityToken.length > 100)
  t.ok(cred.expiresAt.getTime() > Date.now() + 3000_000)
  const call = sts.calls[0]!
  t.equal(call.signatureValid, true)
  t.equal(call.region, 'eu-west-1', 'signs for the target region by default')
  t.equal(call.action, 'AssumeRole')
  t.equal(call.roleArn, 'arn:aws:iam::123456789012:role/stsgate-s3')
  t.equal(call.roleSessionName, 'stsgate-proj-7-x', 'session name sanitised')
  t.equal(call.externalId, 'ext-9')
  t.equal(call.durationSeconds, 1800)
  t.same(call.policy, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: ['arn:aws:s3:::dji-media/wayline/dock-1/*'] }],
  })
})

t.test('sts_region overrides the signing region', async (t) => {
  const { sts, mint } = await setup(t, { sts_region: 'us-east-1' })
  await mint()
  t.equal(sts.calls[0]?.region, 'us-east-1')
  t.equal(sts.calls[0]?.signatureValid, true)
})

t.test('a wrong secret fails the signature check → upstream_denied, secret not in the message', async (t) => {
  const { sts, mint } = await setup(t, { secret_access_key: 'wrong-secret' })
  const err = await mint().catch((e: unknown) => e) as DomainError
  t.equal(sts.calls[0]?.signatureValid, false)
  t.equal(err.code, 'upstream_denied')
  t.notMatch(err.message, /wrong-secret/)
})

t.test('failures map to domain errors', async (t) => {
  const { sts, mint } = await setup(t)
  const cases: Array<[Parameters<FakeAwsSts['setMode']>[0], string, string]> = [
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
  }
  t.equal(sts.calls.length, cases.length, 'one attempt per mint: no SDK retries')
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

t.test('default endpoints are the regional vendor hosts', async (t) => {
  t.equal(awsDefaultEndpoint('us-east-1'), 'https://sts.us-east-1.amazonaws.com')
  t.equal(awsDefaultEndpoint('cn-north-1'), 'https://sts.cn-north-1.amazonaws.com.cn')
  t.throws(() => createAwsProvider({ role_arn: 'r', access_key_id: 'a', secret_access_key: 's', sts_endpoint: 'http://minio.local:9000' }, 'us-east-1'),
    { code: 'upstream_endpoint_refused' })
})
