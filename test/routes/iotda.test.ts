import t, { type Test } from 'tap'
import { buildTestApp, redactedNamesIn, type TestApp } from '../helpers/app.js'
import { STORE_KINDS } from '../helpers/store.js'
import { unavailable } from '../../src/errors.js'
import { iotdaProject, reset, type IotdaProject } from './iotda-fixtures.js'

/** Every IoTDA error is exactly {error_code, error_msg} with the request id in X-Request-Id. */
function assertIotdaError (t: Test, res: { status: number, body: any, headers: Record<string, unknown> }, status: number, code: string, msg?: RegExp): void {
  t.equal(res.status, status, `status ${status}`)
  t.same(Object.keys(res.body ?? {}).sort(), ['error_code', 'error_msg'], 'body is {error_code, error_msg}')
  t.equal(res.body?.error_code, code, `error_code ${code}`)
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'request id header')
  if (msg !== undefined) t.match(res.body.error_msg, msg)
}

const secretsOf = async (app: TestApp, deviceId: string) => await app.store.devices.findForLogin(deviceId)

for (const kind of STORE_KINDS) {
  t.test(`${kind}: resets`, async (t) => {
    const app = await buildTestApp(t, { kind })

    t.test('a given PRIMARY secret is committed before the reply; the secondary is untouched', async (t) => {
      const p = await iotdaProject(app)
      const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'new_Primary-01', force_disconnect: false } })
      t.equal(res.status, 200)
      t.same(res.body, { device_id: p.deviceId, secret: 'new_Primary-01', secret_type: 'PRIMARY' })
      t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/)
      t.same(await secretsOf(app, p.deviceId), { projectId: p.projectId, primarySecret: 'new_Primary-01', secondarySecret: p.secondary })
    })

    t.test('secret_type SECONDARY resets only the secondary', async (t) => {
      const p = await iotdaProject(app)
      const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'new-secondary', secret_type: 'SECONDARY' } })
      t.same(res.body, { device_id: p.deviceId, secret: 'new-secondary', secret_type: 'SECONDARY' })
      t.same(await secretsOf(app, p.deviceId), { projectId: p.projectId, primarySecret: p.primary, secondarySecret: 'new-secondary' })
    })

    t.test('an absent, empty or {} body resets the primary to a generated 32-hex secret', async (t) => {
      const p = await iotdaProject(app)
      const seen = new Set<string>()
      for (const call of [{}, { payload: '' }, { body: {} }, { body: { force_disconnect: true } }]) {
        const res = await reset(app, p.projectId, p.deviceId, { token: p.token, ...call })
        t.equal(res.status, 200, JSON.stringify(call))
        t.match(res.body, { device_id: p.deviceId, secret: /^[0-9a-f]{32}$/, secret_type: 'PRIMARY' })
        t.equal((await secretsOf(app, p.deviceId))?.primarySecret, res.body.secret)
        seen.add(res.body.secret)
      }
      t.equal(seen.size, 4, 'a fresh secret every time')
    })

    t.test('the audit log records who, which device and type, generated and force_disconnect — never the secret; nor does the log', async (t) => {
      const p = await iotdaProject(app)
      await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'AuditMe_Secret99', secret_type: 'SECONDARY', force_disconnect: true } })
      const generated = await reset(app, p.projectId, p.deviceId, { token: p.token })
      const rows = await app.store.db.query<{ actor: string, action: string, subject: string, detail: unknown }>(
        "select actor, action, subject, detail from audit_events where action = 'device.reset_secret' and subject = $1 order by seq", [p.deviceId])
      t.same(rows.map((r) => ({ ...r, detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail })), [
        { actor: `token:${p.tokenId}`, action: 'device.reset_secret', subject: p.deviceId, detail: { secret_type: 'SECONDARY', generated: false, force_disconnect: true } },
        { actor: `token:${p.tokenId}`, action: 'device.reset_secret', subject: p.deviceId, detail: { secret_type: 'PRIMARY', generated: true, force_disconnect: false } }
      ])
      const all = JSON.stringify(await app.store.db.query('select * from audit_events'))
      t.notMatch(all, 'AuditMe_Secret99')
      t.notMatch(all, generated.body.secret)
      t.notMatch(app.logText(), 'AuditMe_Secret99')
      t.notMatch(app.logText(), generated.body.secret)
      t.notMatch(app.logText(), p.token)
      const resetLine = app.logs.find((l) => l.msg === 'device secret reset' && l.device_id === p.deviceId)
      t.ok(resetLine, 'the reset is logged with its request id')
      t.same(redactedNamesIn(resetLine ?? {}), [], 'no field the redaction watches: the line is written without it')
    })

    if (kind === 'pglite') {
      t.test('the OpenAPI document describes every response and lists every code', async (t) => openApiIsComplete(t, app))
    }

    t.test('Instance-Id: the project\'s own instance passes; a project without one ignores it', async (t) => {
      const withInstance = await iotdaProject(app, { instanceId: 'inst-a1' })
      t.equal((await reset(app, withInstance.projectId, withInstance.deviceId, { token: withInstance.token, headers: { 'instance-id': 'inst-a1' } })).status, 200)
      t.equal((await reset(app, withInstance.projectId, withInstance.deviceId, { token: withInstance.token })).status, 200, 'the header is optional')
      const without = await iotdaProject(app)
      t.equal((await reset(app, without.projectId, without.deviceId, { token: without.token, headers: { 'instance-id': 'anything' } })).status, 200)
    })
  })

  t.test(`${kind}: every documented error`, async (t) => {
    const app = await buildTestApp(t, { kind })
    const p = await iotdaProject(app, { instanceId: 'inst-main' })
    const other = await iotdaProject(app)
    const call = (deviceId: string, extra: Parameters<typeof reset>[3] = {}) => reset(app, p.projectId, deviceId, { token: p.token, ...extra })
    const unchanged = async (t: Test) => t.same(await secretsOf(app, p.deviceId), { projectId: p.projectId, primarySecret: p.primary, secondarySecret: p.secondary }, 'secrets unchanged')

    t.test('400 IOTDA.000006 for a bad device_id', async (t) => {
      assertIotdaError(t, await call('a'.repeat(129)), 400, 'IOTDA.000006', /device_id/)
      assertIotdaError(t, await call('dev%21x'), 400, 'IOTDA.000006', /device_id/)
      assertIotdaError(t, await call('dev.x'), 400, 'IOTDA.000006', /device_id/)
      // 128 characters is legal (and longer than Fastify's default maxParamLength): an unknown device, not a 414.
      assertIotdaError(t, await call('a'.repeat(128)), 404, 'IOTDA.014000')
    })

    t.test('400 IOTDA.000006 for a missing or other action_id', async (t) => {
      assertIotdaError(t, await call(p.deviceId, { query: '' }), 400, 'IOTDA.000006', /action_id/)
      assertIotdaError(t, await call(p.deviceId, { query: '?action_id=freeze' }), 400, 'IOTDA.000006', /action_id/)
      assertIotdaError(t, await call(p.deviceId, { query: '?action_id=resetsecret' }), 400, 'IOTDA.000006', /action_id/)
      await unchanged(t)
    })

    t.test('400 IOTDA.000006 for a bad secret, secret_type, force_disconnect or an unknown field', async (t) => {
      for (const secret of ['short7_', 'x'.repeat(33), 'has space1', 'dollar$ign', 'ünïcode-secret', '']) {
        assertIotdaError(t, await call(p.deviceId, { body: { secret } }), 400, 'IOTDA.000006', /secret/)
      }
      assertIotdaError(t, await call(p.deviceId, { body: { secret: 12345678 } }), 400, 'IOTDA.000006', /secret/)
      assertIotdaError(t, await call(p.deviceId, { body: { secret_type: 'TERTIARY' } }), 400, 'IOTDA.000006', /secret_type/)
      assertIotdaError(t, await call(p.deviceId, { body: { secret_type: 'primary' } }), 400, 'IOTDA.000006', /secret_type/)
      assertIotdaError(t, await call(p.deviceId, { body: { force_disconnect: 'true' } }), 400, 'IOTDA.000006', /force_disconnect/)
      assertIotdaError(t, await call(p.deviceId, { body: { forceDisconnect: true } }), 400, 'IOTDA.000006', /additional properties/)
      assertIotdaError(t, await call(p.deviceId, { payload: '[]' }), 400, 'IOTDA.000006')
      assertIotdaError(t, await call(p.deviceId, { payload: '"x"' }), 400, 'IOTDA.000006')
      t.equal((await call(p.deviceId, { body: { secret: 'exactly8' } })).status, 200, '8 characters is legal')
      t.equal((await call(p.deviceId, { body: { secret: 'y'.repeat(32) } })).status, 200, '32 characters is legal')
      await call(p.deviceId, { body: { secret: p.primary } })
      await unchanged(t)
    })

    t.test('400 IOTDA.000008 for malformed JSON or another media type', async (t) => {
      assertIotdaError(t, await call(p.deviceId, { payload: '{"secret":' }), 400, 'IOTDA.000008')
      assertIotdaError(t, await call(p.deviceId, { payload: 'secret=abcdefgh', contentType: 'application/x-www-form-urlencoded' }), 400, 'IOTDA.000008')
      await unchanged(t)
    })

    t.test('401 IOTDA.000002 without credentials or with a bad token', async (t) => {
      assertIotdaError(t, await reset(app, p.projectId, p.deviceId, { body: { secret: 'abcdefgh' } }), 401, 'IOTDA.000002')
      assertIotdaError(t, await reset(app, p.projectId, p.deviceId, { token: 'not-a-token', body: {} }), 401, 'IOTDA.000002')
      assertIotdaError(t, await reset(app, p.projectId, 'a'.repeat(129), {}), 401, 'IOTDA.000002', undefined)
      await unchanged(t)
    })

    t.test('403 IOTDA.000004 with a revoked token', async (t) => {
      const q = await iotdaProject(app)
      t.equal((await app.admin('DELETE', `/projects/${q.projectId}/tokens/${q.tokenId}`)).status, 204)
      assertIotdaError(t, await reset(app, q.projectId, q.deviceId, { token: q.token }), 403, 'IOTDA.000004')
    })

    t.test('403 APIGW.0302 for a wrong Instance-Id or another project\'s credentials', async (t) => {
      assertIotdaError(t, await call(p.deviceId, { headers: { 'instance-id': 'inst-other' } }), 403, 'APIGW.0302', /Instance-Id/)
      assertIotdaError(t, await reset(app, p.projectId, p.deviceId, { token: other.token }), 403, 'APIGW.0302', /project/)
      assertIotdaError(t, await reset(app, '0'.repeat(32), p.deviceId, { token: p.token }), 403, 'APIGW.0302', /project/)
      await unchanged(t)
    })

    t.test('404 IOTDA.014000 for an unknown device and another project\'s device alike', async (t) => {
      const unknown = await call('no-such-device')
      const foreign = await call(other.deviceId)
      assertIotdaError(t, unknown, 404, 'IOTDA.014000')
      assertIotdaError(t, foreign, 404, 'IOTDA.014000')
      t.equal(foreign.body.error_msg.replace(other.deviceId, 'X'), unknown.body.error_msg.replace('no-such-device', 'X'), 'the same answer: ids do not leak')
      t.notMatch(foreign.body.error_msg, other.projectId)
      t.same(await secretsOf(app, other.deviceId), { projectId: other.projectId, primarySecret: other.primary, secondarySecret: other.secondary })
    })

    t.test('405 for another method; 404 APIGW.0101 for an unknown path under /v5', async (t) => {
      assertIotdaError(t, await call(p.deviceId, { method: 'GET' }), 405, 'IOTDA.999405')
      const res = await app.app.inject({ method: 'POST', url: `/v5/iot/${p.projectId}/devices/${p.deviceId}/freeze`, headers: { 'x-auth-token': p.token } })
      assertIotdaError(t, { status: res.statusCode, body: res.json(), headers: res.headers }, 404, 'APIGW.0101')
    })

    t.test('a reset that fails half-way leaves the old secrets in force', async (t) => {
      await halfWayFailures(t, app, await iotdaProject(app))
    })
  })
}

