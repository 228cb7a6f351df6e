import t from 'tap'
import type { Test } from 'tap'
import { BUCKET, authorize, postJson, startWorld, workspaceClient, type World } from './workspace-world.js'

/** The vendor page's 200 body, field for field (values vary per call). */
const REPLY_FIELDS = ['ak', 'bucket_name', 'directory', 'expires_at', 'policy', 'security_token', 'server_end_point', 'sk']
const SIX_DIGIT_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

function checkVendorShape (t: Test, w: World, reply: Record<string, unknown>, name: string): void {
  const { httpStatusCode: _status, ...body } = reply // the SDK adds httpStatusCode to what it parsed
  t.same(Object.keys(body).sort(), REPLY_FIELDS, 'exactly the vendor fields')
  t.equal(body.server_end_point, 'https://obs.cn-north-4.myhuaweicloud.com')
  t.equal(body.bucket_name, BUCKET)
  t.equal(body.directory, `file/${w.projectId}/${name}`)
  for (const field of ['ak', 'sk', 'security_token']) t.match(body[field], /^\S{8,}$/, `${field} is a credential string`)
  t.same(body.policy, {
    version: '1.1',
    statement: {
      effect: 'Allow',
      action: ['obs:object:putObject', 'obs:object:deleteObject'],
      resource: [`obs:*:*:object:${BUCKET}/file/${w.projectId}/${name}`]
    }
  }, 'policy states exactly the one-object grant, statement as an object')
  t.match(body.expires_at, SIX_DIGIT_UTC, 'expires_at: UTC, six fractional digits')
  t.ok(Date.parse(body.expires_at as string) > Date.now(), 'expires in the future')
}

/** What the fake Huawei IAM received: exactly put and delete of exactly that one object. */
const upstreamPolicy = (w: World, name: string) => ({
  Version: '1.1',
  Statement: [{
    Effect: 'Allow',
    Action: ['obs:object:PutObject', 'obs:object:DeleteObject'],
    Resource: [`obs:*:*:object:${BUCKET}/file/${w.projectId}/${name}`]
  }]
})


