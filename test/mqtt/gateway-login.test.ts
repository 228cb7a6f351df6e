import t from 'tap'
import mqtt from 'mqtt'
import { gatewayMayUse, snOf } from '../../src/mqtt/gateway-login.js'
import { embeddedTransport } from '../../src/mqtt/transport.js'
import { connect, fakeGateways, inbox, sleep, startTestBroker } from './helpers.js'

const dock = (sn: string, password: string, clientId = sn) => ({ clientId, username: sn, password })

t.test('snOf and gatewayMayUse: one sn level under thing/product/ or sys/product/', async (t) => {
  t.equal(snOf('thing/product/DOCK1/requests'), 'DOCK1')
  t.equal(snOf('sys/product/DOCK1/status'), 'DOCK1')
  t.equal(snOf('thing/product/DOCK1'), undefined)
  t.equal(snOf('thing/product/DOCK1/'), undefined)
  t.equal(snOf('thing/other/DOCK1/x'), undefined)
  const sns = new Set(['DOCK1', '+', ''])
  t.ok(gatewayMayUse(sns, 'thing/product/DOCK1/#'))
  t.notOk(gatewayMayUse(sns, 'thing/product/+/requests_reply'), 'a "+" in the sn list never grants a wildcard')
  t.notOk(gatewayMayUse(sns, 'thing/product//requests'), 'nor an empty sn')
  t.notOk(gatewayMayUse(sns, 'thing/product/DOCK2/requests'))
})

t.test('a dock logs in with its sn and password and uses its own topics and its aircraft\'s', async (t) => {
  const logins: string[] = []
  const b = await startTestBroker(t, { onLogin: (kind, ok) => logins.push(`${kind}:${ok}`) })
  const d1 = await connect(t, b.url, dock('DOCK1', 'dock1-pass'))
  const box = inbox(d1)
  t.same(logins, ['gateway:true'])
  const granted = await d1.subscribeAsync(['thing/product/DOCK1/requests_reply', 'sys/product/DOCK1/#', 'thing/product/AIRCRAFT1/services'], { qos: 1 })
  t.same(granted.map(g => g.qos), [1, 1, 1])
  await d1.publishAsync('sys/product/DOCK1/status', 'online', { qos: 1 })
  t.same(await box.next(), { topic: 'sys/product/DOCK1/status', payload: 'online' })
  await d1.publishAsync('thing/product/AIRCRAFT1/osd', '{}', { qos: 0 })
})

t.test('a dock with a wrong password, an unknown sn or no password is refused with CONNACK 4', async (t) => {
  const logins: string[] = []
  const b = await startTestBroker(t, { onLogin: (kind, ok) => logins.push(`${kind}:${ok}`) })
  const opts = { reconnectPeriod: 0, protocolVersion: 4 as const }
  await t.rejects(mqtt.connectAsync(b.url, { ...dock('DOCK1', 'wrong'), ...opts }), { code: 4 })
  await t.rejects(mqtt.connectAsync(b.url, { ...dock('NOPE', 'dock1-pass'), ...opts }), { code: 4 })
  await t.rejects(mqtt.connectAsync(b.url, { clientId: 'x', username: 'DOCK1', ...opts }), { code: 4 })
  await t.rejects(mqtt.connectAsync(b.url, { clientId: 'x', ...opts }), { code: 4 }, 'anonymous')
  t.same(logins, ['gateway:false', 'gateway:false', 'gateway:false', 'gateway:false'])
})

t.test('a dock cannot subscribe to another dock\'s reply topic: failure SUBACK, connection stays', async (t) => {
  const b = await startTestBroker(t)
  const d1 = await connect(t, b.url, dock('DOCK1', 'dock1-pass'))
  for (const filter of ['thing/product/DOCK2/requests_reply', 'thing/product/+/requests_reply', 'thing/product/#', '#', '+/product/DOCK2/#', '$SYS/#', '$share/g/thing/product/DOCK2/requests_reply']) {
    await t.rejects(d1.subscribeAsync(filter, { qos: 1 }), filter)
  }
  t.ok(d1.connected)
  const granted = await d1.subscribeAsync('thing/product/DOCK1/requests_reply', { qos: 1 })
  t.equal(granted[0]?.qos, 1, 'still usable afterwards')
})

