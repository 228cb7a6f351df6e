import t, { type Test } from 'tap'
import mqtt from 'mqtt'
import { Value } from '@sinclair/typebox/value'
import { StorageConfigGetReply } from '../../schemas/dji.js'
import { introspectLocalCredential } from '../../src/providers/local.js'
import { startMqtt, type MqttRuntime } from '../../src/mqtt/runtime.js'
import { startStorageConfigResponder, type StorageConfigResponder } from '../../src/mqtt/storage-config.js'
import { RESULT } from '../../src/mqtt/storage-config-result.js'
import { embeddedTransport } from '../../src/mqtt/transport.js'
import { startFakeAliyunSts } from '../fakes/aliyun-sts.js'
import { connect, inbox, messageLog, sleep } from './helpers.js'
import {
  aliyunTarget, buildWorld, captureLogger, LOCAL_TARGET, randomSn, request, UPSTREAM_KEY, VENDOR_EXAMPLE_REQUEST, vendCalls, waitFor, type World
} from './storage-config-world.js'

const MARGIN = 300

interface Harness {
  world: World
  mqtt: MqttRuntime
  responder: StorageConfigResponder
  logger: ReturnType<typeof captureLogger>
  url: string
  /**
   * Publish a request in-process, as the server could (bypassing the ACLs: for
   * docks that cannot log in), and return the reply on that sn's reply topic.
   */
  askInProcess (sn: string, payload: string): Promise<{ topic: string, payload: string }>
}

/** An app, the embedded broker on port 0 with the store's dock logins, and the responder on it. */
async function harness (t: Test): Promise<Harness> {
  const world = await buildWorld(t)
  const logger = captureLogger()
  const runtime = await startMqtt({ mode: 'embedded', host: '127.0.0.1', port: 0, requireTimestamp: false },
    { store: world.app.store, callers: world.app.app.callers, logger })
  t.teardown(() => runtime.close())
  const responder = await startStorageConfigResponder({
    transport: runtime.transport!, gateways: world.app.store.gateways, credentials: world.app.app.vending,
    config: { expireMarginSeconds: MARGIN }, logger
  })
  t.teardown(() => responder.stop())
  return {
    world, mqtt: runtime, responder, logger, url: `mqtt://127.0.0.1:${runtime.broker!.port}`,
    async askInProcess (sn, payload) {
      const observer = embeddedTransport(runtime.broker!.broker)
      const replies = messageLog()
      await observer.subscribe(`thing/product/${sn}/requests_reply`, replies.push)
      try {
        await observer.publish(`thing/product/${sn}/requests`, payload, 1)
        return await replies.next(3000)
      } finally {
        await observer.close()
      }
    }
  }
}

/** A dock logged in with its admin-API login, listening on its own reply topic. */
async function dock (t: Test, h: Harness, login: { sn: string, username: string, password: string }) {
  const client = await connect(t, h.url, { clientId: login.sn, username: login.username, password: login.password })
  const box = inbox(client)
  await client.subscribeAsync(`thing/product/${login.sn}/requests_reply`, { qos: 1 })
  const ask = async (payload: string): Promise<any> => {
    await client.publishAsync(`thing/product/${login.sn}/requests`, payload, { qos: 1 })
    return JSON.parse((await box.next(3000)).payload)
  }
  return { client, box, ask }
}

