import t from 'tap'
import { randomBytes } from 'node:crypto'
import mqtt from 'mqtt'
import type { CredentialVendor } from '../../src/mqtt/storage-config.js'
import { startStorageConfigResponder } from '../../src/mqtt/storage-config.js'
import { externalTransport } from '../../src/mqtt/transport.js'
import {
  buildWorld, captureLogger, EXTERNAL_BROKER_URL, externalBrokerSkip, LOCAL_TARGET, randomSn, request, underRoot, VENDOR_EXAMPLE_REQUEST, waitFor
} from './storage-config-world.js'

/**
 * Two stsgate instances as clients of one external broker (Mosquitto in CI),
 * sharing the subscription `$share/stsgate/thing/product/+/requests`.
 * STSGATE_TEST_MQTT_URL set and the broker down: the test fails loudly.
 */
const url = EXTERNAL_BROKER_URL
const skip = externalBrokerSkip
if (skip !== false) t.comment(`SKIP external broker: ${skip}`)

t.test('two instances on an external broker answer each request exactly once (shared subscription)', { skip }, async (t) => {
  const world = await buildWorld(t)
  const gw = await world.gateway(await world.target(LOCAL_TARGET), randomSn())
  const root = `stsgate-test-${randomBytes(6).toString('hex')}`
  const logger = captureLogger()

  const instance = async (name: string) => {
    // No catch: an unreachable broker must fail this test, never skip it.
    const transport = await externalTransport(url!, { clientId: `${root}-${name}`, shareGroup: 'stsgate', connectTimeoutMs: 5000, reconnectPeriodMs: 100 })
    t.teardown(() => transport.close())
    let vends = 0
    const vending = world.app.app.vending
    const credentials: CredentialVendor = { vend: (scope, context) => { vends++; return vending.vend(scope, context) }, cacheFloorSeconds: (d) => vending.cacheFloorSeconds(d) }
    const responder = await startStorageConfigResponder({
      transport: underRoot(transport, root), gateways: world.app.store.gateways, credentials, config: { expireMarginSeconds: 300 }, logger
    })
    t.teardown(() => responder.stop())
    return { responder, vends: () => vends }
  }
  const a = await instance('a')
  const b = await instance('b')

  // The dock: on an external broker its login and ACLs are the broker's business (docs/dji.md).
  const dock = await mqtt.connectAsync(url!, { clientId: `${root}-dock`, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 })
  t.teardown(() => dock.endAsync(true))
  const replies: Array<{ tid: string, body: any }> = []
  dock.on('message', (_topic, payload) => {
    const body = JSON.parse(payload.toString())
    replies.push({ tid: body.tid, body })
  })
  await dock.subscribeAsync(`${root}/thing/product/${gw.sn}/requests_reply`, { qos: 1 })
  const requests = `${root}/thing/product/${gw.sn}/requests`

  t.test('the vendor example, field for field', async (t) => {
    await dock.publishAsync(requests, VENDOR_EXAMPLE_REQUEST, { qos: 1 })
    t.ok(await waitFor(() => replies.some((r) => r.tid === '123'), 5000), 'answered')
    const { body } = replies.find((r) => r.tid === '123')!
    t.match(body, {
      method: 'storage_config_get', tid: '123', bid: '456', timestamp: Number,
      data: {
        result: 0,
        output: {
          bucket: 'media-bucket', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', object_key_prefix: `media/${gw.sn}/`, provider: 'ali', region: 'cn-hangzhou',
          credentials: { access_key_id: /^STS\./, access_key_secret: String, expire: Number, security_token: String }
        }
      }
    })
    t.ok(body.data.output.credentials.expire > 3000 && body.data.output.credentials.expire <= 3300, 'expire = remaining − 300')
  })

  t.test('20 requests with distinct tids: one reply each, across both instances', async (t) => {
    const tids = Array.from({ length: 20 }, (_, i) => `tid-${i}`)
    const answered = () => [a, b].map((i) => i.responder.counters.results['0'] ?? 0)
    const before = answered()
    for (const tid of tids) await dock.publishAsync(requests, request(tid), { qos: 1 })
    t.ok(await waitFor(() => tids.every((tid) => replies.some((r) => r.tid === tid)), 5000), 'every request answered')
    await new Promise((resolve) => setTimeout(resolve, 300)) // time for any double answer to show up
    for (const tid of tids) {
      const n = replies.filter((r) => r.tid === tid).length
      if (n !== 1) t.fail(`${tid} got ${n} replies`)
    }
    t.pass('each tid got exactly one reply')
    t.ok(replies.filter((r) => tids.includes(r.tid)).every((r) => r.body.data.result === 0))
    const handled = answered().map((n, i) => n - before[i]!)
    t.equal(handled[0]! + handled[1]!, 20, 'the two instances together answered the 20 requests once')
    // Mosquitto hands a shared subscription's messages round-robin; EMQX's default is random.
    t.ok(handled.every((n) => n > 0), `both instances handled some (${handled.join(' + ')})`)
  })

  t.test('a duplicate (sn, tid) costs no second mint', async (t) => {
    const mintsBefore = world.app.app.credentials.counters.upstreamCalls.local
    const vendsBefore = a.vends() + b.vends()
    const payload = request('dup')
    await dock.publishAsync(requests, payload, { qos: 1 })
    await dock.publishAsync(requests, payload, { qos: 1 })
    t.ok(await waitFor(() => replies.filter((r) => r.tid === 'dup').length === 2, 5000), 'each delivery is answered')
    const [first, second] = replies.filter((r) => r.tid === 'dup')
    t.equal(first!.body.data.output.credentials.access_key_id, second!.body.data.output.credentials.access_key_id, 'with the same credential')
    t.ok(world.app.app.credentials.counters.upstreamCalls.local - mintsBefore <= 1, 'at most one upstream call')
    // Round-robin may hand the redelivery to the other instance, whose reply window has not seen it.
    t.ok(a.vends() + b.vends() - vendsBefore <= 2, 'at most one vend per instance')
  })

  t.test('malformed messages reach one instance each and get no reply', async (t) => {
    const before = replies.length
    const malformed = () => a.responder.counters.malformed.not_json + b.responder.counters.malformed.not_json
    const m0 = malformed()
    await dock.publishAsync(requests, 'not json', { qos: 1 })
    await dock.publishAsync(requests, request('ok-after'), { qos: 1 })
    t.ok(await waitFor(() => replies.some((r) => r.tid === 'ok-after'), 5000))
    t.equal(replies.length - before, 1, 'only the good request was answered')
    t.equal(malformed() - m0, 1, 'counted once')
  })
})
