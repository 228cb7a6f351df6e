import t from 'tap'
import { buildTestApp, redactedNamesIn } from '../helpers/app.js'
import { introspectLocalCredential } from '../../src/providers/local.js'
import { startFakeAliyunSts } from '../fakes/aliyun-sts.js'
import { createEdasProject, listen, openApi, popCore, send, handSignRoa, PATH } from './edas-fixtures.js'

const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

// One app for the whole file (a store per app costs seconds on 2 cores); every test makes its own projects.
// The credential service gets its own clock (signatures keep the real one), so a cached credential can age.
let offsetMs = 0
const h = await buildTestApp(t, {
  env: { STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1' },
  credentialOptions: { now: () => Date.now() + offsetMs, negativeTtlMs: 0 }
})
const endpoint = await listen(t, h.app)

t.test('pop-core, openapi-client V3 and v2 all get the documented credential', async (t) => {
  const project = await createEdasProject(h)
  const prefix = `release-pkg/${project.projectId}/`
  const expected = {
    Code: 200,
    Message: 'success',
    RequestId: String,
    Credential: {
      KeyPrefix: prefix,
      SecurityToken: String,
      AccessKeySecret: String,
      Expiration: EXPIRATION,
      AccessKeyId: /^STS\./,
      Bucket: 'edas-bj',
      RegionId: 'cn-beijing',
      OssPublicEndpoint: 'oss-cn-beijing.aliyuncs.com',
      OssInternalEndpoint: 'oss-cn-beijing-internal.aliyuncs.com',
      OssVpcEndpoint: 'oss-cn-beijing-internal.aliyuncs.com'
    }
  }

  const viaPopCore = await popCore(endpoint, project)
  t.match(viaPopCore, expected, 'pop-core ROAClient (acs, HMAC-SHA1)')
  t.same(Object.keys(viaPopCore), ['Code', 'Message', 'RequestId', 'Credential'], 'no extra top-level fields')
  t.same(Object.keys(viaPopCore.Credential), ['KeyPrefix', 'SecurityToken', 'AccessKeySecret', 'Expiration', 'AccessKeyId',
    'Bucket', 'RegionId', 'OssPublicEndpoint', 'OssInternalEndpoint', 'OssVpcEndpoint'], 'the vendor page\'s fields, in its order')
  t.equal(typeof viaPopCore.Code, 'number', 'Code is the integer 200')

  const v3 = await openApi(endpoint, project, 'v3')
  t.equal(v3.statusCode, 200)
  t.match(v3.body, expected, 'openapi-client callApi V3 (ACS3-HMAC-SHA256)')
  t.equal(v3.headers['x-acs-request-id'], v3.body.RequestId, 'RequestId also in x-acs-request-id')
  t.match(v3.headers['content-type'], /^application\/json/)

  const v2 = await openApi(endpoint, project, 'v2')
  t.match(v2.body, expected, 'openapi-client v2 (classic ROA)')
  t.not(v2.body.RequestId, v3.body.RequestId, 'one request id per request')
  t.equal(v2.body.Credential.AccessKeyId, v3.body.Credential.AccessKeyId, 'the same scope is served from the cache')
  const vendLine = h.logs.find((l) => l.msg === 'package credential vended' && l.reqId === v2.body.RequestId)
  t.match(vendLine, { project: project.projectId, target_id: String, from_cache: true }, 'the vend is logged with the request id')
  t.same(redactedNamesIn(vendLine ?? {}), [], 'no field the redaction watches: the line is written without it')
  t.notOk(h.logText().includes(v2.body.Credential.AccessKeySecret), 'the secret never reaches the log')
  t.notOk(h.logText().includes(v2.body.Credential.SecurityToken), 'the token never reaches the log')
  t.notOk(h.logText().includes(project.secret), 'the caller\'s secret never reaches the log')
})

t.test('the local credential introspects to exactly the key prefix and the package actions', async (t) => {
  const project = await createEdasProject(h, { duration_seconds: 1800 }, { keyPrefix: 'builds/team-a/' })
  const before = Date.now()
  const { Credential } = await popCore(endpoint, project)
  t.equal(Credential.KeyPrefix, 'builds/team-a/', 'an explicit binding prefix is used')
  const expiresAt = Date.parse(Credential.Expiration)
  t.ok(expiresAt > before + 1790_000 && expiresAt <= before + 1801_000, 'lifetime = the target\'s duration_seconds')
  const seen = introspectLocalCredential(h.keys, Credential.AccessKeyId, Credential.SecurityToken)
  t.equal(seen.active, true)
  t.equal(seen.projectId, project.projectId)
  t.equal(seen.targetId, project.targetId)
  t.same(JSON.parse(seen.policy ?? ''), {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: ['arn:aws:s3:::edas-bj/builds/team-a/*']
    }]
  })
})

