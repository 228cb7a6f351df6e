import t from 'tap'
import { STORE_KINDS } from '../helpers/store.js'
import { inbox } from './helpers.js'
import { request } from './storage-config-world.js'
import { client, tenancyWorld } from './tenancy-world.js'

/**
 * A dock deleted from project A and registered in project B must stop
 * reaching A's sessions at once (docs/operations.md "Tenant isolation"): A's
 * service session, subscribed both to the dock's exact reply topic and with a
 * `+` filter, must not receive the credentials the responder sends B's dock.
 */
for (const kind of STORE_KINDS) {
  t.test(`${kind}: a dock moved to another project no longer reaches the old project's service session`, async (t) => {
    const w = await tenancyWorld(t, kind)
    const a = await w.project('a')
    const b = await w.project('b')
    const moving = await w.dock(a.projectId, a.targetId)
    const stays = await w.dock(a.projectId, a.targetId)
    const { token } = await w.call('POST', `/projects/${a.projectId}/tokens`, { ttl_seconds: 3600 })
    const svcA = await client(t, w.url, { clientId: `service:${a.projectId}`, username: `service:${a.projectId}`, password: token })
    const seenByA = inbox(svcA)
    await svcA.subscribeAsync([`thing/product/${moving.sn}/requests_reply`, 'thing/product/+/requests_reply'], { qos: 1 })

    // While the dock is A's, A's server sees its replies (the test would prove nothing otherwise).
    const asA = await client(t, w.url, { clientId: moving.sn, username: moving.sn, password: moving.password })
    await asA.publishAsync(`thing/product/${moving.sn}/requests`, request('before-move'), { qos: 1 })
    const before = await seenByA.next(5000)
    t.equal(before.topic, `thing/product/${moving.sn}/requests_reply`)
    t.match(JSON.parse(before.payload), { tid: 'before-move', data: { result: 0, output: { object_key_prefix: `media/${a.projectId}/${moving.sn}/` } } })

    await w.call('DELETE', `/projects/${a.projectId}/gateways/${moving.sn}`)
    const moved = await w.dock(b.projectId, b.targetId, moving.sn)
    const asB = await client(t, w.url, { clientId: moved.sn, username: moved.sn, password: moved.password })
    const seenByB = inbox(asB)
    await asB.subscribeAsync(`thing/product/${moved.sn}/requests_reply`, { qos: 1 })
    await asB.publishAsync(`thing/product/${moved.sn}/requests`, request('after-move'), { qos: 1 })
    const reply = JSON.parse((await seenByB.next(5000)).payload)
    t.match(reply, { tid: 'after-move', data: { result: 0, output: { object_key_prefix: `media/${b.projectId}/${moved.sn}/` } } },
      "B's dock gets B's credentials at once, not a cached answer for A's dock")

    // A marker on a dock A still owns, sent after B's reply: once A has it, B's reply would have arrived before it.
    await w.runtime.transport!.publish(`thing/product/${stays.sn}/requests_reply`, 'marker', 1)
    t.same(await seenByA.next(5000), { topic: `thing/product/${stays.sn}/requests_reply`, payload: 'marker' })
    t.same(seenByA.messages.map((m) => m.payload).filter((p) => p.includes('after-move')), [], "A's session never saw B's credentials")
    t.ok(svcA.connected, "A's session itself stays up")
  })
}