t.test('a publish to another dock\'s topic is dropped (QoS 0, 1, 2, retained) and the connection stays up', async (t) => {
  const b = await startTestBroker(t)
  const d1 = await connect(t, b.url, dock('DOCK1', 'dock1-pass'))
  const d2 = await connect(t, b.url, dock('DOCK2', 'dock2-pass'))
  const dropped: string[] = []
  b.broker.on('publish', (packet, client) => { if (client !== null) dropped.push(`seen:${packet.topic}`) })
  const victim = inbox(d2)
  await d2.subscribeAsync('thing/product/DOCK2/#', { qos: 1 })
  // The server-side responder listens in-process: it must not see forged requests either.
  const server = embeddedTransport(b.broker)
  t.teardown(() => server.close())
  const requests: string[] = []
  await server.subscribe('thing/product/+/requests', (topic, payload) => requests.push(`${topic} ${payload.toString()}`))

  await d1.publishAsync('thing/product/DOCK2/requests', 'forged-0', { qos: 0 })
  await d1.publishAsync('thing/product/DOCK2/requests', 'forged-1', { qos: 1 })
  await d1.publishAsync('thing/product/DOCK2/requests', 'forged-2', { qos: 2 })
  await d1.publishAsync('thing/product/DOCK2/services_reply', 'forged-retained', { qos: 1, retain: true })
  await d1.publishAsync('thing/product/DOCK1/requests', 'own', { qos: 1 })
  await sleep(150)
  t.ok(d1.connected, 'the refusing broker did not disconnect the dock')
  t.same(victim.messages, [], 'the other dock got nothing')
  t.same(requests, ['thing/product/DOCK1/requests own'], 'the in-process responder saw only the allowed request')
  t.same(dropped, ['seen:thing/product/DOCK1/requests'], 'dropped packets never reach publish')

  const late = await connect(t, b.url, dock('DOCK2', 'dock2-pass'))
  const lateBox = inbox(late)
  await late.subscribeAsync('thing/product/DOCK2/services_reply', { qos: 1 })
  await sleep(100)
  t.same(lateBox.messages, [], 'the refused retained message was not stored')
  t.ok(b.logger.lines.some(l => l.level === 'warn' && l.msg.includes('dropped')), 'the drop is logged')
})

t.test('a will aimed at another dock\'s topic is dropped too', async (t) => {
  const b = await startTestBroker(t)
  // The operator's server watches DOCK2's topics (a dock may hold only one connection: its client id is its sn).
  const watcher = await connect(t, b.url, { clientId: 'service:p1', username: 'service:p1', password: 'p1-token' })
  const box = inbox(watcher)
  await watcher.subscribeAsync('thing/product/DOCK2/#')
  const d1 = await connect(t, b.url, { ...dock('DOCK1', 'dock1-pass'), will: { topic: 'thing/product/DOCK2/events', payload: Buffer.from('forged will'), qos: 0, retain: false } })
  d1.stream.destroy() // ungraceful: the broker publishes the will
  const own = await connect(t, b.url, { ...dock('DOCK2', 'dock2-pass'), will: { topic: 'thing/product/DOCK2/events', payload: Buffer.from('own will'), qos: 0, retain: false } })
  own.stream.destroy()
  t.same(await box.next(), { topic: 'thing/product/DOCK2/events', payload: 'own will' }, 'an allowed will still goes out')
  await sleep(100)
  t.same(box.messages.map(m => m.payload), ['own will'], 'the forged will never did')
})

t.test('disconnectGateway closes a dock\'s live sessions', async (t) => {
  const b = await startTestBroker(t)
  const d1 = await connect(t, b.url, dock('DOCK1', 'dock1-pass'))
  const closed = new Promise<void>((resolve) => d1.once('close', () => resolve()))
  t.equal(b.disconnectGateway('DOCK1'), 1)
  await closed
})