t.test('storage_config_get on the embedded broker', async (t) => {
  const h = await harness(t)
  const local = await h.world.target(LOCAL_TARGET)

  t.test('the vendor\'s example request gets the documented reply, field for field', async (t) => {
    const gw = await h.world.gateway(local)
    const d = await dock(t, h, gw)
    const before = Date.now()
    const reply = await d.ask(VENDOR_EXAMPLE_REQUEST)
    const after = Date.now()
    t.ok(Value.Check(StorageConfigGetReply, reply), 'the reply matches schemas/dji.ts')
    t.same(Object.keys(reply), ['method', 'tid', 'bid', 'timestamp', 'data'], 'top-level fields in the vendor\'s order')
    t.equal(reply.method, 'storage_config_get')
    t.equal(reply.tid, '123')
    t.equal(reply.bid, '456')
    t.type(reply.timestamp, 'number', 'timestamp is a number (vendor table: int)')
    t.ok(reply.timestamp >= before && reply.timestamp <= after, 'timestamp is now, in ms')
    t.same(Object.keys(reply.data), ['result', 'output'])
    t.equal(reply.data.result, 0)
    const { output } = reply.data
    t.same(Object.keys(output).sort(), ['bucket', 'credentials', 'endpoint', 'object_key_prefix', 'provider', 'region'], 'the vendor example\'s output fields, no more')
    t.same(Object.keys(output.credentials).sort(), ['access_key_id', 'access_key_secret', 'expire', 'security_token'])
    t.match(output, {
      bucket: 'media-bucket', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', object_key_prefix: `media/${gw.sn}/`,
      provider: 'ali', region: 'cn-hangzhou'
    })
    t.equal(gw.prefix, `media/${gw.sn}/`, 'the default prefix template')

    // The local issuer's token is self-describing: check expire against the credential's real expiry.
    const c = output.credentials
    const seen = introspectLocalCredential(h.world.app.keys, c.access_key_id, c.security_token, reply.timestamp)
    t.equal(seen.active, true)
    t.type(c.expire, 'number')
    t.ok(Number.isInteger(c.expire))
    t.equal(c.expire, Math.floor((seen.expiresAt!.getTime() - reply.timestamp) / 1000) - MARGIN, 'expire = whole seconds left − margin')
    t.ok(c.expire >= 300, 'never below the cache floor')
    const policy = JSON.parse(seen.policy!)
    t.match(JSON.stringify(policy), `media/${gw.sn}/*`, 'the credential is limited to the gateway\'s prefix')
    t.notMatch(JSON.stringify(policy), /Delete/i, 'writes and reads only: no delete')
  })

  t.test('a dock cannot subscribe to another dock\'s reply topic, nor hear its replies', async (t) => {
    const a = await h.world.gateway(local)
    const b = await h.world.gateway(local)
    const da = await dock(t, h, a)
    const db = await dock(t, h, b)
    await t.rejects(da.client.subscribeAsync(`thing/product/${b.sn}/requests_reply`, { qos: 1 }), 'failure SUBACK for another dock\'s sn')
    await t.rejects(da.client.subscribeAsync('thing/product/+/requests_reply', { qos: 1 }), 'and for a wildcard sn')
    t.equal((await db.ask(request('t-b'))).data.result, 0)
    await sleep(100)
    t.equal(da.box.messages.length, 0, 'dock A heard nothing of B\'s reply')
  })

  t.test('a redelivered (sn, tid) gets the same reply without a second vend; the key is never tid alone', async (t) => {
    const a = await h.world.gateway(local)
    const b = await h.world.gateway(local)
    const da = await dock(t, h, a)
    const db = await dock(t, h, b)
    const repeatsBefore = h.responder.counters.repeats
    const vendsBefore = vendCalls(h.world.app)
    const payload = request('same-tid')
    await da.client.publishAsync(`thing/product/${a.sn}/requests`, payload, { qos: 1 })
    await da.client.publishAsync(`thing/product/${a.sn}/requests`, payload, { qos: 1 })
    const first = await da.box.next(3000)
    const second = await da.box.next(3000)
    t.equal(second.payload, first.payload, 'byte-identical replies')
    t.equal(vendCalls(h.world.app) - vendsBefore, 1, 'one vend for the two deliveries')
    t.equal(h.responder.counters.repeats - repeatsBefore, 1)

    const other = await db.ask(payload)
    t.equal(other.data.result, 0, 'another dock using the same tid is answered for itself')
    t.match(other.data.output.object_key_prefix, `media/${b.sn}/`)
    t.equal(vendCalls(h.world.app) - vendsBefore, 2, 'and vends for itself')
    await da.ask(request('another-tid'))
    t.equal(vendCalls(h.world.app) - vendsBefore, 3, 'a new tid from the same dock vends again (from the cache)')
  })

  t.test('unknown module: result 210002, no output', async (t) => {
    const gw = await h.world.gateway(local)
    const d = await dock(t, h, gw)
    const reply = await d.ask(request('mod', { data: { module: 1 } }))
    t.same(reply.data, { result: RESULT.unknownModule })
    t.match(reply, { method: 'storage_config_get', tid: 'mod', bid: 'bid-mod' })
    t.ok(Value.Check(StorageConfigGetReply, reply))
  })

  t.test('unknown gateway: result 210001 (sent in-process: no dock can log in as one)', async (t) => {
    const sn = randomSn('GHOST')
    const reply = await h.askInProcess(sn, request('ghost'))
    t.equal(reply.topic, `thing/product/${sn}/requests_reply`)
    t.same(JSON.parse(reply.payload).data, { result: RESULT.unknownGateway })
  })

  t.test('disabled gateway: its login is refused and a request in its name gets 230101', async (t) => {
    const gw = await h.world.gateway(local)
    const d = await dock(t, h, gw)
    t.equal((await d.ask(request('before'))).data.result, 0)
    const patched = await h.world.app.admin('PATCH', `/projects/${h.world.projectId}/gateways/${gw.sn}`, { disabled: true })
    t.equal(patched.status, 200)
    t.ok(await waitFor(() => !d.client.connected), 'the live session is closed')
    await t.rejects(mqtt.connectAsync(h.url, { clientId: gw.sn, username: gw.username, password: gw.password, reconnectPeriod: 0, protocolVersion: 4 }),
      { code: 4 }, 'the login is refused')
    const reply = await h.askInProcess(gw.sn, request('after'))
    t.same(JSON.parse(reply.payload), { method: 'storage_config_get', tid: 'after', bid: 'bid-after', timestamp: JSON.parse(reply.payload).timestamp, data: { result: RESULT.gatewayDisabled } })
  })

  t.test('upstream STS down with nothing cached: 230102; throttled: 230103', async (t) => {
    const sts = await startFakeAliyunSts(UPSTREAM_KEY)
    t.teardown(() => sts.close())
    const failing = await h.world.gateway(await h.world.target(aliyunTarget('failing', sts.url)))
    const throttledGw = await h.world.gateway(await h.world.target(aliyunTarget('throttled', sts.url)))
    sts.setMode('fail')
    const d1 = await dock(t, h, failing)
    t.same((await d1.ask(request('down'))).data, { result: RESULT.upstreamUnavailable })
    t.ok(h.logger.lines.some((l) => l.level === 'warn' && l.obj.code === 'upstream_unavailable'), 'logged with the domain code')
    sts.setMode('throttle')
    const d2 = await dock(t, h, throttledGw)
    t.same((await d2.ask(request('slow'))).data, { result: RESULT.throttled })
    t.ok(sts.calls.length >= 2, 'the upstream was really asked')
  })

  t.test('an aliyun target through the fake STS: provider ali, expire = credential lifetime − margin', async (t) => {
    const sts = await startFakeAliyunSts(UPSTREAM_KEY)
    t.teardown(() => sts.close())
    sts.credentialSeconds = 3600
    const gw = await h.world.gateway(await h.world.target(aliyunTarget('good', sts.url)))
    const d = await dock(t, h, gw)
    const reply = await d.ask(request('oss'))
    t.match(reply.data.output, { bucket: 'oss-good', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', provider: 'ali', credentials: { access_key_id: /^STS\./, security_token: /^CAIS/ } })
    // The fake's Expiration has whole seconds: at most ~1 s (and the round trip) is lost before the reply.
    const expire = reply.data.output.credentials.expire
    t.ok(expire <= 3600 - MARGIN && expire >= 3600 - MARGIN - 2, `expire ${expire} ≈ 3600 − ${MARGIN}`)
    t.same((sts.calls[0]?.policy as any)?.Statement?.[0]?.Resource, [`acs:oss:*:*:oss-good/media/${gw.sn}/*`], 'the session policy is the gateway\'s prefix')
  })

  t.test('malformed payloads get no reply, a warning and a count; a good request is still answered', async (t) => {
    const gw = await h.world.gateway(local)
    const d = await dock(t, h, gw)
    const before = { ...h.responder.counters.malformed }
    const warnsBefore = h.logger.lines.filter((l) => l.level === 'warn').length
    const otherBefore = h.responder.counters.otherMethods
    const good = JSON.parse(request('x'))
    const bad: Array<[string, string]> = [
      ['not_json', 'this is not json {'],
      ['not_json', ''],
      ['no_method', '[]'],
      ['no_method', '"storage_config_get"'],
      ['no_method', JSON.stringify({ ...good, method: 7 })],
      ['invalid_request', JSON.stringify({ ...good, tid: undefined })],
      ['invalid_request', JSON.stringify({ ...good, bid: undefined })],
      ['invalid_request', JSON.stringify({ ...good, tid: 123 })],
      ['invalid_request', JSON.stringify({ ...good, bid: '' })],
      ['invalid_request', JSON.stringify({ ...good, timestamp: '12345' })],
      ['invalid_request', JSON.stringify({ ...good, timestamp: 1.5 })],
      ['invalid_request', JSON.stringify({ ...good, timestamp: undefined })],
      ['invalid_request', JSON.stringify({ ...good, data: { module: '0' } })],
      ['invalid_request', JSON.stringify({ ...good, data: undefined })],
      ['invalid_request', JSON.stringify({ ...good, data: null })],
      ['too_large', JSON.stringify({ ...good, padding: 'A'.repeat(64 * 1024) })]
    ]
    for (const [, payload] of bad) await d.client.publishAsync(`thing/product/${gw.sn}/requests`, payload, { qos: 1 })
    // Another server's method: left alone silently.
    await d.client.publishAsync(`thing/product/${gw.sn}/requests`, JSON.stringify({ ...good, method: 'flighttask_resource_get' }), { qos: 1 })
    const reply = await d.ask(request('after-garbage'))
    t.equal(reply.tid, 'after-garbage', 'the first reply is the good request\'s')
    t.equal(reply.data.result, 0)
    await sleep(100)
    t.equal(d.box.messages.length, 1, 'nothing else was answered')
    const expected: Record<string, number> = {}
    for (const [reason] of bad) expected[reason] = (expected[reason] ?? 0) + 1
    for (const [reason, n] of Object.entries(expected)) {
      t.equal(h.responder.counters.malformed[reason as keyof typeof before] - before[reason as keyof typeof before], n, `${n} × ${reason}`)
    }
    t.equal(h.responder.counters.otherMethods - otherBefore, 1, 'the other method is counted, not warned about')
    const warns = h.logger.lines.filter((l) => l.level === 'warn').slice(warnsBefore)
    t.ok(warns.length >= 1 && warns.length <= new Set(bad.map(([reason]) => reason)).size, `${warns.length} warnings for ${bad.length} dropped messages: at most one per reason (sampled)`)
    t.ok(warns.every((w) => String(w.obj.excerpt).length <= 49), 'only a short excerpt is logged')
    t.notOk(JSON.stringify(warns).includes('A'.repeat(100)), 'never the payload')
  })

  t.test('a gateway cannot be bound to a huawei (OBS) target: DJI docks know only ali and aws', async (t) => {
    const obs = await h.world.target({
      name: 'obs', provider: 'huawei', bucket: 'obs-bucket', region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com',
      upstream: { agency_name: 'vend', domain_name: 'acme', access_key_id: 'HWupstreamKey', secret_access_key: 'huawei-UPSTREAM-secret' }
    })
    const res = await h.world.app.admin('POST', `/projects/${h.world.projectId}/gateways`, { sn: randomSn(), target_id: obs })
    t.equal(res.status, 400)
    t.equal(res.body.error, 'provider_not_bindable')
  })
})
