import t from 'tap'
import type { Test } from 'tap'
import { throttled } from '../../src/errors.js'
import { authorize, postJson, sdkFailure, startWorld, workspaceClient, type World } from './workspace-world.js'

/**
 * Every error status on the vendor page, in the contract's dialect:
 * `{error_code, error_msg}` and nothing else, X-Request-Id in the header.
 */
async function expectError (t: Test, res: Awaited<ReturnType<typeof postJson>>, status: number, code: string, msg?: RegExp): Promise<void> {
  t.equal(res.status, status, `HTTP ${status}`)
  t.same(Object.keys(res.body ?? {}).sort(), ['error_code', 'error_msg'], 'the Huawei error body, nothing else')
  t.equal(res.body?.error_code, code)
  if (msg !== undefined) t.match(res.body?.error_msg, msg)
  t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, 'request id header')
  t.match(res.headers.get('content-type'), /^application\/json/)
}


const body = (name: unknown) => JSON.stringify({ app_file_name: name })

t.test('Workspace errors (local target)', async (t) => {
  const w = await startWorld(t)
  const asCaller = (extra: Record<string, string> = {}) => ({ 'x-auth-token': w.token, ...extra })
  const post = (init: Parameters<typeof postJson>[2], path = w.authorizePath()) => postJson(w, path, init)

  t.test('400: missing body, empty body, extra or mistyped fields, malformed JSON', async (t) => {
    const noBody = await fetch(`${w.endpoint}${w.authorizePath()}`, { method: 'POST', headers: asCaller() })
    await expectError(t, { status: noBody.status, headers: noBody.headers, body: await noBody.json() }, 400, 'WKS.00400001', /body must be object/)
    await expectError(t, await post({ body: '', headers: asCaller() }), 400, 'WKS.00400001')
    await expectError(t, await post({ body: '{}', headers: asCaller() }), 400, 'WKS.00400001', /app_file_name/)
    await expectError(t, await post({ body: JSON.stringify({ app_file_name: 'a.exe', directory: 'x/' }), headers: asCaller() }), 400, 'WKS.00400001', /additional properties/)
    await expectError(t, await post({ body: body(42), headers: asCaller() }), 400, 'WKS.00400001', /string/)
    await expectError(t, await post({ body: '{"app_file_name": ', headers: asCaller() }), 400, 'WKS.00400002')
    await expectError(t, await post({ body: '[]', headers: asCaller() }), 400, 'WKS.00400001')
  })

  t.test('400: names that could widen the grant or leave the directory are refused', async (t) => {
    const bad = ['../x', '..', '.', 'a/b', '/abs', 'a\\b', '*', 'app*.exe', 'a?b', '${x}', '$', '{', '}', 'bell\u0007.exe', 'nl\n.exe', 'del\u007f', 'c1\u0085', 'lone\ud800']
    for (const name of bad) {
      const res = await post({ body: body(name), headers: asCaller() })
      t.equal(res.status, 400, `${JSON.stringify(name)} → 400`)
      t.equal(res.body.error_code, 'WKS.00400003', JSON.stringify(name))
      if (name.length > 2) t.notOk(String(res.body.error_msg).includes(name), 'the name is not echoed back')
    }
    await expectError(t, await post({ body: body(''), headers: asCaller() }), 400, 'WKS.00400001', /fewer than 1/)
  })

  t.test('400: 255 UTF-8 bytes pass, 256 do not, counted in bytes not characters', async (t) => {
    t.equal((await post({ body: body('a'.repeat(255)), headers: asCaller() })).status, 200, '255 ASCII bytes')
    t.equal((await post({ body: body('安'.repeat(85)), headers: asCaller() })).status, 200, '85 × 3 = 255 bytes')
    await expectError(t, await post({ body: body('a'.repeat(256)), headers: asCaller() }), 400, 'WKS.00400001', /255/)
    await expectError(t, await post({ body: body('安'.repeat(86)), headers: asCaller() }), 400, 'WKS.00400003', /255 UTF-8 bytes/)
    await expectError(t, await post({ body: body(`${'a'.repeat(254)}é`), headers: asCaller() }), 400, 'WKS.00400003', /bytes/)
    t.equal((await post({ body: body(`${'a'.repeat(253)}é`), headers: asCaller() })).status, 200, '253 + 2 = 255 bytes')
  })

  t.test('names with spaces, dots and non-ASCII letters are fine', async (t) => {
    for (const name of ['安装包 v1.exe', 'Postman Setup 10.2.exe', '.hidden', '...', 'ünïcødé-😀.apk', ' leading space']) {
      const res = await post({ body: body(name), headers: asCaller() })
      t.equal(res.status, 200, JSON.stringify(name))
      t.equal(res.body.directory, `${w.directory}${name}`)
    }
  })

  t.test('401: no credentials, unknown token, malformed Authorization', async (t) => {
    await expectError(t, await post({ body: body('a.exe') }), 401, 'APIGW.0301', /^Incorrect IAM authentication information: /)
    await expectError(t, await post({ body: body('a.exe'), headers: { 'x-auth-token': 'not-a-token' } }), 401, 'APIGW.0301', /not valid/)
    await expectError(t, await post({ body: body('a.exe'), headers: { authorization: 'SDK-HMAC-SHA256 garbage' } }), 401, 'APIGW.0301')
  })

  t.test('401 comes before body validation: a stranger learns nothing about the body rules', async (t) => {
    await expectError(t, await post({ body: body('../x') }), 401, 'APIGW.0301')
    await expectError(t, await post({ body: '{}' }), 401, 'APIGW.0301')
  })

  t.test('401: an expired token', async (t) => {
    const issued = await w.test.admin('POST', `/projects/${w.projectId}/tokens`, { ttl_seconds: 60 })
    await w.test.store.db.query("update api_tokens set expires_at = now() - interval '1 second' where id = $1", [issued.body.token_id])
    await expectError(t, await post({ body: body('a.exe'), headers: { 'x-auth-token': issued.body.token } }), 401, 'APIGW.0301', /expired/)
  })

  t.test('401 through the SDK: a wrong SK, parsed by the SDK with the request id', async (t) => {
    const err = await sdkFailure(workspaceClient(w, { ...w, sk: 'wrong-secret-0123456789' }, false).sendRequest(authorize(w.projectId)))
    t.equal(err.httpStatusCode, 401)
    t.equal(err.errorCode, 'APIGW.0301')
    t.match(err.errorMsg, /signature/)
    t.match(err.requestId, /^[0-9a-f-]{36}$/, 'the SDK reads the request id from X-Request-Id')
  })

  t.test('403: another project\'s path, with its token or its signed key; an unknown project id alike', async (t) => {
    const other = await w.addProject('other-tenant')
    // A's token on B's path, and B's token on A's path.
    await expectError(t, await post({ body: body('a.exe'), headers: asCaller() }, w.authorizePath(other.projectId)), 403, 'WKS.00403001')
    await expectError(t, await post({ body: body('a.exe'), headers: { 'x-auth-token': other.token } }), 403, 'WKS.00403001')
    // B's AK/SK signing a request for A's project: a valid signature is still the wrong project.
    const err = await sdkFailure(workspaceClient(w, other, false).sendRequest(authorize(w.projectId)))
    t.equal(err.httpStatusCode, 403)
    t.equal(err.errorCode, 'WKS.00403001')
    // An id that names no project answers like any other project: existence is not revealed.
    await expectError(t, await post({ body: body('a.exe'), headers: asCaller() }, w.authorizePath('0123456789abcdef0123456789abcdef')), 403, 'WKS.00403001')
    await expectError(t, await post({ body: body('a.exe'), headers: asCaller() }, w.authorizePath('not-a-project-id')), 403, 'WKS.00403001')
  })

  t.test('403: a disabled access key and a revoked token', async (t) => {
    const other = await w.addProject('disabled-tenant')
    t.equal((await w.test.admin('PATCH', `/projects/${other.projectId}/access-keys/${other.ak}`, { disabled: true })).status, 200)
    const err = await sdkFailure(workspaceClient(w, other, false).sendRequest(authorize(other.projectId)))
    t.equal(err.httpStatusCode, 403)
    t.equal(err.errorCode, 'APIGW.0302')
    const issued = await w.test.admin('POST', `/projects/${other.projectId}/tokens`, { ttl_seconds: 600 })
    t.equal((await w.test.admin('DELETE', `/projects/${other.projectId}/tokens/${issued.body.token_id}`)).status, 204)
    await expectError(t, await post({ body: body('a.exe'), headers: { 'x-auth-token': issued.body.token } }, w.authorizePath(other.projectId)), 403, 'APIGW.0302')
  })

  t.test('404: a project without a Workspace binding; an unknown API under /v1', async (t) => {
    const unbound = await w.addProject('unbound-tenant')
    await expectError(t, await post({ body: body('a.exe'), headers: { 'x-auth-token': unbound.token } }, w.authorizePath(unbound.projectId)),
      404, 'WKS.00404001')
    await expectError(t, await post({ body: body('a.exe'), headers: asCaller() }, `/v1/${w.projectId}/app-warehouse/action/nothing`), 404, 'APIGW.0101')
  })

  t.test('405: every other method, with Allow: POST', async (t) => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await post({ method, headers: asCaller(), ...(method === 'GET' ? {} : { body: body('a.exe') }) })
      await expectError(t, res, 405, 'WKS.00405001')
      t.equal(res.headers.get('allow'), 'POST')
    }
  })

  t.test('415: a body that is not JSON', async (t) => {
    await expectError(t, await post({ body: 'app_file_name=a.exe', headers: asCaller({ 'content-type': 'application/x-www-form-urlencoded' }) }), 415, 'WKS.00415001')
    await expectError(t, await post({ body: 'a.exe', headers: asCaller({ 'content-type': 'text/plain' }) }), 415, 'WKS.00415001')
  })

  t.test('400: a body over the 64 KiB limit', async (t) => {
    await expectError(t, await post({ body: body('a'.repeat(70 * 1024)), headers: asCaller() }), 400, 'WKS.00400004')
  })

  t.test('429: the project is minting too fast (per-project budget)', async (t) => {
    const credentials = w.test.app.credentials
    const original = credentials.vend
    credentials.vend = async () => { throw throttled('mint_budget_exhausted', 'this project is minting new credentials too fast; retry shortly') }
    t.teardown(() => { credentials.vend = original })
    await expectError(t, await post({ body: body('a.exe'), headers: asCaller() }), 429, 'APIGW.0308', /^The throttling threshold has been reached: /)
  })

  t.test('500: an internal failure says nothing but the code, and is logged with the request id', async (t) => {
    const bindings = w.test.app.bindings
    const original = bindings.resolve
    bindings.resolve = async () => { throw new Error('store exploded: password=hunter2') }
    t.teardown(() => { bindings.resolve = original })
    const res = await post({ body: body('a.exe'), headers: asCaller() })
    await expectError(t, res, 500, 'WKS.00500001')
    t.notMatch(res.body.error_msg, /exploded|hunter2/, 'no internals in the reply')
    const line = w.test.logs.find((l) => l.reqId === res.headers.get('x-request-id') && l.level === 50)
    t.ok(line, 'the failure is logged at error level under the request id')
  })
})
