import t, { type Test } from 'tap'
import { ADMIN_TOKEN, buildTestApp } from './helpers/app.js'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** The admin (and default) dialect: {error, message} only, never Fastify's {statusCode, error, message}. */
function assertDialect (t: Test, res: { statusCode: number, headers: Record<string, unknown>, body: string }, status: number, error: string): void {
  t.equal(res.statusCode, status, `status ${status}`)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = JSON.parse(res.body)
  t.same(Object.keys(body).sort(), ['error', 'message'], 'exactly {error, message}')
  t.notOk('statusCode' in body, 'not Fastify\'s error shape')
  t.equal(body.error, error)
  t.ok(typeof res.headers['x-request-id'] === 'string', 'the request id is on the response')
}

t.test('Fastify failures in the admin dialect', async (t) => {
  const { app } = await buildTestApp(t)

  t.test('bad JSON → 400 malformed_json', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/admin/v1/projects', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name": ' })
    assertDialect(t, res, 400, 'malformed_json')
  })

  t.test('wrong content type → 415 unsupported_media_type', async (t) => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await app.inject({ method: 'POST', url: '/admin/v1/projects', headers: { ...auth, 'content-type': type }, payload: 'name=x' })
      assertDialect(t, res, 415, 'unsupported_media_type')
    }
  })

  t.test('body over 64 KiB → 413 body_too_large', async (t) => {
    const payload = JSON.stringify({ name: 'x'.repeat(64 * 1024) })
    const res = await app.inject({ method: 'POST', url: '/admin/v1/projects', headers: { ...auth, 'content-type': 'application/json' }, payload })
    assertDialect(t, res, 413, 'body_too_large')
    const ok = await app.inject({ method: 'POST', url: '/admin/v1/projects', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'small' }) })
    t.equal(ok.statusCode, 201, 'a normal body still works')
  })

  t.test('schema validation → 400 validation naming the field', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/admin/v1/projects', headers: { ...auth, 'content-type': 'application/json' }, payload: { name: 42 } })
    assertDialect(t, res, 400, 'validation')
    t.match(JSON.parse(res.body).message, /name/)
    const params = await app.inject({ method: 'GET', url: '/admin/v1/projects/not-hex', headers: auth })
    assertDialect(t, params, 400, 'validation')
    t.match(JSON.parse(params.body).message, /project_id/)
  })

  t.test('unknown routes → 404 route_not_found, inside and outside the admin prefix', async (t) => {
    assertDialect(t, await app.inject({ method: 'GET', url: '/no/such/route' }), 404, 'route_not_found')
    assertDialect(t, await app.inject({ method: 'POST', url: '/healthz', headers: { 'content-type': 'application/json' }, payload: '{}' }), 404, 'route_not_found')
    // Fastify parses the body before the not-found handler runs: bad JSON there is still our dialect.
    assertDialect(t, await app.inject({ method: 'POST', url: '/healthz', headers: { 'content-type': 'application/json' }, payload: '{bad' }), 400, 'malformed_json')
    assertDialect(t, await app.inject({ method: 'GET', url: '/admin/v1/nothing-here', headers: auth }), 404, 'route_not_found')
    assertDialect(t, await app.inject({ method: 'PUT', url: '/admin/v1/projects', headers: auth }), 404, 'route_not_found')
  })

  t.test('an unknown admin route without a token is still 401 (no route discovery)', async (t) => {
    assertDialect(t, await app.inject({ method: 'GET', url: '/admin/v1/nothing-here' }), 401, 'unauthenticated')
  })

  // Failures before routing go through `frameworkErrors`, which picks the dialect by path.
  t.test('an over-long path parameter is our 400, not Fastify\'s 414', async (t) => {
    assertDialect(t, await app.inject({ method: 'GET', url: `/admin/v1/projects/${'a'.repeat(600)}`, headers: auth }), 400, 'request_too_large')
  })

  t.test('a malformed %-escape in the path is our 400, in each contract\'s dialect', async (t) => {
    assertDialect(t, await app.inject({ method: 'GET', url: '/admin/v1/projects/%zz', headers: auth }), 400, 'bad_request')
    const pop = await app.inject({ method: 'GET', url: '/pop/%zz' })
    t.equal(pop.statusCode, 400)
    t.equal(pop.json().Code, 'InvalidParameter')
    t.equal(pop.headers['x-acs-request-id'], pop.json().RequestId)
    const workspace = await app.inject({ method: 'POST', url: '/v1/%zz/app-warehouse/action/authorize' })
    t.equal(workspace.statusCode, 400)
    t.match(workspace.json(), { error_code: /^WKS\./ })
    const iotda = await app.inject({ method: 'POST', url: `/v5/iot/${'0'.repeat(32)}/devices/${'d'.repeat(600)}/action?action_id=resetSecret` })
    t.equal(iotda.statusCode, 400)
    t.match(iotda.json(), { error_code: 'IOTDA.000006' })
  })
})
