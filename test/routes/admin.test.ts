import t, { type Test } from 'tap'
import { ADMIN_TOKEN, buildTestApp, type TestApp } from '../helpers/app.js'
import { STORE_KINDS } from '../helpers/store.js'

const HEX32 = /^[0-9a-f]{32}$/
const NO_PROJECT = '0'.repeat(32)
const NO_TARGET = '0'.repeat(16)

const LOCAL_TARGET = { name: 'local', provider: 'local', bucket: 'media-bucket', region: 'local', endpoint: 'http://127.0.0.1:9000' }
const ALIYUN_TARGET = {
  name: 'oss', provider: 'aliyun', bucket: 'oss-bucket', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com',
  upstream: { role_arn: 'acs:ram::1234567890:role/vend', access_key_id: 'LTAIupstreamKey', access_key_secret: 'aliyun-UPSTREAM-secret' }
}
const HUAWEI_TARGET = {
  name: 'obs', provider: 'huawei', bucket: 'obs-bucket', region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com',
  upstream: { agency_name: 'vend', domain_name: 'acme', access_key_id: 'HWupstreamKey', secret_access_key: 'huawei-UPSTREAM-secret' }
}

/** Every admin error has exactly {error, message}; never Fastify's {statusCode, error, message}. */
function assertAdminError (t: Test, res: { status: number, body: any }, status: number, error: string, field?: RegExp): void {
  t.equal(res.status, status, `status ${status}`)
  t.same(Object.keys(res.body).sort(), ['error', 'message'], 'body is {error, message}')
  t.equal(res.body.error, error)
  if (field !== undefined) t.match(res.body.message, field, 'the message names the field')
}

