import t, { type Test } from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { startFakeAliyunSts } from '../fakes/aliyun-sts.js'
import { renderPopError, popAnswer } from '../../routes/dialects/pop.js'
import { vendPackageCredential } from '../../routes/edas.js'
import { asDomainError } from '../../routes/dialects/fastify-failures.js'
import { DomainError, type ErrorCode, type ErrorKind } from '../../src/errors.js'
import {
  captureClientRequest, createEdasProject, handSignRoa, listen, openApi, popCore, replayHeaders, send, PATH, type AccessKey
} from './edas-fixtures.js'

// One app for the file (a store costs seconds on 2 cores); every test makes its own projects.
// A small mint budget, so that the per-project budget can be exhausted on purpose.
const h = await buildTestApp(t, {
  env: { STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1' },
  credentialOptions: { mintsPerSecondPerProject: 0.01, mintBurstPerProject: 2, negativeTtlMs: 0 }
})
const endpoint = await listen(t, h.app)
const MINUTE = 60_000
const POP_ERROR_FIELDS = ['RequestId', 'HostId', 'Code', 'Message']

const failure = async (call: Promise<unknown>): Promise<any> => await call.then(
  (value) => { throw new Error(`expected a failure, got ${JSON.stringify(value)}`) },
  (err: unknown) => err)

/** The same failure through all three real clients: pop-core surfaces `code`/`result`, openapi-client `code`/`data`. */
async function expectFromEveryClient (t: Test, key: AccessKey, status: number, code: string): Promise<void> {
  const viaPopCore = await failure(popCore(endpoint, key))
  t.match(viaPopCore, { statusCode: status, code, result: { Code: code, Message: String, RequestId: String, HostId: '127.0.0.1' } }, `pop-core: ${status} ${code}`)
  t.same(Object.keys(viaPopCore.result), POP_ERROR_FIELDS, 'exactly the POP error fields')
  for (const mode of ['v3', 'v2'] as const) {
    const viaOpenApi = await failure(openApi(endpoint, key, mode))
    t.match(viaOpenApi, { statusCode: status, code, data: { Code: code, Message: String, RequestId: String } }, `openapi-client ${mode}: ${status} ${code}`)
  }
}

t.test('the documented errors reach the real clients', async (t) => {
  const project = await createEdasProject(h)
  t.test('wrong secret → 400 SignatureDoesNotMatch', async (t) => {
    await expectFromEveryClient(t, { ...project, secret: 'not-the-secret' }, 400, 'SignatureDoesNotMatch')
  })
  t.test('unknown key → 404 InvalidAccessKeyId.NotFound', async (t) => {
    await expectFromEveryClient(t, { accessKeyId: 'LTAI5tNoSuchKey000', secret: project.secret }, 404, 'InvalidAccessKeyId.NotFound')
  })
  t.test('no binding → 404 PackageStorage.NotConfigured', async (t) => {
    await expectFromEveryClient(t, await createEdasProject(h, {}, { bind: false }), 404, 'PackageStorage.NotConfigured')
  })
  t.test('disabled key → 403 InvalidAccessKeyId.Inactive, at once', async (t) => {
    const other = await createEdasProject(h)
    t.match(await popCore(endpoint, other), { Code: 200 }, 'works before')
    t.equal((await h.admin('PATCH', `/projects/${other.projectId}/access-keys/${other.accessKeyId}`, { disabled: true })).status, 200)
    await expectFromEveryClient(t, other, 403, 'InvalidAccessKeyId.Inactive')
  })
  t.test('disabled project → 403 InvalidAccessKeyId.Inactive; re-enabled works again', async (t) => {
    const other = await createEdasProject(h)
    t.match(await popCore(endpoint, other), { Code: 200 })
    t.equal((await h.admin('PATCH', `/projects/${other.projectId}`, { disabled: true })).status, 200)
    await expectFromEveryClient(t, other, 403, 'InvalidAccessKeyId.Inactive')
    t.equal((await h.admin('PATCH', `/projects/${other.projectId}`, { disabled: false })).status, 200)
    t.match(await popCore(endpoint, other), { Code: 200 })
  })
  t.test('a disabled key with a wrong secret is SignatureDoesNotMatch: only the key holder learns it is disabled', async (t) => {
    const other = await createEdasProject(h)
    await h.admin('PATCH', `/projects/${other.projectId}/access-keys/${other.accessKeyId}`, { disabled: true })
    t.match(await failure(popCore(endpoint, { ...other, secret: 'guess' })), { code: 'SignatureDoesNotMatch' })
  })
})

t.test('clock skew: ±14 minutes is accepted, ±16 minutes is InvalidTimeStamp.Expired', async (t) => {
  const project = await createEdasProject(h)
  for (const [label, offset, status, code] of [
    ['16 min behind', -16 * MINUTE, 400, 'InvalidTimeStamp.Expired'],
    ['16 min ahead', 16 * MINUTE, 400, 'InvalidTimeStamp.Expired'],
    ['14 min behind', -14 * MINUTE, 200, undefined],
    ['14 min ahead', 14 * MINUTE, 200, undefined]
  ] as const) {
    const signed = handSignRoa(project, { date: new Date(Date.now() + offset) })
    const res = await send(endpoint, 'GET', signed.url, signed.headers)
    t.equal(res.status, status, label)
    if (code !== undefined) t.match(res.body, { Code: code, RequestId: res.headers['x-acs-request-id'] }, label)
  }
})

t.test('a captured pop-core request is accepted once; its replay is SignatureNonceUsed', async (t) => {
  const project = await createEdasProject(h)
  const captured = await captureClientRequest(t, (at) => popCore(at, project))
  t.match(captured.headers, { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'x-acs-signature-nonce': /\S/, authorization: /^acs / }, 'as pop-core sends it')
  const first = await send(endpoint, 'GET', captured.url, replayHeaders(captured))
  t.equal(first.status, 200, 'the original request')
  const again = await send(endpoint, 'GET', captured.url, replayHeaders(captured))
  t.equal(again.status, 400)
  t.match(again.body, { Code: 'SignatureNonceUsed' })

  const v3 = await captureClientRequest(t, (at) => openApi(at, project, 'v3'))
  t.equal((await send(endpoint, 'GET', v3.url, replayHeaders(v3))).status, 200, 'V3 original')
  t.match((await send(endpoint, 'GET', v3.url, replayHeaders(v3))).body, { Code: 'SignatureNonceUsed' }, 'V3 replay')
})

t.test('a bad signature does not burn its nonce', async (t) => {
  const project = await createEdasProject(h)
  const forged = handSignRoa({ ...project, secret: 'wrong' }, { nonce: 'nonce-kept-0001' })
  t.match((await send(endpoint, 'GET', forged.url, forged.headers)).body, { Code: 'SignatureDoesNotMatch' })
  const real = handSignRoa(project, { nonce: 'nonce-kept-0001' })
  t.equal((await send(endpoint, 'GET', real.url, real.headers)).status, 200)
})

t.test('missing or garbled Authorization is IncompleteSignature', async (t) => {
  const project = await createEdasProject(h)
  const signed = handSignRoa(project)
  const cases: Array<[string, Record<string, string>]> = [
    ['no Authorization', replayHeaders({ method: 'GET', url: PATH, headers: signed.headers }, {}, ['authorization'])],
    ['empty Authorization', { ...signed.headers, authorization: '' }],
    ['another scheme', { ...signed.headers, authorization: 'Bearer abc' }],
    ['acs without a signature', { ...signed.headers, authorization: `acs ${project.accessKeyId}` }],
    ['acs with a non-base64 signature', { ...signed.headers, authorization: `acs ${project.accessKeyId}:%%%%` }],
    ['ACS3 without SignedHeaders', { ...signed.headers, authorization: `ACS3-HMAC-SHA256 Credential=${project.accessKeyId},Signature=00` }],
    ['no Date', replayHeaders({ method: 'GET', url: PATH, headers: signed.headers }, {}, ['date'])],
    ['no nonce', replayHeaders({ method: 'GET', url: PATH, headers: signed.headers }, {}, ['x-acs-signature-nonce'])]
  ]
  for (const [label, headers] of cases) {
    const res = await send(endpoint, 'GET', PATH, headers)
    t.equal(res.status, 400, label)
    t.match(res.body, { Code: 'IncompleteSignature', Message: String }, label)
    t.match(res.headers['content-type'], /^application\/json/, `${label}: JSON, so pop-core throws`)
  }
  const viaPopCore = await failure(popCore(endpoint, { accessKeyId: 'bad key with spaces', secret: 'x' }))
  t.match(viaPopCore, { statusCode: 400, code: 'IncompleteSignature' }, 'pop-core surfaces it')
})

t.test('a signature over a different path or query is SignatureDoesNotMatch', async (t) => {
  const project = await createEdasProject(h)
  const otherPath = await captureClientRequest(t, (at) => popCore(at, project, { path: '/pop/v5/other_api' }))
  t.match((await send(endpoint, 'GET', PATH, replayHeaders(otherPath))).body, { Code: 'SignatureDoesNotMatch' }, 'signed for another path')

  const plain = await captureClientRequest(t, (at) => popCore(at, project))
  t.match((await send(endpoint, 'GET', `${PATH}?RegionId=cn-beijing`, replayHeaders(plain))).body, { Code: 'SignatureDoesNotMatch' }, 'query added')

  const withQuery = await captureClientRequest(t, (at) => popCore(at, project, { query: { RegionId: 'cn-beijing' } }))
  t.equal(withQuery.url, `${PATH}?RegionId=cn-beijing`)
  t.match((await send(endpoint, 'GET', `${PATH}?RegionId=cn-hangzhou`, replayHeaders(withQuery))).body, { Code: 'SignatureDoesNotMatch' }, 'query value changed')
  t.match((await send(endpoint, 'GET', PATH, replayHeaders(withQuery))).body, { Code: 'SignatureDoesNotMatch' }, 'query dropped')
  t.equal((await send(endpoint, 'GET', withQuery.url, replayHeaders(withQuery))).status, 200, 'the untouched capture is fine')
})

t.test('other methods are a POP 405 UnsupportedHTTPMethod whatever their body', async (t) => {
  const project = await createEdasProject(h)
  for (const method of ['POST', 'PUT', 'DELETE']) {
    t.match(await failure(popCore(endpoint, project, { method, body: '{"a":1}' })), { statusCode: 405, code: 'UnsupportedHTTPMethod' }, `pop-core ${method}`)
  }
  t.match(await failure(openApi(endpoint, project, 'v3', { method: 'POST' })), { statusCode: 405, code: 'UnsupportedHTTPMethod' }, 'openapi-client POST')
  for (const [label, headers, body] of [
    ['text/plain', { 'content-type': 'text/plain' }, 'hello'],
    ['malformed JSON', { 'content-type': 'application/json' }, '{'],
    ['no content type', {}, 'x']
  ] as const) {
    const res = await send(endpoint, 'POST', PATH, { ...headers, 'content-length': String(body.length) }, body)
    t.equal(res.status, 405, label)
    t.equal(res.headers.allow, 'GET', `${label}: Allow: GET`)
    t.match(res.body, { Code: 'UnsupportedHTTPMethod', RequestId: res.headers['x-acs-request-id'] }, label)
  }
  t.equal((await send(endpoint, 'PATCH', PATH, {})).status, 405)
  const huge = 'x'.repeat(70 * 1024)
  const tooLarge = await send(endpoint, 'POST', PATH, { 'content-type': 'application/json', 'content-length': String(huge.length) }, huge)
  t.match(tooLarge, { status: 400, body: { Code: 'InvalidParameter', Message: /too large/ } }, 'a body over the limit is refused before the method')
})

t.test('an unknown path under /pop is a POP 404 InvalidApi.NotFound', async (t) => {
  const project = await createEdasProject(h)
  t.match(await failure(popCore(endpoint, project, { path: '/pop/v5/no_such_api' })), { statusCode: 404, code: 'InvalidApi.NotFound' }, 'pop-core')
  t.match(await failure(openApi(endpoint, project, 'v3', { path: '/pop/v6/package_storage_credential' })), { statusCode: 404, code: 'InvalidApi.NotFound' }, 'openapi-client')
  const res = await send(endpoint, 'GET', '/pop', {})
  t.match(res, { status: 404, body: { Code: 'InvalidApi.NotFound' } }, '/pop itself')
  t.equal(res.headers['x-acs-request-id'], res.body.RequestId)
})

t.test('upstream throttling and the project mint budget are 429 Throttling.User', async (t) => {
  const upstreamKey = { accessKeyId: 'LTAI5tUpstreamKey03', accessKeySecret: 'upstream-secret-0011223344' }
  const sts = await startFakeAliyunSts(upstreamKey)
  t.teardown(() => sts.close())
  const target = {
    provider: 'aliyun' as const,
    upstream: { role_arn: 'acs:ram::1234567890123456:role/edas-packages', access_key_id: upstreamKey.accessKeyId, access_key_secret: upstreamKey.accessKeySecret, sts_endpoint: sts.url }
  }
  const throttled = await createEdasProject(h, { ...target, bucket: 'throttled-bucket' })
  sts.setMode('throttle')
  t.match(await failure(popCore(endpoint, throttled)), { statusCode: 429, code: 'Throttling.User' }, 'the upstream throttles us')
  sts.setMode('ok')

  const busy = await createEdasProject(h, { ...target, bucket: 'busy-bucket' })
  t.match(await popCore(endpoint, busy), { Code: 200 }, 'first mint')
  await h.admin('PUT', `/projects/${busy.projectId}/bindings`, { edas: { target_id: busy.targetId, key_prefix: 'second/' } })
  t.match(await popCore(endpoint, busy), { Code: 200 }, 'second mint (new scope)')
  await h.admin('PUT', `/projects/${busy.projectId}/bindings`, { edas: { target_id: busy.targetId, key_prefix: 'third/' } })
  const budget = await failure(openApi(endpoint, busy, 'v3'))
  t.match(budget, { statusCode: 429, code: 'Throttling.User' }, 'the project\'s mint budget is spent')
})

t.test('a target the upstream refuses is 500 PackageStorage.Misconfigured with nothing leaked, and logged', async (t) => {
  const upstreamKey = { accessKeyId: 'LTAI5tUpstreamKey04', accessKeySecret: 'upstream-secret-5566778899' }
  const sts = await startFakeAliyunSts(upstreamKey)
  t.teardown(() => sts.close())
  sts.setMode('deny')
  const project = await createEdasProject(h, {
    provider: 'aliyun',
    bucket: 'denied-bucket',
    upstream: { role_arn: 'acs:ram::1234567890123456:role/edas-packages', access_key_id: upstreamKey.accessKeyId, access_key_secret: upstreamKey.accessKeySecret, sts_endpoint: sts.url }
  })
  const err = await failure(popCore(endpoint, project))
  t.match(err, { statusCode: 500, code: 'PackageStorage.Misconfigured' })
  t.notMatch(err.result.Message, /aliyun|denied|NoPermission|127\.0\.0\.1|LTAI/i, 'no upstream detail in the answer')
  const line = h.logs.find((l) => l.reqId === err.result.RequestId && l.code === 'upstream_denied')
  t.ok(line, 'the log names the cause under the request id')
  t.match(line, { level: 40, msg: /denied/ })
  t.notOk(h.logText().includes(upstreamKey.accessKeySecret))
})

t.test('the POP table: every code the route can meet, and a POP answer for any kind', async (t) => {
  const expected: Record<string, [number, string]> = {
    incomplete_signature: [400, 'IncompleteSignature'],
    signature_mismatch: [400, 'SignatureDoesNotMatch'],
    timestamp_expired: [400, 'InvalidTimeStamp.Expired'],
    nonce_used: [400, 'SignatureNonceUsed'],
    access_key_not_found: [404, 'InvalidAccessKeyId.NotFound'],
    access_key_inactive: [403, 'InvalidAccessKeyId.Inactive'],
    package_storage_not_configured: [404, 'PackageStorage.NotConfigured'],
    mint_budget_exhausted: [429, 'Throttling.User'],
    upstream_throttled: [429, 'Throttling.User'],
    upstream_unavailable: [503, 'ServiceUnavailable'],
    upstream_denied: [500, 'PackageStorage.Misconfigured'],
    policy_too_large: [500, 'PackageStorage.Misconfigured'],
    invalid_object_name: [500, 'PackageStorage.Misconfigured'],
    method_not_allowed: [405, 'UnsupportedHTTPMethod'],
    route_not_found: [404, 'InvalidApi.NotFound'],
    validation: [400, 'InvalidParameter'],
    internal: [500, 'InternalError']
  }
  for (const [code, [status, popCode]] of Object.entries(expected)) {
    t.same(popAnswer(new DomainError(code as ErrorCode, 'm')).slice(0, 2), [status, popCode], code)
  }
  // An error whose code the table does not know (a build that skipped the type check): its kind decides.
  const uncatalogued = (kind: ErrorKind, code: string, message: string): DomainError =>
    Object.assign(new DomainError('internal', message), { kind, code })
  const req = { id: 'req-1', hostname: 'edas.example.com' } as any
  const crash = renderPopError(asDomainError(new TypeError('secret detail /etc/passwd')), req)
  t.same(crash, { status: 500, body: { RequestId: 'req-1', HostId: 'edas.example.com', Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' } },
    'an unexpected error is a bare 500 InternalError')
  t.match(renderPopError(uncatalogued('conflict', 'something_new', 'm'), { id: 'r', hostname: '' } as any), { status: 500, body: { HostId: 'stsgate' } })
  for (const kind of ['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'throttled', 'unavailable', 'misconfigured', 'internal'] as const) {
    const [status, code, message] = popAnswer(uncatalogued(kind, 'a_code_added_later', 'domain detail'))
    t.ok(status >= 400 && code.length > 0, `${kind} has a POP answer`)
    if (status >= 500) t.ok(message !== undefined, `${kind}: a 5xx never shows the domain message`)
  }
})

t.test('a handler reached without an authenticated caller is an internal error, never a vend', async (t) => {
  await t.rejects(vendPackageCredential(h.app, { caller: null } as any), { kind: 'internal', code: 'internal' })
})