t.test('endpoints are rendered as bare hosts, configured ones win, internal and VPC fall back', async (t) => {
  const configured = await createEdasProject(h, {
    bucket: 'pkgs-1', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com/', internal_endpoint: 'https://oss-cn-hangzhou-internal.aliyuncs.com', vpc_endpoint: 'vpc100-oss-cn-hangzhou.aliyuncs.com', region: 'cn-hangzhou'
  })
  t.match((await popCore(endpoint, configured)).Credential, {
    RegionId: 'cn-hangzhou',
    OssPublicEndpoint: 'oss-cn-hangzhou.aliyuncs.com',
    OssInternalEndpoint: 'oss-cn-hangzhou-internal.aliyuncs.com',
    OssVpcEndpoint: 'vpc100-oss-cn-hangzhou.aliyuncs.com'
  })
  const minio = await createEdasProject(h, { bucket: 'pkgs-2', endpoint: 'https://minio.example.internal:9000' })
  t.match((await popCore(endpoint, minio)).Credential, {
    OssPublicEndpoint: 'minio.example.internal:9000',
    OssInternalEndpoint: 'minio.example.internal:9000',
    OssVpcEndpoint: 'minio.example.internal:9000'
  }, 'a non-OSS host is its own internal and VPC endpoint')
  const internalOnly = await createEdasProject(h, { bucket: 'pkgs-3', endpoint: 'oss-cn-beijing.aliyuncs.com', internal_endpoint: 'oss-internal.example.com' })
  t.match((await popCore(endpoint, internalOnly)).Credential, {
    OssPublicEndpoint: 'oss-cn-beijing.aliyuncs.com',
    OssInternalEndpoint: 'oss-internal.example.com',
    OssVpcEndpoint: 'oss-internal.example.com'
  }, 'the VPC endpoint falls back to the internal one')
})

t.test('through Alibaba STS the session policy allows exactly the key prefix', async (t) => {
  const upstreamKey = { accessKeyId: 'LTAI5tUpstreamKey01', accessKeySecret: 'upstream-secret-0123456789' }
  const sts = await startFakeAliyunSts(upstreamKey)
  t.teardown(() => sts.close())
  const project = await createEdasProject(h, {
    provider: 'aliyun',
    duration_seconds: 900,
    upstream: { role_arn: 'acs:ram::1234567890123456:role/edas-packages', access_key_id: upstreamKey.accessKeyId, access_key_secret: upstreamKey.accessKeySecret, sts_endpoint: sts.url }
  })
  const { Credential } = await popCore(endpoint, project)
  t.match(Credential, { KeyPrefix: `release-pkg/${project.projectId}/`, AccessKeyId: /^STS\./, SecurityToken: /^CAIS/, Expiration: EXPIRATION })
  t.equal(sts.calls.length, 1)
  const call = sts.calls[0]!
  t.equal(call.signatureValid, true, 'the fake STS verified our ACS3 signature')
  t.equal(call.durationSeconds, 900, 'DurationSeconds = the target\'s duration_seconds')
  t.equal(call.roleArn, 'acs:ram::1234567890123456:role/edas-packages')
  t.same(call.policy, {
    Version: '1',
    Statement: [{
      Effect: 'Allow',
      Action: ['oss:PutObject', 'oss:GetObject', 'oss:AbortMultipartUpload', 'oss:ListParts'],
      Resource: [`acs:oss:*:*:edas-bj/release-pkg/${project.projectId}/*`]
    }]
  })
  t.notOk(h.logText().includes(upstreamKey.accessKeySecret), 'the upstream secret never reaches the log')
})

