import t from 'tap'
import { migrate } from '../../src/store/migrations.js'
import { openTestStore, STORE_KINDS } from '../helpers/store.js'

const ADMIN = 'admin'

for (const kind of STORE_KINDS) {
  t.test(`${kind}: names clashing before the namespace existed go to the first registration, and the later holder loses them`, async (t) => {
    const store = await openTestStore(t, kind)
    const a = (await store.projects.create({ name: 'a' }, ADMIN)).projectId
    const b = (await store.projects.create({ name: 'b' }, ADMIN)).projectId
    const ta = await store.targets.create(a, { name: 'l', provider: 'local', bucket: 'bkt', region: 'local', endpoint: 'http://127.0.0.1:9000', durationSeconds: 3600 } as never, ADMIN)
    const tb = await store.targets.create(b, { name: 'l', provider: 'local', bucket: 'bkt', region: 'local', endpoint: 'http://127.0.0.1:9000', durationSeconds: 3600 } as never, ADMIN)
    await store.gateways.create(a, { sn: 'DOCKB', targetId: ta.id, objectKeyPrefix: 'a/', password: 'password-a-123' }, ADMIN)
    await store.devices.create(a, { deviceId: 'DEV1', secret: 'device-Secret-0001' }, ADMIN)

    // The old schema allowed these: project b's dock lists a's dock and a's device as its sub-devices.
    await store.db.query('delete from schema_migrations where id = 2')
    await store.db.query('drop table device_identities')
    const hash = (await store.db.query<{ password_hash: string }>("select password_hash from gateways where sn = 'DOCKB'"))[0]!.password_hash
    await store.db.query(
      `insert into gateways (sn, project_id, target_id, object_key_prefix, password_hash, sub_devices, created_at)
       values ('DOCKC', $1, $2, 'c/', $3, array['DOCKB', 'DEV1', 'AIRC'], now() + interval '1 minute')`, [b, tb.id, hash])

    t.ok((await migrate(store.db)).includes(2), 'the namespace migration ran over the clashing rows')
    const owners = await store.db.query<{ name: string, role: string, gateway_sn: string | null }>('select name, role, gateway_sn from device_identities order by name')
    t.same(owners, [
      { name: 'AIRC', role: 'sub_device', gateway_sn: 'DOCKC' },
      { name: 'DEV1', role: 'device', gateway_sn: null },
      { name: 'DOCKB', role: 'dock', gateway_sn: 'DOCKB' },
      { name: 'DOCKC', role: 'dock', gateway_sn: 'DOCKC' }
    ], 'the first registration keeps each name; the later dock keeps only names nobody held')
    t.same((await store.gateways.verifyLogin('DOCKC', 'password-a-123'))?.sns, ['DOCKC', 'AIRC'],
      "the later dock's login no longer covers project a's dock or device")
    t.same(await store.gateways.listOwnedSns(b), ['DOCKC'])
    t.equal((await store.gateways.resolveForVend('DOCKB'))?.gateway.projectId, a, "DOCKB's credentials are still project a's")
  })
}