async function halfWayFailures (t: Test, app: TestApp, p: IotdaProject): Promise<void> {
  const auditBefore = (await app.store.db.query('select count(*)::int as n from audit_events'))[0]

  t.test('the audit insert fails inside the transaction → 500, nothing committed', async (t) => {
    await app.store.db.exec(`
      create function stsgate_test_refuse_audit() returns trigger language plpgsql as $$
        begin raise exception 'audit refused by test'; end $$;
      create trigger stsgate_test_refuse_audit before insert on audit_events
        for each row execute function stsgate_test_refuse_audit();`)
    t.teardown(() => app.store.db.exec('drop trigger if exists stsgate_test_refuse_audit on audit_events'))
    const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'never-committed', force_disconnect: true } })
    assertIotdaError(t, res, 500, 'IOTDA.999500')
    t.notMatch(res.body.error_msg, /audit refused/, 'no internals in the reply')
    t.same(await secretsOf(app, p.deviceId), { projectId: p.projectId, primarySecret: p.primary, secondarySecret: p.secondary })
    t.same((await app.store.db.query('select count(*)::int as n from audit_events'))[0], auditBefore)
    t.notMatch(app.logText(), 'never-committed')
  })

  t.test('the store is unreachable → 503 IOTDA.999503, nothing committed', async (t) => {
    const db = app.store.db
    const original = db.transaction.bind(db)
    db.transaction = async () => { throw unavailable('store_unavailable', 'the store is unreachable') }
    t.teardown(() => { db.transaction = original })
    const res = await reset(app, p.projectId, p.deviceId, { token: p.token, body: { secret: 'never-committed' } })
    assertIotdaError(t, res, 503, 'IOTDA.999503')
    db.transaction = original
    t.same(await secretsOf(app, p.deviceId), { projectId: p.projectId, primarySecret: p.primary, secondarySecret: p.secondary })
  })
}

function openApiIsComplete (t: Test, app: TestApp): void {
  const doc = app.app.swagger() as any
  const op = doc.paths['/v5/iot/{project_id}/devices/{device_id}/action']?.post
  t.ok(op, 'the operation is documented')
  t.same(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '404', '405', '429', '500', '503'])
  for (const [status, response] of Object.entries<any>(op.responses)) t.ok(typeof response.description === 'string' && response.description.length > 2, `${status} has a description`)
  const text = JSON.stringify(op.responses)
  for (const code of ['IOTDA.000002', 'IOTDA.000004', 'IOTDA.000006', 'IOTDA.000008', 'IOTDA.014000', 'IOTDA.999405', 'IOTDA.999500', 'IOTDA.999503', 'APIGW.0302', 'APIGW.0101', 'APIGW.0308']) {
    t.match(text, code, code)
  }
  t.ok(op.parameters.some((x: any) => x.in === 'query' && x.name === 'action_id' && x.required === true), 'action_id is a required query parameter')
  t.ok(op.parameters.some((x: any) => x.in === 'header' && x.name === 'instance-id'), 'Instance-Id is documented')
}