t.test('Workspace authorize through a huawei target (fake IAM)', async (t) => {
  const w = await startWorld(t, { provider: 'huawei' })
  const iam = w.iam!

  t.test('the vendor SDK, plain SDK-HMAC-SHA256, gets the vendor-shaped reply', async (t) => {
    const reply = await workspaceClient(w, w, false).sendRequest(authorize(w.projectId, 'Postman.exe'))
    checkVendorShape(t, w, reply, 'Postman.exe')
    t.same(iam.calls.at(-1)?.policy, upstreamPolicy(w, 'Postman.exe'), 'the upstream session policy allows exactly that object')
    t.equal(iam.calls.at(-1)?.signatureValid, true)
    t.equal(iam.calls.at(-1)?.durationSeconds, 900, 'the target duration')
  })

  t.test('the vendor SDK, derived V11-HMAC-SHA256, gets the vendor-shaped reply', async (t) => {
    const reply = await workspaceClient(w, w, true).sendRequest(authorize(w.projectId, 'derived-setup.msi'))
    checkVendorShape(t, w, reply, 'derived-setup.msi')
    t.same(iam.calls.at(-1)?.policy, upstreamPolicy(w, 'derived-setup.msi'))
  })

  t.test('X-Auth-Token over plain fetch, with a unicode name with spaces', async (t) => {
    const name = '安装包 v1.exe'
    const res = await postJson(w, w.authorizePath(), { body: JSON.stringify({ app_file_name: name }), headers: { 'x-auth-token': w.token } })
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /^application\/json/)
    t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, 'request id header')
    checkVendorShape(t, w, res.body, name)
    t.same(iam.calls.at(-1)?.policy, upstreamPolicy(w, name), 'the unicode name reaches the policy unchanged')
  })

  t.test('the same object again is served from the cache; another object gets its own one-object policy', async (t) => {
    const headers = { 'x-auth-token': w.token }
    const first = await postJson(w, w.authorizePath(), { body: JSON.stringify({ app_file_name: 'cached.exe' }), headers })
    const calls = iam.calls.length
    const again = await postJson(w, w.authorizePath(), { body: JSON.stringify({ app_file_name: 'cached.exe' }), headers })
    t.equal(iam.calls.length, calls, 'no second upstream call')
    t.equal(again.body.ak, first.body.ak)
    const other = await postJson(w, w.authorizePath(), { body: JSON.stringify({ app_file_name: 'other.exe' }), headers })
    t.equal(other.status, 200)
    t.equal(iam.calls.length, calls + 1)
    t.same(iam.calls.at(-1)?.policy, upstreamPolicy(w, 'other.exe'), 'never a prefix or a wildcard')
    t.not(other.body.ak, first.body.ak)
  })

  t.test('no secret reaches the log, and each vend is logged with its request id', async (t) => {
    const res = await postJson(w, w.authorizePath(), { body: JSON.stringify({ app_file_name: 'logged.exe' }), headers: { 'x-auth-token': w.token } })
    const text = w.test.logText()
    for (const secret of [res.body.sk, res.body.security_token, w.token, w.sk]) t.notOk(text.includes(secret), 'secret absent from logs')
    const line = w.test.logs.find((l) => l.msg === 'workspace credential vended' && l.reqId === res.headers.get('x-request-id'))
    t.ok(line, 'vend logged with the request id')
  })

  t.test('a binding with an explicit directory: the object is directory + name', async (t) => {
      const other = await w.addProject('custom-directory')
      t.equal(await w.bindWorkspace(other.projectId, 'apps/windows/'), 'apps/windows/')
    const reply = await workspaceClient(w, other, false).sendRequest(authorize(other.projectId, 'Postman.exe'))
    t.equal(reply.directory, 'apps/windows/Postman.exe')
    t.same((reply.policy as any).statement.resource, [`obs:*:*:object:${BUCKET}/apps/windows/Postman.exe`])
  })

  t.test('the OpenAPI document describes the route and every error status with its codes', async (t) => {
    const doc = w.test.app.swagger() as any
    const path = doc.paths['/v1/{project_id}/app-warehouse/action/authorize']
    t.same(Object.keys(path), ['post'], 'other methods answer 405 but are not documented as operations')
    const op = path.post
    t.same(op.tags, ['workspace'])
    t.same(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '404', '405', '415', '429', '500', '503'])
    t.match(op.responses['401'].description, /APIGW\.0301/)
    t.match(op.responses['403'].description, /APIGW\.0302.*WKS\.00403001/)
    t.match(op.responses['400'].description, /WKS\.00400003 Invalid app_file_name/)
    t.match(op.responses['404'].description, /WKS\.00404001/)
    t.match(op.responses['429'].description, /APIGW\.0308/)
    t.match(op.responses['503'].description, /WKS\.00503001/)
    // Shared objects are components, referenced with $ref.
    const resolve = (schema: any): any => schema.$ref === undefined ? schema : doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]
    const ok = resolve(op.responses['200'].content['application/json'].schema)
    t.same(Object.keys(ok.properties).sort(), REPLY_FIELDS)
    t.equal(resolve(resolve(ok.properties.policy).properties.statement).type, 'object', 'statement is an object')
  })
})

t.test('pure pieces: name check, endpoint rendering, expiry format, error responses', async (t) => {
  const { checkAppFileName, huaweiExpiry } = await import('../../routes/workspace.js')
  const { endpointUrl } = await import('../../src/domain/endpoint.js')
  const { huaweiErrorResponses, huaweiErrorRenderer, APIGW } = await import('../../routes/dialects/huawei.js')
  const { WORKSPACE_ERRORS } = await import('../../routes/workspace-errors.js')
  t.throws(() => checkAppFileName(''), { code: 'invalid_object_name' }, 'empty is refused even without the schema')
  t.equal(endpointUrl('obs.cn-north-4.myhuaweicloud.com'), 'https://obs.cn-north-4.myhuaweicloud.com')
  t.equal(endpointUrl('https://obs.example.com/'), 'https://obs.example.com', 'explicit scheme kept, trailing slash dropped')
  t.equal(endpointUrl('http://minio.internal:9000'), 'http://minio.internal:9000', 'an operator-chosen http endpoint is not rewritten')
  t.equal(huaweiExpiry(new Date('2020-01-08T03:16:01.599Z')), '2020-01-08T03:16:01.599000Z')
  t.equal((huaweiErrorResponses(WORKSPACE_ERRORS, [418])[418] as { description: string }).description, 'error', 'a status without codes')
  const render = huaweiErrorRenderer({ codes: {} as typeof WORKSPACE_ERRORS.codes, kinds: { ...WORKSPACE_ERRORS.kinds, unauthenticated: APIGW.authentication } })
  const { unauthenticated } = await import('../../src/errors.js')
  // A code outside the table (a build that skipped the type check).
  const unknown = Object.assign(unauthenticated('token_invalid', 'why'), { code: 'anything' })
  t.same(render(unknown, {} as never), {
    status: 401, body: { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: why' }
  }, 'unknown codes fall back to their kind')
})