t.test('the service role follows all of its project\'s docks and no other project\'s', async (t) => {
  const logins: string[] = []
  const b = await startTestBroker(t, { onLogin: (kind, ok) => logins.push(`${kind}:${ok}`) })
  await t.rejects(mqtt.connectAsync(b.url, { clientId: 'service:p1', username: 'service:p1', password: 'wrong', reconnectPeriod: 0, protocolVersion: 4 }), { code: 4 })
  const svc = await connect(t, b.url, { clientId: 'service:p1', username: 'service:p1', password: 'p1-token' })
  t.same(logins, ['service:false', 'service:true'])
  const box = inbox(svc)
  const granted = await svc.subscribeAsync(['thing/product/+/osd', 'sys/product/DOCK2/status'], { qos: 1 })
  t.same(granted.map(g => g.qos), [1, 1])
  await t.rejects(svc.subscribeAsync('thing/product/DOCK3/osd'), 'another project\'s dock')
  await t.rejects(svc.subscribeAsync('#'), 'everything')

  const d1 = await connect(t, b.url, dock('DOCK1', 'dock1-pass'))
  const d3 = await connect(t, b.url, dock('DOCK3', 'dock3-pass'))
  await d3.publishAsync('thing/product/DOCK3/osd', 'p2', { qos: 1 })
  await d1.publishAsync('thing/product/DOCK1/osd', 'p1', { qos: 1 })
  t.same(await box.next(), { topic: 'thing/product/DOCK1/osd', payload: 'p1' })
  await sleep(100)
  t.equal(box.messages.length, 1, 'the other project\'s osd was not forwarded through the + filter')

  const d1box = inbox(d1)
  await d1.subscribeAsync('thing/product/DOCK1/services')
  await svc.publishAsync('thing/product/DOCK1/services', 'cmd', { qos: 1 })
  t.same(await d1box.next(), { topic: 'thing/product/DOCK1/services', payload: 'cmd' })
  const d3box = inbox(d3)
  await d3.subscribeAsync('thing/product/DOCK3/services')
  await svc.publishAsync('thing/product/DOCK3/services', 'cmd', { qos: 1 })
  await sleep(100)
  t.same(d3box.messages, [], 'publish to another project\'s dock dropped')
  t.ok(svc.connected)
})

t.test('without verifyService, service logins are refused', async (t) => {
  const b = await startTestBroker(t, { gateways: { verifyGateway: async () => undefined } })
  await t.rejects(mqtt.connectAsync(b.url, { clientId: 'service:p1', username: 'service:p1', password: 'p1-token', reconnectPeriod: 0, protocolVersion: 4 }), { code: 4 })
})

t.test('when the service role\'s sn list fails, its subscribes fail and its publishes are dropped; the next call retries', async (t) => {
  let failing = true
  const b = await startTestBroker(t, {
    gateways: {
      verifyGateway: fakeGateways().verifyGateway,
      verifyService: async () => ({ projectId: 'p1', sns: () => { if (failing) throw new Error('store down'); return ['DOCK1'] } })
    }
  })
  const svc = await connect(t, b.url, { clientId: 'service:p1', username: 'service:p1', password: 'any' })
  await t.rejects(svc.subscribeAsync('thing/product/DOCK1/osd'), 'failure SUBACK')
  await t.rejects(svc.subscribeAsync('thing/product/+/osd'), 'wildcard: failure SUBACK')
  await svc.publishAsync('thing/product/DOCK1/services', 'x', { qos: 1 })
  t.ok(svc.connected)
  t.ok(b.logger.lines.some(l => l.msg === 'mqtt subscribe check failed'))
  t.ok(b.logger.lines.some(l => l.msg === 'mqtt publish check failed'))
  failing = false
  const granted = await svc.subscribeAsync('thing/product/DOCK1/osd', { qos: 1 })
  t.equal(granted[0]?.qos, 1, 'recovered once the list works again')
})