async function project (app: TestApp, name = 'p'): Promise<string> {
  const res = await app.admin('POST', '/projects', { name })
  if (res.status !== 201) throw new Error(`project create: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.project_id
}

async function target (app: TestApp, projectId: string, body: object = LOCAL_TARGET): Promise<string> {
  const res = await app.admin('POST', `/projects/${projectId}/targets`, body)
  if (res.status !== 201) throw new Error(`target create: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.target_id
}

for (const kind of STORE_KINDS) {
  t.test(`${kind}: every admin endpoint's success path`, async (t) => {
    const app = await buildTestApp(t, { kind })

    t.test('projects: create, list, show, update, delete', async (t) => {
      const created = await app.admin('POST', '/projects', { name: 'alpha', instance_id: 'inst-1' })
      t.equal(created.status, 201)
      t.match(created.body, { project_id: HEX32, name: 'alpha', instance_id: 'inst-1', disabled: false, created_at: String })
      const id = created.body.project_id
      const list = await app.admin('GET', '/projects')
      t.ok(list.body.projects.some((p: any) => p.project_id === id))
      t.same((await app.admin('GET', `/projects/${id}`)).body, created.body)
      const patched = await app.admin('PATCH', `/projects/${id}`, { name: 'beta', disabled: true })
      t.match(patched, { status: 200, body: { name: 'beta', disabled: true } })
      t.match((await app.admin('PATCH', `/projects/${id}`, { disabled: false })).body, { name: 'beta', disabled: false })
      t.equal((await app.admin('DELETE', `/projects/${id}`)).status, 204)
      t.equal((await app.admin('GET', `/projects/${id}`)).status, 404)
    })

    t.test('access keys: the secret is shown only at creation', async (t) => {
      const p = await project(app)
      const created = await app.admin('POST', `/projects/${p}/access-keys`)
      t.equal(created.status, 201)
      t.match(created.body, { access_key_id: /^SG[A-Z0-9]{18}$/, secret_access_key: /^[A-Za-z0-9]{40}$/ })
      const list = await app.admin('GET', `/projects/${p}/access-keys`)
      t.same(list.body.access_keys.map((k: any) => Object.keys(k).sort()), [['access_key_id', 'created_at', 'disabled', 'last_used_at']])
      t.notOk(JSON.stringify(list.body).includes(created.body.secret_access_key), 'the list never shows the secret')
      t.equal((await app.admin('PATCH', `/projects/${p}/access-keys/${created.body.access_key_id}`, { disabled: true })).status, 200)
      t.equal((await app.admin('GET', `/projects/${p}/access-keys`)).body.access_keys[0].disabled, true)
      t.equal((await app.admin('DELETE', `/projects/${p}/access-keys/${created.body.access_key_id}`)).status, 204)
      t.same((await app.admin('GET', `/projects/${p}/access-keys`)).body.access_keys, [], 'deleted for good')
    })

    t.test('tokens: default ttl 86400, list ids and expiry, revoke', async (t) => {
      const p = await project(app)
      const before = Date.now()
      const created = await app.admin('POST', `/projects/${p}/tokens`)
      t.equal(created.status, 201)
      t.match(created.body, { token_id: /^[0-9a-f]{16}$/, token: String, expires_at: String })
      // Expiry is whole seconds (floored), so it may fall up to 1 s before `before` + ttl.
      const expiry = Date.parse(created.body.expires_at)
      t.ok(expiry > before + 86_399_000 && expiry <= Date.now() + 86_400_000, 'expires in a day')
      const short = await app.admin('POST', `/projects/${p}/tokens`, { ttl_seconds: 60 })
      const shortExpiry = Date.parse(short.body.expires_at)
      t.ok(shortExpiry > before + 59_000 && shortExpiry <= Date.now() + 60_000, 'expires in a minute')
      const list = await app.admin('GET', `/projects/${p}/tokens`)
      t.equal(list.body.tokens.length, 2)
      t.notOk(JSON.stringify(list.body).includes(created.body.token), 'the list never shows the token')
      t.equal((await app.admin('DELETE', `/projects/${p}/tokens/${created.body.token_id}`)).status, 204)
      t.match((await app.admin('GET', `/projects/${p}/tokens`)).body.tokens.find((x: any) => x.token_id === created.body.token_id), { revoked: true })
    })

    t.test('targets: create local and aliyun (upstream secret never echoed), list, delete', async (t) => {
      const p = await project(app)
      const local = await app.admin('POST', `/projects/${p}/targets`, LOCAL_TARGET)
      t.equal(local.status, 201)
      t.match(local.body, { target_id: /^[0-9a-f]{16}$/, provider: 'local', duration_seconds: 3600, upstream: null })
      const oss = await app.admin('POST', `/projects/${p}/targets`, ALIYUN_TARGET)
      t.equal(oss.status, 201)
      t.same(oss.body.upstream, { role_arn: ALIYUN_TARGET.upstream.role_arn, access_key_id: 'LTAIupstreamKey' })
      const list = await app.admin('GET', `/projects/${p}/targets`)
      t.equal(list.body.targets.length, 2)
      const text = JSON.stringify([oss.body, list.body])
      t.notOk(text.includes('aliyun-UPSTREAM-secret'), 'the upstream secret is never echoed')
      const obs = await app.admin('POST', `/projects/${p}/targets`, HUAWEI_TARGET)
      t.equal(obs.status, 201)
      t.notOk(JSON.stringify(obs.body).includes('huawei-UPSTREAM-secret'))
      t.equal((await app.admin('DELETE', `/projects/${p}/targets/${local.body.target_id}`)).status, 204)
      t.equal((await app.admin('GET', `/projects/${p}/targets`)).body.targets.length, 2)
    })

    t.test('bindings: defaults per project, explicit prefixes, show', async (t) => {
      const p = await project(app)
      const local = await target(app, p)
      t.same((await app.admin('GET', `/projects/${p}/bindings`)).body, {})
      const put = await app.admin('PUT', `/projects/${p}/bindings`, { edas: { target_id: local }, workspace: { target_id: local } })
      t.equal(put.status, 200)
      t.same(put.body, {
        edas: { target_id: local, key_prefix: `release-pkg/${p}/` },
        workspace: { target_id: local, directory: `file/${p}/` }
      })
      const explicit = await app.admin('PUT', `/projects/${p}/bindings`, { edas: { target_id: local, key_prefix: 'pkgs/a/' } })
      t.same(explicit.body.edas, { target_id: local, key_prefix: 'pkgs/a/' })
      t.same(explicit.body.workspace, { target_id: local, directory: `file/${p}/` }, 'an omitted binding is left as it was')
      t.same((await app.admin('GET', `/projects/${p}/bindings`)).body, explicit.body)
    })

    t.test('devices: generated and given ids and secrets, list, show, delete', async (t) => {
      const p = await project(app)
      const generated = await app.admin('POST', `/projects/${p}/devices`)
      t.equal(generated.status, 201)
      t.match(generated.body, { device_id: /^[0-9a-f]{24}$/, secret: /^[0-9a-f]{32}$/ })
      const given = await app.admin('POST', `/projects/${p}/devices`, { device_id: `dev-${kind}-1`, secret: 'my-Secret-1234', secondary_secret: 'my-Second-5678' })
      t.same(given.body, { device_id: `dev-${kind}-1`, secret: 'my-Secret-1234' })
      const list = await app.admin('GET', `/projects/${p}/devices`)
      t.equal(list.body.devices.length, 2)
      t.notOk(JSON.stringify(list.body).includes(generated.body.secret), 'the list never shows a secret')
      const shown = await app.admin('GET', `/projects/${p}/devices/dev-${kind}-1`)
      t.match(shown.body, { device_id: `dev-${kind}-1`, has_secondary_secret: true })
      t.notOk(JSON.stringify(shown.body).includes('my-Secret-1234'))
      t.equal((await app.admin('DELETE', `/projects/${p}/devices/dev-${kind}-1`)).status, 204)
      t.equal((await app.admin('GET', `/projects/${p}/devices/dev-${kind}-1`)).status, 404)
    })

    t.test('gateways: create with default prefix and generated password, list, show, update, delete', async (t) => {
      const p = await project(app)
      const local = await target(app, p)
      const sn = `DOCK-${kind}-1`
      const created = await app.admin('POST', `/projects/${p}/gateways`, { sn, target_id: local })
      t.equal(created.status, 201)
      t.match(created.body, { sn, username: sn, password: /^[A-Za-z0-9]{32}$/, object_key_prefix: `media/${sn}/`, target_id: local, disabled: false })
      const given = await app.admin('POST', `/projects/${p}/gateways`, { sn: `${sn}-b`, target_id: local, object_key_prefix: 'docks/b/', password: 'a-chosen-password' })
      t.match(given.body, { password: 'a-chosen-password', object_key_prefix: 'docks/b/' })
      const list = await app.admin('GET', `/projects/${p}/gateways`)
      t.equal(list.body.gateways.length, 2)
      t.notOk(JSON.stringify(list.body).includes(created.body.password), 'the list never shows a password')
      t.notOk('password' in (await app.admin('GET', `/projects/${p}/gateways/${sn}`)).body)
      const patched = await app.admin('PATCH', `/projects/${p}/gateways/${sn}`, { disabled: true, object_key_prefix: 'docks/a/' })
      t.match(patched, { status: 200, body: { disabled: true, object_key_prefix: 'docks/a/' } })
      t.equal((await app.admin('DELETE', `/projects/${p}/gateways/${sn}`)).status, 204)
      t.equal((await app.admin('GET', `/projects/${p}/gateways/${sn}`)).status, 404)
    })

    t.test('every change lands in a verifiable audit chain without secrets', async (t) => {
      const verified = await app.store.verifyAudit()
      t.equal(verified.ok, true, verified.problem ?? 'the chain verifies')
      t.ok(verified.events > 20)
      const audit = JSON.stringify(await app.store.db.query('select detail from audit_events'))
      t.notOk(audit.includes('UPSTREAM-secret'))
      t.notOk(audit.includes('my-Secret-1234'))
      t.notOk(audit.includes('a-chosen-password'))
    })
  })

  t.test(`${kind}: conflicts (409)`, async (t) => {
    const app = await buildTestApp(t, { kind })
    const a = await project(app, 'a')
    const b = await project(app, 'b')
    const ta = await target(app, a)
    const tb = await target(app, b)

    t.test('a device id is unique across projects', async (t) => {
      t.equal((await app.admin('POST', `/projects/${a}/devices`, { device_id: 'shared-dev' })).status, 201)
      assertAdminError(t, await app.admin('POST', `/projects/${b}/devices`, { device_id: 'shared-dev' }), 409, 'identity_taken', /shared-dev/)
    })

    t.test('a gateway serial number is unique across projects', async (t) => {
      t.equal((await app.admin('POST', `/projects/${a}/gateways`, { sn: 'SHAREDSN', target_id: ta })).status, 201)
      assertAdminError(t, await app.admin('POST', `/projects/${b}/gateways`, { sn: 'SHAREDSN', target_id: tb, object_key_prefix: 'b-docks/' }), 409, 'identity_taken', /SHAREDSN/)
    })

    // One namespace for dock sns, sub-device sns and device ids, in every role and either order (docs/operations.md "Tenant isolation").
    type Holder = 'dock' | 'sub_device' | 'device'
    let seq = 0
    const register = (projectId: string, targetId: string, role: Holder, name: string) => {
      const n = ++seq
      if (role === 'device') return app.admin('POST', `/projects/${projectId}/devices`, { device_id: name })
      if (role === 'dock') return app.admin('POST', `/projects/${projectId}/gateways`, { sn: name, target_id: targetId, object_key_prefix: `docks-${n}/` })
      return app.admin('POST', `/projects/${projectId}/gateways`, { sn: `HOLDER${n}`, target_id: targetId, object_key_prefix: `docks-${n}/`, sub_devices: [name] })
    }
    for (const first of ['dock', 'sub_device', 'device'] as const) {
      for (const second of ['dock', 'sub_device', 'device'] as const) {
        t.test(`a ${first} name cannot be taken as a ${second} by another project`, async (t) => {
          const name = `N-${first}-${second}`
          t.equal((await register(a, ta, first, name)).status, 201)
          const before = await app.store.db.query('select * from device_identities order by name')
          assertAdminError(t, await register(b, tb, second, name), 409, 'identity_taken', new RegExp(name))
          t.same(await app.store.db.query('select * from device_identities order by name'), before, 'the refused request changed nothing')
          t.same((await app.admin('GET', `/projects/${b}/gateways`)).body.gateways.filter((g: any) => g.sub_devices.includes(name) || g.sn === name), [])
        })
      }
    }

    t.test('a sub-device listed twice, or equal to its dock, is refused (400)', async (t) => {
      assertAdminError(t, await app.admin('POST', `/projects/${b}/gateways`, { sn: 'TWICE', target_id: tb, object_key_prefix: 'twice/', sub_devices: ['AC1', 'AC1'] }), 400, 'identity_repeated', /AC1/)
      assertAdminError(t, await app.admin('POST', `/projects/${b}/gateways`, { sn: 'SELF', target_id: tb, object_key_prefix: 'self/', sub_devices: ['SELF'] }), 400, 'identity_repeated', /SELF/)
    })

    t.test('a deleted dock frees its names for another project', async (t) => {
      t.equal((await app.admin('POST', `/projects/${a}/gateways`, { sn: 'MOVING', target_id: ta, object_key_prefix: 'moving-a/', sub_devices: ['MOVING-AC'] })).status, 201)
      assertAdminError(t, await app.admin('POST', `/projects/${b}/devices`, { device_id: 'MOVING-AC' }), 409, 'identity_taken')
      t.equal((await app.admin('DELETE', `/projects/${a}/gateways/MOVING`)).status, 204)
      t.equal((await app.admin('POST', `/projects/${b}/gateways`, { sn: 'MOVING', target_id: tb, object_key_prefix: 'moving-b/', sub_devices: ['MOVING-AC'] })).status, 201)
    })

    t.test('concurrent claims of one name in two roles: exactly one wins', async (t) => {
      const results = await Promise.all([
        app.admin('POST', `/projects/${a}/devices`, { device_id: 'RACE1' }),
        app.admin('POST', `/projects/${b}/gateways`, { sn: 'RACE1', target_id: tb, object_key_prefix: 'race/' })
      ])
      t.same(results.map((r) => r.status).sort(), [201, 409])
      t.equal(results.find((r) => r.status === 409)?.body.error, 'identity_taken')
    })

    t.test('the database itself refuses a second holder, whatever code path inserts it', async (t) => {
      await t.rejects(app.store.db.query(
        `insert into device_identities (name, project_id, role, device_id) values ('SHAREDSN', $1, 'device', 'SHAREDSN')`, [b]), { code: '23505' })
    })

    t.test('two projects cannot bind overlapping prefixes on one bucket', async (t) => {
      t.equal((await app.admin('PUT', `/projects/${a}/bindings`, { edas: { target_id: ta, key_prefix: 'shared/pkgs/' } })).status, 200)
      assertAdminError(t, await app.admin('PUT', `/projects/${b}/bindings`, { edas: { target_id: tb, key_prefix: 'shared/' } }), 409, 'prefix_taken', /shared\//)
      assertAdminError(t, await app.admin('PUT', `/projects/${b}/bindings`, { workspace: { target_id: tb, directory: 'shared/pkgs/deeper/' } }), 409, 'prefix_taken')
      assertAdminError(t, await app.admin('POST', `/projects/${b}/gateways`, { sn: 'DOCKB', target_id: tb, object_key_prefix: 'shared/pkgs/x/' }), 409, 'prefix_taken')
      t.equal((await app.admin('PUT', `/projects/${b}/bindings`, { edas: { target_id: tb, key_prefix: 'shared/other/' } })).status, 200, 'a disjoint prefix is fine')
    })

    t.test('a bound target cannot be deleted', async (t) => {
      assertAdminError(t, await app.admin('DELETE', `/projects/${a}/targets/${ta}`), 409, 'target_bound')
    })

    t.test('a duplicate target name in one project', async (t) => {
      assertAdminError(t, await app.admin('POST', `/projects/${a}/targets`, LOCAL_TARGET), 409, 'already_exists', /local/)
    })
  })
}

t.test('bad input, unknown ids and authentication', async (t) => {
  const app = await buildTestApp(t)
  const p = await project(app)
  const local = await target(app, p)
  const obs = await target(app, p, HUAWEI_TARGET)

  t.test('401 without a token, with a wrong one, or with another scheme', async (t) => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${ADMIN_TOKEN}`, `bearer ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`]) {
      const res = await app.app.inject({ method: 'GET', url: '/admin/v1/projects', headers: authorization === undefined ? {} : { authorization } })
      assertAdminError(t, { status: res.statusCode, body: res.json() }, 401, 'unauthenticated')
    }
    const res = await app.app.inject({ method: 'POST', url: '/admin/v1/projects', payload: { name: 'x' } })
    t.equal(res.statusCode, 401, 'even before the body is looked at')
  })

  t.test('400 naming the field for each endpoint', async (t) => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/projects', {}, /name/],
      ['POST', '/projects', { name: '' }, /name/],
      ['POST', '/projects', { name: 'x', instance_id: 'bad id!' }, /instance_id/],
      ['POST', '/projects', { name: 'x', extra: 1 }, /additional/i],
      ['PATCH', `/projects/${p}`, {}, /body/],
      ['PATCH', `/projects/${p}`, { disabled: 'yes' }, /disabled/],
      ['GET', '/projects/NOT-HEX', undefined, /project_id/],
      ['POST', `/projects/${p}/tokens`, { ttl_seconds: 5 }, /ttl_seconds/],
      ['POST', `/projects/${p}/tokens`, { ttl_seconds: '600' }, /ttl_seconds/],
      ['DELETE', `/projects/${p}/tokens/xyz`, undefined, /token_id/],
      ['POST', `/projects/${p}/targets`, { ...LOCAL_TARGET, name: 'l2', provider: 'gcs' }, /provider/],
      ['POST', `/projects/${p}/targets`, { ...LOCAL_TARGET, name: 'l2', bucket: 'UPPER' }, /bucket/],
      ['POST', `/projects/${p}/targets`, { ...LOCAL_TARGET, name: 'l2', endpoint: 'http://host/path' }, /endpoint/],
      ['POST', `/projects/${p}/targets`, { ...LOCAL_TARGET, name: 'l2', duration_seconds: 60 }, /duration_seconds/],
      ['POST', `/projects/${p}/targets`, { ...LOCAL_TARGET, name: 'l2', upstream: ALIYUN_TARGET.upstream }, /upstream/],
      ['POST', `/projects/${p}/targets`, { ...ALIYUN_TARGET, name: 'o2', upstream: undefined }, /upstream/],
      ['POST', `/projects/${p}/targets`, { ...ALIYUN_TARGET, name: 'o2', upstream: { ...ALIYUN_TARGET.upstream, role_arn: 'nope' } }, /role_arn/],
      ['POST', `/projects/${p}/targets`, { ...ALIYUN_TARGET, name: 'o2', upstream: { ...ALIYUN_TARGET.upstream, sts_endpoint: 'https://169.254.169.254/' } }, /sts_endpoint|link-local|metadata/],
      ['POST', `/projects/${p}/targets`, { ...HUAWEI_TARGET, name: 'h2', upstream: { ...HUAWEI_TARGET.upstream, domain_id: 'a'.repeat(32) } }, /domain_name|domain_id/],
      ['PUT', `/projects/${p}/bindings`, {}, /body/],
      ['PUT', `/projects/${p}/bindings`, { edas: {} }, /target_id/],
      ['PUT', `/projects/${p}/bindings`, { edas: { target_id: local, key_prefix: 'pkgs/*' } }, /key_prefix/],
      ['PUT', `/projects/${p}/bindings`, { edas: { target_id: local, key_prefix: 'pkgs/*/' } }, /key_prefix/],
      ['PUT', `/projects/${p}/bindings`, { edas: { target_id: local, key_prefix: 'pkgs/../x/' } }, /key_prefix/],
      ['PUT', `/projects/${p}/bindings`, { edas: { target_id: local, key_prefix: 'pkgs//x/' } }, /key_prefix/],
      ['PUT', `/projects/${p}/bindings`, { workspace: { target_id: local, directory: 'no-trailing-slash' } }, /directory/],
      ['POST', `/projects/${p}/devices`, { device_id: 'has space' }, /device_id/],
      ['POST', `/projects/${p}/devices`, { secret: 'short' }, /secret/],
      ['POST', `/projects/${p}/gateways`, { target_id: local }, /sn/],
      ['POST', `/projects/${p}/gateways`, { sn: 'D1', target_id: local, password: 'short' }, /password/],
      ['POST', `/projects/${p}/gateways`, { sn: 'D1', target_id: local, object_key_prefix: '../' }, /object_key_prefix/],
      ['PATCH', `/projects/${p}/gateways/D1`, {}, /body/]
    ]
    for (const [method, url, body, field] of cases) {
      const res = await app.admin(method, url, body)
      t.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)} → 400`)
      t.same(Object.keys(res.body ?? {}).sort(), ['error', 'message'])
      t.match(res.body?.message, field, `the message names the field: ${res.body?.message}`)
    }
  })

  t.test('provider_not_bindable: a gateway or EDAS binding on a huawei target, Workspace on aliyun', async (t) => {
    assertAdminError(t, await app.admin('POST', `/projects/${p}/gateways`, { sn: 'DOCKHW', target_id: obs }), 400, 'provider_not_bindable', /huawei/)
    assertAdminError(t, await app.admin('PUT', `/projects/${p}/bindings`, { edas: { target_id: obs } }), 400, 'provider_not_bindable', /huawei/)
    const oss = await target(app, p, ALIYUN_TARGET)
    assertAdminError(t, await app.admin('PUT', `/projects/${p}/bindings`, { workspace: { target_id: oss } }), 400, 'provider_not_bindable', /aliyun/)
    t.equal((await app.admin('PUT', `/projects/${p}/bindings`, { workspace: { target_id: obs } })).status, 200, 'workspace on huawei is fine')
  })

  t.test('404 for unknown ids on every endpoint', async (t) => {
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', `/projects/${NO_PROJECT}`, undefined, 'project_not_found'],
      ['PATCH', `/projects/${NO_PROJECT}`, { name: 'x' }, 'project_not_found'],
      ['DELETE', `/projects/${NO_PROJECT}`, undefined, 'project_not_found'],
      ['POST', `/projects/${NO_PROJECT}/access-keys`, undefined, 'project_not_found'],
      ['GET', `/projects/${NO_PROJECT}/access-keys`, undefined, 'project_not_found'],
      ['DELETE', `/projects/${p}/access-keys/SGNOSUCHKEY`, undefined, 'access_key_not_found'],
      ['POST', `/projects/${NO_PROJECT}/tokens`, undefined, 'project_not_found'],
      ['GET', `/projects/${NO_PROJECT}/tokens`, undefined, 'project_not_found'],
      ['DELETE', `/projects/${p}/tokens/${NO_TARGET}`, undefined, 'token_not_found'],
      ['POST', `/projects/${NO_PROJECT}/targets`, LOCAL_TARGET, 'project_not_found'],
      ['GET', `/projects/${NO_PROJECT}/targets`, undefined, 'project_not_found'],
      ['DELETE', `/projects/${p}/targets/${NO_TARGET}`, undefined, 'target_not_found'],
      ['GET', `/projects/${NO_PROJECT}/bindings`, undefined, 'project_not_found'],
      ['PUT', `/projects/${NO_PROJECT}/bindings`, { edas: { target_id: local } }, 'project_not_found'],
      ['PUT', `/projects/${p}/bindings`, { edas: { target_id: NO_TARGET } }, 'target_not_found'],
      ['POST', `/projects/${NO_PROJECT}/devices`, undefined, 'project_not_found'],
      ['GET', `/projects/${NO_PROJECT}/devices`, undefined, 'project_not_found'],
      ['GET', `/projects/${p}/devices/nope`, undefined, 'device_not_found'],
      ['DELETE', `/projects/${p}/devices/nope`, undefined, 'device_not_found'],
      ['POST', `/projects/${NO_PROJECT}/gateways`, { sn: 'X1', target_id: local }, 'project_not_found'],
      ['POST', `/projects/${p}/gateways`, { sn: 'X1', target_id: NO_TARGET }, 'target_not_found'],
      ['GET', `/projects/${NO_PROJECT}/gateways`, undefined, 'project_not_found'],
      ['GET', `/projects/${p}/gateways/NOPE`, undefined, 'gateway_not_found'],
      ['PATCH', `/projects/${p}/gateways/NOPE`, { disabled: true }, 'gateway_not_found'],
      ['DELETE', `/projects/${p}/gateways/NOPE`, undefined, 'gateway_not_found'],
      ['GET', '/no-such-thing', undefined, 'route_not_found']
    ]
    for (const [method, url, body, code] of cases) {
      const res = await app.admin(method, url, body)
      t.equal(res.status, 404, `${method} ${url} → 404`)
      t.same(res.body, { error: code, message: res.body?.message })
    }
  })

  t.test('a target of another project cannot be bound', async (t) => {
    const other = await project(app, 'other')
    assertAdminError(t, await app.admin('PUT', `/projects/${other}/bindings`, { edas: { target_id: local } }), 404, 'target_not_found')
  })
})
