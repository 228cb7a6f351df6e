import t, { type Test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken } from '../../src/keys.js'
import { Store, type StoreChange } from '../../src/store/store.js'
import { rowAad } from '../../src/store/context.js'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openTestStore, STORE_KINDS, TEST_DATABASE_URL, testMasterKey, testSchema } from '../helpers/store.js'

const ADMIN = 'admin'

async function tmpDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-store-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Resolves with the first change matching `kind`, or rejects after a few seconds. */
function nextChange (store: Store, kind: StoreChange['kind'], id: string): Promise<StoreChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no ${kind} change for ${id} within 5 s`)) }, 5000)
    const off = store.onChange((change) => {
      if (change.kind === kind && change.id === id) { clearTimeout(timer); off(); resolve(change) }
    })
  })
}

t.test('PGlite: migrations apply once, a reopen finds nothing to do, and a wrong master key fails start-up', async (t) => {
  const dir = await tmpDir(t)
  const keys = testMasterKey()
  const first = await Store.open({ keys, dataDir: dir })
  await first.projects.create({ name: 'kept' }, ADMIN)
  await first.close()
  const second = await Store.open({ keys, dataDir: dir })
  const migrations = await second.db.query<{ id: number }>('select id from schema_migrations')
  t.same(migrations.map((m) => Number(m.id)), MIGRATIONS.map((m) => m.id), 'each migration recorded once')
  t.same((await second.projects.list()).map((p) => p.name), ['kept'], 'data survives the reopen')
  await second.close()
  await t.rejects(Store.open({ keys: testMasterKey(), dataDir: dir }), /STSGATE_MASTER_KEY does not match the key this store was created with/,
    'the key-check row refuses another key')
})

if (TEST_DATABASE_URL !== undefined) {
  const url = TEST_DATABASE_URL
  t.test('PostgreSQL: opening twice on the same schema is idempotent', async (t) => {
    const { schema } = await testSchema(t)
    const keys = testMasterKey()
    const first = await Store.open({ keys, databaseUrl: url, schema })
    await first.projects.create({ name: 'kept' }, ADMIN)
    await first.close()
    const second = await Store.open({ keys, databaseUrl: url, schema })
    t.teardown(() => second.close())
    const migrations = await second.db.query<{ id: number }>('select id from schema_migrations')
    t.same(migrations.map((m) => Number(m.id)), MIGRATIONS.map((m) => m.id))
    t.same((await second.projects.list()).map((p) => p.name), ['kept'])
  })

  t.test('PostgreSQL: two instances migrating one new schema at once both start', async (t) => {
    const { schema } = await testSchema(t)
    const keys = testMasterKey()
    const stores = await Promise.all([0, 1, 2].map(() => Store.open({ keys, databaseUrl: url, schema })))
    t.teardown(() => Promise.all(stores.map((s) => s.close())))
    const migrations = await stores[0]!.db.query<{ id: number }>('select id from schema_migrations')
    t.same(migrations.map((m) => Number(m.id)), MIGRATIONS.map((m) => m.id), 'applied exactly once')
    const checks = await stores[0]!.db.query("select 1 from meta where key = 'key_check'")
    t.equal(checks.length, 1, 'one key-check row')
  })

  t.test('PostgreSQL: a wrong master key on a reused schema fails start-up with the key-check message', async (t) => {
    const { schema } = await testSchema(t)
    const store = await Store.open({ keys: testMasterKey(), databaseUrl: url, schema })
    await store.close()
    await t.rejects(Store.open({ keys: testMasterKey(), databaseUrl: url, schema }), /STSGATE_MASTER_KEY does not match/)
  })

  t.test('PostgreSQL: a change on one instance reaches another instance on the same schema', async (t) => {
    const { schema } = await testSchema(t)
    const keys = testMasterKey()
    const a = await Store.open({ keys, databaseUrl: url, schema })
    const b = await Store.open({ keys, databaseUrl: url, schema })
    t.teardown(async () => { await a.close(); await b.close() })
    const project = await a.projects.create({ name: 'p' }, ADMIN)
    const token = await a.tokens.create(project.projectId, 600, ADMIN)
    const heard = nextChange(b, 'token', token.tokenId)
    await a.tokens.revoke(project.projectId, token.tokenId, ADMIN)
    t.same(await heard, { kind: 'token', id: token.tokenId, projectId: project.projectId, disconnect: true }, 'a revoked token also ends its MQTT sessions')
  })
}

for (const kind of STORE_KINDS) {
  t.test(`${kind}: secrets are sealed at rest and bound to their row`, async (t) => {
    const keys = testMasterKey()
    const store = await openTestStore(t, kind, keys)
    const project = await store.projects.create({ name: 'sealed' }, ADMIN)
    const p = project.projectId
    const ak1 = await store.accessKeys.create(p, ADMIN)
    const ak2 = await store.accessKeys.create(p, ADMIN)
    await store.devices.create(p, { deviceId: 'dev-1', secret: 'primary-Secret-0001', secondarySecret: 'second-Secret-0002' }, ADMIN)
    const target = await store.targets.create(p, {
      name: 'oss', provider: 'aliyun', bucket: 'bkt', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com', durationSeconds: 3600,
      upstream: { role_arn: 'acs:ram::1:role/r', access_key_id: 'LTAIupstream', access_key_secret: 'upstream-Secret-XYZ' }
    } as never, ADMIN)

    const raw = JSON.stringify([
      await store.db.query('select * from access_keys'),
      await store.db.query('select * from devices'),
      await store.db.query('select * from targets')
    ])
    for (const secret of [ak1.secretAccessKey, ak2.secretAccessKey, 'primary-Secret-0001', 'second-Secret-0002', 'upstream-Secret-XYZ', 'LTAIupstream']) {
      t.notOk(raw.includes(secret), 'a secret does not appear in the raw rows')
    }

    const [row1] = await store.db.query<{ secret_sealed: string }>('select secret_sealed from access_keys where id = $1', [ak1.accessKeyId])
    t.match(row1!.secret_sealed, new RegExp(`^v1\\.${keys.keyId}\\.`), 'sealed value carries the key id')
    t.equal(keys.open(row1!.secret_sealed, rowAad('access_keys', 'secret', ak1.accessKeyId)), ak1.secretAccessKey, 'opens under its own row')
    t.throws(() => keys.open(row1!.secret_sealed, rowAad('access_keys', 'secret', ak2.accessKeyId)), 'does not open under another row')
    const [dev] = await store.db.query<{ primary_sealed: string }>('select primary_sealed from devices where id = $1', ['dev-1'])
    t.throws(() => keys.open(dev!.primary_sealed, rowAad('devices', 'secondary_sealed', 'dev-1')), 'a device secret does not open as another column')
    const [tgt] = await store.db.query<{ upstream_sealed: string }>('select upstream_sealed from targets where id = $1', [target.id])
    t.throws(() => keys.open(tgt!.upstream_sealed, rowAad('targets', 'upstream', 'ffffffffffffffff')), 'upstream does not open under another target id')

    // And the repositories still read them back.
    t.equal((await store.accessKeys.findForAuth(ak1.accessKeyId))?.secret, ak1.secretAccessKey)
    t.equal((await store.devices.findForLogin('dev-1'))?.secondarySecret, 'second-Secret-0002')
    t.match((await store.targets.get(p, target.id)).upstream, { access_key_secret: 'upstream-Secret-XYZ' })
  })

  t.test(`${kind}: API tokens are stored only as hashes`, async (t) => {
    const store = await openTestStore(t, kind)
    const project = await store.projects.create({ name: 'tokens' }, ADMIN)
    const token = await store.tokens.create(project.projectId, 600, ADMIN)
    const rows = await store.db.query<{ token_hash: string }>('select * from api_tokens')
    t.notOk(JSON.stringify(rows).includes(token.token), 'the token is not in the row')
    t.notOk(JSON.stringify(rows).includes(token.token.slice(5)), 'nor its random part')
    t.equal(rows[0]?.token_hash, hashToken(token.token))
    t.equal((await store.tokens.findForAuth(token.token))?.tokenId, token.tokenId, 'lookup by the token still works')
  })

  t.test(`${kind}: the audit chain verifies and catches a changed, a deleted middle and a deleted last row`, async (t) => {
    const store = await openTestStore(t, kind)
    const project = await store.projects.create({ name: 'audited' }, ADMIN)
    const p = project.projectId
    await store.projects.update(p, { name: 'renamed' }, ADMIN)
    await store.accessKeys.create(p, ADMIN)
    const token = await store.tokens.create(p, 600, ADMIN)
    await store.tokens.revoke(p, token.tokenId, ADMIN)
    const verified = await store.verifyAudit()
    t.same(verified, { chain: 'admin', events: 5, ok: true })

    const rows = await store.db.query<{ seq: string }>(
      `select seq::text as seq, chain, at, project_id, actor, action, subject, detail, prev_hash, hash
       from audit_events order by audit_events.seq`)
    const snapshot = rows.map((r) => ({ ...r }))
    const restore = async (): Promise<void> => {
      await store.db.query('delete from audit_events')
      for (const r of snapshot) {
        await store.db.query(
          `insert into audit_events (seq, chain, at, project_id, actor, action, subject, detail, prev_hash, hash)
           select seq, chain, at, project_id, actor, action, subject, detail, prev_hash, hash
           from jsonb_populate_record(null::audit_events, $1::jsonb)`, [JSON.stringify(r)])
      }
      t.ok((await store.verifyAudit()).ok, 'restored chain verifies again')
    }

    await store.db.query("update audit_events set detail = '{\"name\":\"forged\"}' where seq = $1", [rows[1]!.seq])
    const changed = await store.verifyAudit()
    t.equal(changed.ok, false, 'a changed row is detected')
    t.match(changed.problem, new RegExp(`event ${rows[1]!.seq}: content does not match`))
    await restore()

    await store.db.query('delete from audit_events where seq = $1', [rows[2]!.seq])
    const middle = await store.verifyAudit()
    t.equal(middle.ok, false, 'a deleted middle row is detected')
    t.match(middle.problem, /does not follow the previous event/)
    await restore()

    await store.db.query('delete from audit_events where seq = $1', [rows[4]!.seq])
    const last = await store.verifyAudit()
    t.equal(last.ok, false, 'a deleted last row is detected')
    t.match(last.problem, /chain head does not match/)
  })

  t.test(`${kind}: a chain of more than ten events verifies (sequence order is numeric, not textual)`, async (t) => {
    const store = await openTestStore(t, kind)
    const p = (await store.projects.create({ name: 'long' }, ADMIN)).projectId
    for (let i = 0; i < 11; i++) await store.projects.update(p, { name: `name-${i}` }, ADMIN)
    t.same(await store.verifyAudit(), { chain: 'admin', events: 12, ok: true })
  })

  t.test(`${kind}: disable, revoke and reset send change notifications`, async (t) => {
    const store = await openTestStore(t, kind)
    const p = (await store.projects.create({ name: 'notify' }, ADMIN)).projectId
    const ak = await store.accessKeys.create(p, ADMIN)
    const token = await store.tokens.create(p, 600, ADMIN)
    await store.devices.create(p, { deviceId: 'dev-n', secret: 'primary-Secret-0001' }, ADMIN)

    const disabled = nextChange(store, 'access_key', ak.accessKeyId)
    await store.accessKeys.disable(p, ak.accessKeyId, ADMIN)
    t.same(await disabled, { kind: 'access_key', id: ak.accessKeyId, projectId: p }, 'access key disable')

    const revoked = nextChange(store, 'token', token.tokenId)
    await store.tokens.revoke(p, token.tokenId, ADMIN)
    t.same(await revoked, { kind: 'token', id: token.tokenId, projectId: p, disconnect: true }, 'token revoke')

    const reset = nextChange(store, 'device', 'dev-n')
    await store.devices.resetSecret(p, 'dev-n', 'SECONDARY', 'new-Secret-000003', { actor: ADMIN, generated: false, forceDisconnect: true })
    t.match(await reset, { kind: 'device', id: 'dev-n', projectId: p }, 'device secret reset')

    const projectDisabled = nextChange(store, 'project', p)
    await store.projects.update(p, { disabled: true }, ADMIN)
    t.same(await projectDisabled, { kind: 'project', id: p, projectId: p }, 'project disable')
  })

  t.test(`${kind}: the instance that made a change has heard it when the call returns, without waiting for its own NOTIFY`, async (t) => {
    const store = await openTestStore(t, kind)
    const p = (await store.projects.create({ name: 'at-once' }, ADMIN)).projectId
    const { accessKeyId } = await store.accessKeys.create(p, ADMIN)
    const heard: StoreChange[] = []
    store.onChange((c) => heard.push(c))
    await store.accessKeys.delete(p, accessKeyId, ADMIN)
    // On PostgreSQL the NOTIFY echo comes later, on the listening connection: the caches must not wait for it.
    t.same(heard[0], { kind: 'access_key', id: accessKeyId, projectId: p }, 'heard by the time delete resolved')
  })

  t.test(`${kind}: a failed change sends no notification and writes no audit event`, async (t) => {
    const store = await openTestStore(t, kind)
    const p = (await store.projects.create({ name: 'rollback' }, ADMIN)).projectId
    const heard: StoreChange[] = []
    store.onChange((c) => heard.push(c))
    await t.rejects(store.tokens.revoke(p, '0000000000000000', ADMIN), { code: 'token_not_found' })
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.same(heard, [])
    t.equal((await store.verifyAudit()).events, 1)
  })
}