t.test('upstream down: a cached credential is still served; nothing cached is 503 ServiceUnavailable', async (t) => {
  const upstreamKey = { accessKeyId: 'LTAI5tUpstreamKey02', accessKeySecret: 'upstream-secret-abcdef0123' }
  const sts = await startFakeAliyunSts(upstreamKey)
  t.teardown(() => sts.close())
  t.teardown(() => { offsetMs = 0 })
  const staleBefore = h.app.credentials.counters.staleServed
  const target = {
    provider: 'aliyun' as const,
    upstream: { role_arn: 'acs:ram::1234567890123456:role/edas-packages', access_key_id: upstreamKey.accessKeyId, access_key_secret: upstreamKey.accessKeySecret, sts_endpoint: sts.url }
  }
  const warm = await createEdasProject(h, { ...target, bucket: 'warm-bucket' })
  const cold = await createEdasProject(h, { ...target, bucket: 'cold-bucket' })

  const first = await popCore(endpoint, warm)
  sts.setMode('fail')
  const during = await popCore(endpoint, warm)
  t.equal(during.Credential.AccessKeyId, first.Credential.AccessKeyId, 'a fresh cached credential is served while the upstream fails')

  // 3400 s later the credential (3600 s) is below the refresh minimum but still valid: a mint
  // is attempted, fails, and the still-valid credential is served rather than an error.
  offsetMs = 3400_000
  const calls = sts.calls.length
  const stale = await openApi(endpoint, warm, 'v3')
  t.equal(stale.statusCode, 200)
  t.equal(stale.body.Credential.AccessKeyId, first.Credential.AccessKeyId, 'the still-valid credential is served during the outage')
  t.ok(sts.calls.length > calls, 'a new mint was attempted')
  t.equal(h.app.credentials.counters.staleServed, staleBefore + 1)

  const err = await popCore(endpoint, cold).then(() => undefined, (e: any) => e)
  t.match(err, { statusCode: 503, code: 'ServiceUnavailable', result: { Code: 'ServiceUnavailable', RequestId: String, HostId: '127.0.0.1' } },
    'a project with nothing cached gets 503 ServiceUnavailable')
  t.notMatch(err.result.Message, /aliyun|127\.0\.0\.1|sts/i, 'the message names no upstream detail')
  t.ok(h.logs.some((l) => l.reqId === err.result.RequestId && l.code === 'upstream_unavailable'), 'the log has the cause under the request id')

  offsetMs = 3700_000
  const expired = await openApi(endpoint, warm, 'v2').then(() => undefined, (e: any) => e)
  t.match(expired, { code: 'ServiceUnavailable', statusCode: 503 }, 'an expired credential is never served')

  // Clocks only move forward; the fake now issues credentials that outlive the service's clock.
  sts.credentialSeconds = 7200
  sts.setMode('ok')
  t.match(await popCore(endpoint, cold), { Code: 200 }, 'recovers once the upstream answers')
})

t.test('HEAD is not a GET here, and the answer is JSON even for a hand-signed request', async (t) => {
  const project = await createEdasProject(h)
  const signed = handSignRoa(project)
  const ok = await send(endpoint, 'GET', signed.url, signed.headers)
  t.equal(ok.status, 200)
  t.match(ok.headers['content-type'], /^application\/json/)
  t.equal(ok.headers['x-acs-request-id'], ok.body.RequestId)
  const head = await send(endpoint, 'HEAD', PATH, handSignRoa(project, { method: 'HEAD' }).headers)
  t.equal(head.status, 405)
})

t.test('openapi documents the route with every status and its codes', async (t) => {
  const doc = h.app.swagger() as any
  const op = doc.paths[PATH]?.get
  t.ok(op, 'GET /pop/v5/package_storage_credential is documented')
  t.same(Object.keys(doc.paths[PATH]), ['get'], 'the 405 catch-all is hidden')
  t.same(Object.keys(op.responses).sort(), ['200', '400', '403', '404', '405', '429', '500', '503'])
  t.match(op.responses['400'].description, /IncompleteSignature.*SignatureDoesNotMatch.*InvalidTimeStamp\.Expired.*SignatureNonceUsed/s)
  t.match(op.responses['403'].description, /InvalidAccessKeyId\.Inactive/)
  t.match(op.responses['404'].description, /InvalidAccessKeyId\.NotFound.*PackageStorage\.NotConfigured/s)
  t.match(op.responses['429'].description, /Throttling\.User/)
  t.match(op.responses['500'].description, /InternalError/)
  t.match(op.responses['503'].description, /ServiceUnavailable/)
  t.same(op.tags, ['edas'])
})
