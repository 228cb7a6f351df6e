import t from 'tap'
import { randomBytes } from 'node:crypto'
import mqtt from 'mqtt'
import { GatewayVendDirectory } from '../../src/mqtt/gateway-vend-directory.js'
import { startStorageConfigResponder } from '../../src/mqtt/storage-config.js'
import { RESULT } from '../../src/mqtt/storage-config-result.js'
import { externalTransport } from '../../src/mqtt/transport.js'
import { buildWorld, captureLogger, EXTERNAL_BROKER_URL, externalBrokerSkip, LOCAL_TARGET, randomSn, request, underRoot } from './storage-config-world.js'
import { messageLog } from './helpers.js'

/**
 * With an external broker (Mosquitto in CI) stsgate is the authority for what
 * it answers: only a dock that owns its serial number in the store gets
 * credentials, a sub-device or unknown sn gets 210001, and a dock moved to
 * another project is answered for its new project at once — the responder's
 * cache follows the store's notifications. Logins, client ids and ACLs are the
 * broker's (docs/dji.md "External broker").
 */
const url = EXTERNAL_BROKER_URL
const skip = externalBrokerSkip
if (skip !== false) t.comment(`SKIP external broker: ${skip}`)

t.test('external broker: stsgate answers only docks that own their sn, and follows a moved dock at once', { skip }, async (t) => {
  const world = await buildWorld(t)
  const { app } = world
  const root = `stsgate-test-${randomBytes(6).toString('hex')}`
  // No catch: an unreachable broker must fail this test, never skip it.
  const transport = await externalTransport(url!, { clientId: `${root}-stsgate`, shareGroup: 'stsgate', connectTimeoutMs: 5000, reconnectPeriodMs: 100 })
  t.teardown(() => transport.close())
  const responder = await startStorageConfigResponder({
    transport: underRoot(transport, root), gateways: new GatewayVendDirectory(app.store), credentials: app.app.vending,
    config: { expireMarginSeconds: 300 }, logger: captureLogger()
  })
  t.teardown(() => responder.stop())

  const targetA = await world.target(LOCAL_TARGET)
  const sn = randomSn()
  const aircraft = randomSn('AIR')
  const created = await app.admin('POST', `/projects/${world.projectId}/gateways`, { sn, target_id: targetA, object_key_prefix: `a/${sn}/`, sub_devices: [aircraft] })
  t.equal(created.status, 201)

  const dock = await mqtt.connectAsync(url!, { clientId: `${root}-dock`, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 })
  t.teardown(() => dock.endAsync(true))
  const replies = messageLog()
  dock.on('message', (topic, payload) => replies.push(topic, payload))
  await dock.subscribeAsync(`${root}/thing/product/+/requests_reply`, { qos: 1 })
  const ask = async (asSn: string, tid: string): Promise<any> => {
    await dock.publishAsync(`${root}/thing/product/${asSn}/requests`, request(tid), { qos: 1 })
    const reply = await replies.next(5000)
    t.equal(reply.topic, `${root}/thing/product/${asSn}/requests_reply`)
    return JSON.parse(reply.payload)
  }

  t.match(await ask(sn, 'a-1'), { tid: 'a-1', data: { result: 0, output: { object_key_prefix: `a/${sn}/` } } }, "project A's dock gets A's credentials")
  t.same((await ask(aircraft, 'air-1')).data, { result: RESULT.unknownGateway }, 'a sub-device sn is not a gateway: no credentials')
  t.same((await ask(randomSn('NOPE'), 'nope-1')).data, { result: RESULT.unknownGateway }, 'an sn nobody registered: no credentials')

  t.equal((await app.admin('DELETE', `/projects/${world.projectId}/gateways/${sn}`)).status, 204)
  t.same((await ask(sn, 'gone-1')).data, { result: RESULT.unknownGateway }, 'deleted from A: not answered from the cache')

  const { project_id: b } = (await app.admin('POST', '/projects', { name: 'b' })).body
  const { target_id: targetB } = (await app.admin('POST', `/projects/${b}/targets`, { ...LOCAL_TARGET, bucket: 'media-bucket-b' })).body
  t.equal((await app.admin('POST', `/projects/${b}/gateways`, { sn, target_id: targetB, object_key_prefix: `b/${sn}/` })).status, 201)
  t.match(await ask(sn, 'b-1'), { tid: 'b-1', data: { result: 0, output: { bucket: 'media-bucket-b', object_key_prefix: `b/${sn}/` } } },
    "registered in B: B's credentials at once, not a cached 'unknown gateway'")
  t.equal((await app.admin('POST', `/projects/${b}/devices`, { device_id: sn })).status, 409, "the dock's sn is B's dock's now, in every role")
  t.equal((await app.admin('POST', `/projects/${world.projectId}/devices`, { device_id: aircraft })).status, 201, "the old dock's aircraft sn left with it")
})
