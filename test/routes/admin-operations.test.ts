import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { STORE_KINDS } from '../helpers/store.js'
import { createEdasProject, listen, popCore } from './edas-fixtures.js'

/**
 * The weekly operator jobs in the admin API: which key was used when,
 * rotating, re-enabling and deleting keys, finding a project by name,
 * unbinding a contract, and reading the change and vend logs back.
 */

const NO_PROJECT = '0'.repeat(32)

/** pop-core's failure for a refused request: the POP error code. */
async function popCoreCode (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return String((err as { code?: unknown }).code)
  }
  return 'succeeded'
}

async function auditActions (h: TestApp, query: string): Promise<string[]> {
  const res = await h.admin('GET', `/audit?${query}`)
  if (res.status !== 200) throw new Error(`audit: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.events.map((e: { action: string }) => e.action)
}

for (const kind of STORE_KINDS) {
  t.test(`${kind}: operator jobs`, async (t) => {
    const h = await buildTestApp(t, { kind })
    const endpoint = await listen(t, h.app)

    t.test('last_used_at: null until a key or token authenticates, then set by the batched flush', async (t) => {
      const project = await createEdasProject(h)
      const keys = async () => (await h.admin('GET', `/projects/${project.projectId}/access-keys`)).body.access_keys
      t.equal((await keys())[0].last_used_at, null, 'never used')
      const before = Date.now()
      await popCore(endpoint, project)
      t.equal((await keys())[0].last_used_at, null, 'not written per request')
      await h.app.lastUsed.flush()
      const used = Date.parse((await keys())[0].last_used_at)
      t.ok(used >= before - 1000 && used <= Date.now(), 'the flush wrote the time of use')

      const token = await h.admin('POST', `/projects/${project.projectId}/tokens`)
      const tokens = async () => (await h.admin('GET', `/projects/${project.projectId}/tokens`)).body.tokens
      t.equal((await tokens())[0].last_used_at, null)
      // Any Huawei-style route authenticates the token first; the project has no Workspace binding, which is fine here.
      await h.app.inject({
        method: 'POST',
        url: `/v1/${project.projectId}/app-warehouse/action/authorize`,
        headers: { 'x-auth-token': token.body.token, 'content-type': 'application/json' },
        payload: JSON.stringify({ app_file_name: 'a.exe' })
      })
      await h.app.lastUsed.flush()
      t.type((await tokens())[0].last_used_at, 'string', 'the token\'s use is recorded too')

      const garbage = await h.app.inject({ method: 'POST', url: `/v1/${project.projectId}/app-warehouse/action/authorize`, headers: { 'x-auth-token': 'stsg.not-a-token' } })
      t.equal(garbage.statusCode, 401)
      t.equal(h.app.lastUsed.pending, 0, 'a refused credential is not a use')
    })

    t.test('rotate: the new key works at once, the old one is refused; enable undoes it; delete is for good', async (t) => {
      const project = await createEdasProject(h)
      const path = `/projects/${project.projectId}/access-keys`
      const rotated = await h.admin('POST', `${path}/${project.accessKeyId}/rotate`)
      t.equal(rotated.status, 201)
      t.match(rotated.body, { access_key_id: /^SG[A-Z0-9]{18}$/, secret_access_key: /^[A-Za-z0-9]{40}$/, replaced_access_key_id: project.accessKeyId })
      const fresh = { accessKeyId: rotated.body.access_key_id, secret: rotated.body.secret_access_key }
      t.match(await popCore(endpoint, fresh), { Code: 200 }, 'the new key vends')
      t.equal(await popCoreCode(popCore(endpoint, project)), 'InvalidAccessKeyId.Inactive', 'the old key is refused')
      const list = (await h.admin('GET', path)).body.access_keys
      t.same(list.map((k: any) => [k.access_key_id, k.disabled]), [[project.accessKeyId, true], [fresh.accessKeyId, false]])
      t.notOk(JSON.stringify(list).includes(fresh.secret), 'the list never shows the new secret')

      const enabled = await h.admin('PATCH', `${path}/${project.accessKeyId}`, { disabled: false })
      t.match(enabled, { status: 200, body: { access_key_id: project.accessKeyId, disabled: false } })
      t.match(await popCore(endpoint, project), { Code: 200 }, 'enable works at once (the auth cache was told)')

      t.equal((await h.admin('DELETE', `${path}/${project.accessKeyId}`)).status, 204)
      t.equal(await popCoreCode(popCore(endpoint, project)), 'InvalidAccessKeyId.NotFound', 'a deleted key is unknown')
      t.same((await h.admin('GET', path)).body.access_keys.map((k: any) => k.access_key_id), [fresh.accessKeyId])
      t.same(await auditActions(h, `project_id=${project.projectId}&principal=admin`), [
        'access_key.delete', 'access_key.enable', 'access_key.rotate', 'bindings.put', 'target.create', 'access_key.create', 'project.create'
      ], 'every step is in the change log, newest first')
    })

    t.test('a failed key operation changes nothing', async (t) => {
      const project = await createEdasProject(h)
      const path = `/projects/${project.projectId}/access-keys`
      const before = (await h.admin('GET', path)).body
      for (const [method, url, body] of [
        ['POST', `${path}/SGNOSUCHKEY/rotate`, undefined],
        ['PATCH', `${path}/SGNOSUCHKEY`, { disabled: false }],
        ['DELETE', `${path}/SGNOSUCHKEY`, undefined],
        ['POST', `/projects/${NO_PROJECT}/access-keys/${project.accessKeyId}/rotate`, undefined]
      ] as const) {
        const res = await h.admin(method, url, body)
        t.same(res, { status: 404, body: { error: 'access_key_not_found', message: res.body.message } }, `${method} ${url}`)
      }
      const bad = await h.admin('PATCH', `${path}/${project.accessKeyId}`, { disabled: 'no' })
      t.match(bad, { status: 400, body: { error: 'validation', message: /disabled/ } })
      t.same((await h.admin('GET', path)).body, before)
    })

    t.test('device secret reset from the admin API: generated and shown once, the old one refused, audited without the secret', async (t) => {
      const p = (await h.admin('POST', '/projects', { name: `devices-${kind}` })).body.project_id
      const device = await h.admin('POST', `/projects/${p}/devices`, { device_id: `reset-${kind}`, secret: 'old-Secret-123' })
      const reset = await h.admin('POST', `/projects/${p}/devices/${device.body.device_id}/reset-secret`, { force_disconnect: true })
      t.match(reset, { status: 200, body: { device_id: device.body.device_id, secret: /^[0-9a-f]{32}$/, secret_type: 'PRIMARY' } })
      const chosen = await h.admin('POST', `/projects/${p}/devices/${device.body.device_id}/reset-secret`, { secret: 'new-Secret-456', secret_type: 'SECONDARY' })
      t.match(chosen.body, { secret: 'new-Secret-456', secret_type: 'SECONDARY' })
      t.match(await h.admin('POST', `/projects/${p}/devices/${device.body.device_id}/reset-secret`, { secret: 'short' }), { status: 400, body: { error: 'validation', message: /secret/ } })
      t.match(await h.admin('POST', `/projects/${p}/devices/nope/reset-secret`), { status: 404, body: { error: 'device_not_found' } })
      const audit = JSON.stringify((await h.admin('GET', `/audit?project_id=${p}`)).body)
      t.notOk(audit.includes(reset.body.secret) || audit.includes('new-Secret-456'), 'the audit log never holds the secret')
    })

    t.test('series: the open interval counts vends at once', async (t) => {
      const project = await createEdasProject(h)
      // Summed over every point, so a sample that closes the interval meanwhile changes nothing.
      const total = (points: Array<{ vends: number }>): number => points.reduce((sum, p) => sum + p.vends, 0)
      const before = total((await h.admin('GET', '/series')).body.points)
      await popCore(endpoint, project)
      const res = await h.admin('GET', '/series')
      t.equal(res.status, 200)
      t.match(res.body.points.at(-1), { partial: true, upstream: { local: { calls: Number, failures: 0 } } })
      t.equal(total(res.body.points), before + 1, 'the vend is counted at once, before the next sample')
    })

    t.test('projects are found by name', async (t) => {
      const name = `find-me-${kind}`
      const a = await h.admin('POST', '/projects', { name })
      const found = await h.admin('GET', `/projects?name=${encodeURIComponent(name)}`)
      t.same(found.body.projects.map((p: any) => p.project_id), [a.body.project_id])
      const b = await h.admin('POST', '/projects', { name })
      t.equal((await h.admin('GET', `/projects?name=${name}`)).body.projects.length, 2, 'names need not be unique: both are listed')
      t.same((await h.admin('GET', '/projects?name=nobody-has-this')).body.projects, [])
      t.match(await h.admin('GET', '/projects?colour=red'), { status: 400, body: { error: 'validation' } })
      t.ok(b.body.project_id)
    })

    t.test('bindings unset: the contract stops serving the project; unsetting twice is 404', async (t) => {
      const project = await createEdasProject(h)
      const path = `/projects/${project.projectId}/bindings`
      await h.admin('PUT', path, { workspace: { target_id: project.targetId } })
      const left = await h.admin('DELETE', `${path}/edas`)
      t.same(left, { status: 200, body: { workspace: { target_id: project.targetId, directory: `file/${project.projectId}/` } } })
      t.equal(await popCoreCode(popCore(endpoint, project)), 'PackageStorage.NotConfigured', 'EDAS is no longer configured')
      const again = await h.admin('DELETE', `${path}/edas`)
      t.same(again, { status: 404, body: { error: 'binding_not_found', message: again.body.message } })
      t.match(await h.admin('DELETE', `${path}/ftp`), { status: 400, body: { error: 'validation', message: /kind/ } })
      t.same((await h.admin('GET', path)).body, left.body, 'the refused requests changed nothing')
      t.same(await auditActions(h, `project_id=${project.projectId}&action=bindings.delete`), ['bindings.delete'])
    })

    t.test('the change log: newest first, filtered, paged with a cursor that never repeats or skips', async (t) => {
      const project = await createEdasProject(h)
      for (let i = 0; i < 4; i++) await h.admin('POST', `/projects/${project.projectId}/tokens`)
      const all = (await h.admin('GET', `/audit?project_id=${project.projectId}`)).body.events
      t.equal(all.length, 8)
      t.same(all.map((e: any) => Number(e.seq)), all.map((e: any) => Number(e.seq)).sort((a: number, b: number) => b - a), 'newest first')
      t.match(all[0], { at: String, project_id: project.projectId, principal: 'admin', action: 'token.create', subject: /^[0-9a-f]{16}$/, detail: { ttl_seconds: 86400 } })

      const paged: unknown[] = []
      let cursor: string | null = null
      do {
        const res: { status: number, body: { events: unknown[], next_cursor: string | null } } = await h.admin('GET', `/audit?project_id=${project.projectId}&limit=3${cursor === null ? '' : `&cursor=${cursor}`}`)
        if (res.status !== 200) throw new Error(JSON.stringify(res.body))
        paged.push(...res.body.events)
        cursor = res.body.next_cursor
      } while (cursor !== null)
      t.same(paged, all, 'pages of 3 add up to the whole log, in order')

      t.equal((await auditActions(h, `project_id=${project.projectId}&action=token.create`)).length, 4)
      const created = Date.parse(all.at(-1).at)
      t.same(await auditActions(h, `project_id=${project.projectId}&until=${new Date(created).toISOString()}`), [], 'until is exclusive')
      t.same(await auditActions(h, `project_id=${project.projectId}&since=${new Date(Date.now() + 60_000).toISOString()}`), [])
      t.equal((await auditActions(h, `project_id=${project.projectId}&since=${new Date(created).toISOString()}`)).length, 8)

      for (const [query, field] of [['limit=0', /limit/], ['limit=501', /limit/], ['cursor=abc', /cursor/], ['since=yesterday', /since/],
        ['project_id=nope', /project_id/], ['action=DROP TABLE', /action/], ['secret=1', /additional|secret/]] as const) {
        const res = await h.admin('GET', `/audit?${query}`)
        t.match(res, { status: 400, body: { error: 'validation', message: field } }, query)
      }
    })

    t.test('the vend log: who got what, through which contract, filterable by principal', async (t) => {
      const project = await createEdasProject(h)
      const other = await createEdasProject(h)
      await popCore(endpoint, project)
      await popCore(endpoint, project)
      await popCore(endpoint, project)
      await popCore(endpoint, other)
      await h.app.vendAudit.flush()
      const res = await h.admin('GET', `/vends?project_id=${project.projectId}`)
      t.equal(res.status, 200)
      const vends = res.body.vends
      // The first was minted, the later ones came from the cache; identical vends in one flush window share an event.
      t.equal(vends.reduce((sum: number, v: any) => sum + v.count, 0), 3, 'every vend is counted')
      t.same(vends.map((v: any) => v.from_cache).at(-1), false, 'the oldest was minted')
      t.match(vends.at(-1), {
        instance: String,
        project_id: project.projectId,
        principal: `ak:${project.accessKeyId}`,
        contract: 'edas',
        target_id: project.targetId,
        prefix: `release-pkg/${project.projectId}/`,
        actions: Array,
        duration_seconds: 3600,
        expires_at: String,
        count: 1
      })
      t.same((await h.admin('GET', `/vends?principal=ak:${other.accessKeyId}`)).body.vends.map((v: any) => v.project_id), [other.projectId])
      t.same((await h.admin('GET', `/vends?project_id=${project.projectId}&contract=workspace`)).body.vends, [])
      t.match(await h.admin('GET', '/vends?contract=ftp'), { status: 400, body: { error: 'validation', message: /contract/ } })

      const verify = await h.admin('GET', '/audit/verify')
      t.equal(verify.status, 200)
      t.same(verify.body.chains.map((c: any) => c.chain), ['admin', h.app.vendAudit.chain])
      t.ok(verify.body.chains.every((c: any) => c.ok), 'every chain verifies')
    })
  })
}
