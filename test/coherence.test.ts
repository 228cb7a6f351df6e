import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Store } from '../src/store/store.js'
import { buildTestApp, type TestApp } from './helpers/app.js'
import { TEST_DATABASE_URL, testMasterKey, testSchema } from './helpers/store.js'
import { createEdasProject, handSignRoa, type EdasProject } from './routes/edas-fixtures.js'

/**
 * Two instances on one PostgreSQL database, as a scaled-out deployment runs:
 * a change made through instance A (admin API or a contract) takes effect on
 * instance B within one second, although B had the old state cached. B learns
 * through PostgreSQL LISTEN/NOTIFY (src/store/postgres.ts); caches also expire
 * on their own, but far later than the one second asserted here.
 */

if (TEST_DATABASE_URL === undefined) {
  t.plan(0, 'cross-instance coherence needs PostgreSQL: STSGATE_TEST_DATABASE_URL is not set (CI sets it; e.g. postgres://postgres@127.0.0.1:5432/test)')
} else {
  const keys = testMasterKey()
  const { schema, url } = await testSchema(t)
  const open = async (): Promise<Store> => {
    const store = await Store.open({ keys, databaseUrl: url, schema })
    t.teardown(() => store.close())
    return store
  }
  const a = await buildTestApp(t, { store: await open(), keys })
  const b = await buildTestApp(t, { store: await open(), keys })

  const edas = (h: TestApp, project: EdasProject) => {
    const signed = handSignRoa(project)
    return h.app.inject({ method: 'GET', url: signed.url, headers: signed.headers })
  }

  /** Polls until `done` holds; resolves with the milliseconds it took. Gives up (failing) after 3 s. */
  const within = async (probe: () => Promise<boolean>): Promise<number> => {
    const started = Date.now()
    while (Date.now() - started < 3000) {
      if (await probe()) return Date.now() - started
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return Infinity
  }

  t.test('an access key disabled through A is refused by B within one second', async (t) => {
    const project = await createEdasProject(a)
    t.equal((await edas(b, project)).statusCode, 200, 'B accepts the key (and caches it)')
    const changed = await a.admin('PATCH', `/projects/${project.projectId}/access-keys/${project.accessKeyId}`, { disabled: true })
    t.equal(changed.status, 200)
    const ms = await within(async () => (await edas(b, project)).statusCode !== 200)
    t.ok(ms < 1000, `B refuses it after ${ms} ms`)
    const refused = await edas(b, project)
    t.ok([403, 404].includes(refused.statusCode), `and keeps refusing: ${refused.statusCode} ${refused.json().Code}`)
  })

  t.test('a token revoked through A is refused by B within one second', async (t) => {
    const project = await createEdasProject(a)
    const issued = (await a.admin('POST', `/projects/${project.projectId}/tokens`, { ttl_seconds: 600 })).body
    const device = (await a.admin('POST', `/projects/${project.projectId}/devices`, { device_id: `dev-${randomUUID().slice(0, 8)}` })).body
    const reset = (h: TestApp) => h.app.inject({
      method: 'POST',
      url: `/v5/iot/${project.projectId}/devices/${device.device_id}/action?action_id=resetSecret`,
      headers: { 'x-auth-token': issued.token, 'content-type': 'application/json' },
      payload: '{}'
    })
    t.equal((await reset(b)).statusCode, 200, 'B accepts the token (and caches it)')
    t.equal((await a.admin('DELETE', `/projects/${project.projectId}/tokens/${issued.token_id}`)).status, 204)
    const ms = await within(async () => (await reset(b)).statusCode !== 200)
    t.ok(ms < 1000, `B refuses it after ${ms} ms`)
    t.match((await reset(b)).json(), { error_code: 'IOTDA.000004' }, 'as a revoked token')
  })

  t.test('a device secret reset through A is the one B\'s device login checks, within one second', async (t) => {
    const project = await createEdasProject(a)
    const issued = (await a.admin('POST', `/projects/${project.projectId}/tokens`, { ttl_seconds: 600 })).body
    const device = (await a.admin('POST', `/projects/${project.projectId}/devices`, { device_id: `dev-${randomUUID().slice(0, 8)}` })).body
    // What B's MQTT broker asks on every device login (src/mqtt/runtime.ts: no cache in between).
    const loginSecret = async () => (await b.store.devices.findForLogin(device.device_id))?.primarySecret
    t.equal(await loginSecret(), device.secret, 'B knows the first secret')
    const res = await a.app.inject({
      method: 'POST',
      url: `/v5/iot/${project.projectId}/devices/${device.device_id}/action?action_id=resetSecret`,
      headers: { 'x-auth-token': issued.token, 'content-type': 'application/json' },
      payload: JSON.stringify({ secret: 'NewSecret-0123456789' })
    })
    t.equal(res.statusCode, 200)
    const ms = await within(async () => (await loginSecret()) === 'NewSecret-0123456789')
    t.ok(ms < 1000, `B checks logins against the new secret after ${ms} ms`)
  })

  t.test('a binding changed through A is served by B within one second', async (t) => {
    const project = await createEdasProject(a, {}, { keyPrefix: 'before/' })
    const first = await edas(b, project)
    t.equal(first.json().Credential.KeyPrefix, 'before/', 'B serves (and caches) the first binding')
    const changed = await a.admin('PUT', `/projects/${project.projectId}/bindings`, { edas: { target_id: project.targetId, key_prefix: 'after/' } })
    t.ok(changed.status < 300, `rebound: ${changed.status}`)
    const ms = await within(async () => (await edas(b, project)).json().Credential?.KeyPrefix === 'after/')
    t.ok(ms < 1000, `B serves the new prefix after ${ms} ms`)
  })
}
