import t from 'tap'
import { STORE_KINDS } from '../helpers/store.js'
import { client, closedAfter, deviceOptions, tenancyWorld } from './tenancy-world.js'

/**
 * A session lives no longer than the credential that opened it
 * (docs/dji.md "Sessions end with their credentials"): real mqtt.js clients on
 * the embedded broker of one instance; the change lands on the other instance
 * (PostgreSQL) and reaches the broker through the store's notifications.
 * The figures are reported, not asserted: the tests wait for the close event.
 */
for (const kind of STORE_KINDS) {
  t.test(`${kind}: sessions end with their credentials`, async (t) => {
    const w = await tenancyWorld(t, kind)
    const { projectId, targetId } = await w.project('lifetime')
    const service = (token: string) => ({ clientId: `service:${projectId}`, username: `service:${projectId}`, password: token })
    let start = 0
    const since = () => start

    t.test('revoking a token ends the service session that logged in with it', async (t) => {
      const { token_id: tokenId, token } = await w.call('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 3600 })
      const other = await w.call('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 3600 })
      const svc = await client(t, w.url, service(token))
      const kept = await client(t, w.url, { ...service(other.token), clientId: `service:${projectId}:second` })
      await svc.subscribeAsync('thing/product/+/requests_reply', { qos: 1 })
      const closed = closedAfter(svc, since)
      start = performance.now()
      await w.call('DELETE', `/projects/${projectId}/tokens/${tokenId}`)
      const ms = await closed
      t.comment(`${kind}: token revoked → session closed in ${ms.toFixed(0)} ms`)
      t.ok(kept.connected, 'a session opened with another token stays up')
      await t.rejects(client(t, w.url, service(token)), { code: 4 }, 'and the revoked token cannot log in again')
    })

    t.test('a token reaching its expiry ends the session at that moment', async (t) => {
      // The admin API's shortest token lives a minute; the store's own call makes a 2-second one.
      const { token, expiresAt } = await w.admin.store.tokens.create(projectId, 2, 'test')
      const svc = await client(t, w.url, service(token))
      const ms = await closedAfter(svc, () => performance.now() - (Date.now() - expiresAt.getTime()), 10_000)
      t.comment(`${kind}: token expiry → session closed ${ms.toFixed(0)} ms after expires_at`)
      t.ok(ms > -50, 'not before the token expired')
    })

    t.test('deleting a device ends its session', async (t) => {
      const secret = 'device-Secret-0001'
      await w.call('POST', `/projects/${projectId}/devices`, { device_id: 'lifetime-dev', secret })
      const dev = await client(t, w.url, deviceOptions('lifetime-dev', secret))
      const closed = closedAfter(dev, since)
      start = performance.now()
      await w.call('DELETE', `/projects/${projectId}/devices/lifetime-dev`)
      t.comment(`${kind}: device deleted → session closed in ${(await closed).toFixed(0)} ms`)
    })

    t.test('disabling a dock ends its session; deleting one ends its session', async (t) => {
      const disabled = await w.dock(projectId, targetId)
      const deleted = await w.dock(projectId, targetId)
      const d1 = await client(t, w.url, { clientId: disabled.sn, username: disabled.sn, password: disabled.password })
      const d2 = await client(t, w.url, { clientId: deleted.sn, username: deleted.sn, password: deleted.password })
      let closed = closedAfter(d1, since)
      start = performance.now()
      await w.call('PATCH', `/projects/${projectId}/gateways/${disabled.sn}`, { disabled: true })
      t.comment(`${kind}: dock disabled → session closed in ${(await closed).toFixed(0)} ms`)
      t.ok(d2.connected, 'the other dock stays up')
      closed = closedAfter(d2, since)
      start = performance.now()
      await w.call('DELETE', `/projects/${projectId}/gateways/${deleted.sn}`)
      t.comment(`${kind}: dock deleted → session closed in ${(await closed).toFixed(0)} ms`)
    })
  })
}
