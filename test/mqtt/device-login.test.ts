import t from 'tap'
import mqtt from 'mqtt'
import { devicePassword, parseDeviceClientId, timestampHour } from '../../src/mqtt/device-login.js'
import { classifyConnect } from '../../src/mqtt/sessions.js'
import { connect, deviceLogin, HOUR, inbox, sleep, startTestBroker } from './helpers.js'

t.test('parseDeviceClientId reads the IoTDA ClientId from the right (device ids may hold _)', async (t) => {
  t.same(parseDeviceClientId('dev_1_0_1_2025060112'), { deviceId: 'dev_1', signType: 1, timestamp: '2025060112' })
  t.same(parseDeviceClientId('d_0_0_2025060112'), { deviceId: 'd', signType: 0, timestamp: '2025060112' })
  t.equal(parseDeviceClientId('dev_1_0_2_2025060112'), undefined, 'sign_type is 0 or 1')
  t.equal(parseDeviceClientId('dev_1_1_1_2025060112'), undefined, 'ClientId type must be 0')
  t.equal(parseDeviceClientId('dev_1_0_1_202506011'), undefined, 'timestamp has 10 digits')
  t.equal(parseDeviceClientId('dev.1_0_1_2025060112'), undefined, 'device id charset')
  t.equal(parseDeviceClientId(`${'a'.repeat(129)}_0_1_2025060112`), undefined, 'device id ≤ 128')
})

t.test('timestampHour refuses hours that do not exist', async (t) => {
  t.equal(timestampHour('2025060112'), Date.UTC(2025, 5, 1, 12) / 3_600_000)
  t.equal(timestampHour('2025130112'), undefined)
  t.equal(timestampHour('2025023112'), undefined)
  t.equal(timestampHour('2025060124'), undefined)
})

t.test('the password is lowercase hex HMAC-SHA256 keyed by the timestamp over the secret', async (t) => {
  const p = devicePassword('secret', '2025060112')
  t.match(p, /^[0-9a-f]{64}$/)
  const { createHmac } = await import('node:crypto')
  t.equal(p, createHmac('sha256', Buffer.from('2025060112')).update(Buffer.from('secret')).digest('hex'))
})

t.test('classifyConnect: device only when the ClientId has the IoTDA shape and the username is its device id', async (t) => {
  t.equal(classifyConnect('dev_1_0_1_2025060112', 'dev_1'), 'device')
  t.equal(classifyConnect('dev_1_0_1_2025060112', 'other'), 'gateway')
  t.equal(classifyConnect('dock-client', 'DOCK1'), 'gateway')
  t.equal(classifyConnect('anything', 'service:p1'), 'service')
})

t.test('a device logs in over MQTT with its primary secret', async (t) => {
  const logins: string[] = []
  const b = await startTestBroker(t, { onLogin: (kind, ok) => logins.push(`${kind}:${ok}`) })
  const c = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  t.ok(c.connected)
  t.same(logins, ['device:true'])
  t.equal(b.connections(), 1)
})

t.test('a device logs in with its secondary secret', async (t) => {
  const b = await startTestBroker(t)
  const c = await connect(t, b.url, deviceLogin('dev_1', 'secondary-secret-1'))
  t.ok(c.connected)
})

t.test('sign_type 1 accepts the neighbouring hours', async (t) => {
  const b = await startTestBroker(t)
  t.ok((await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1', '2025060111'))).connected, 'an hour before')
  t.ok((await connect(t, b.url, deviceLogin('dev-2', 'primary-secret-2', '2025060113'))).connected, 'an hour after')
})

const refused = { code: 4, message: /Bad username or password/ }

t.test('a wrong password is refused with CONNACK 4', async (t) => {
  const logins: string[] = []
  const b = await startTestBroker(t, { onLogin: (kind, ok) => logins.push(`${kind}:${ok}`) })
  await t.rejects(mqtt.connectAsync(b.url, { ...deviceLogin('dev_1', 'not-the-secret'), reconnectPeriod: 0, protocolVersion: 4 }), refused)
  t.same(logins, ['device:false'])
  t.ok(b.logger.lines.some(l => l.msg === 'mqtt login refused' && (l.obj as { reason?: string }).reason === 'bad_password'))
  t.notOk(JSON.stringify(b.logger.lines).includes('not-the-secret'), 'no secret in the logs')
})

t.test('an unknown device is refused with CONNACK 4', async (t) => {
  const b = await startTestBroker(t)
  await t.rejects(mqtt.connectAsync(b.url, { ...deviceLogin('ghost', 'x'), reconnectPeriod: 0, protocolVersion: 4 }), refused)
})

t.test('sign_type 1 with a timestamp 3 hours off is refused', async (t) => {
  const b = await startTestBroker(t)
  await t.rejects(mqtt.connectAsync(b.url, { ...deviceLogin('dev_1', 'primary-secret-1', '2025060109', 1), reconnectPeriod: 0, protocolVersion: 4 }), refused)
  await t.rejects(mqtt.connectAsync(b.url, { ...deviceLogin('dev_1', 'primary-secret-1', '2025060115', 1), reconnectPeriod: 0, protocolVersion: 4 }), refused)
})

t.test('sign_type 0 with an old timestamp is accepted, unless requireTimestamp', async (t) => {
  const lax = await startTestBroker(t)
  t.ok((await connect(t, lax.url, deviceLogin('dev_1', 'primary-secret-1', '2020010100', 0))).connected)
  const strict = await startTestBroker(t, { requireTimestamp: true })
  await t.rejects(mqtt.connectAsync(strict.url, { ...deviceLogin('dev_1', 'primary-secret-1', HOUR, 0), reconnectPeriod: 0, protocolVersion: 4 }), refused,
    'sign_type 0 refused even with a current timestamp')
  t.ok((await connect(t, strict.url, deviceLogin('dev_1', 'primary-secret-1'))).connected, 'sign_type 1 still works')
})

t.test('a ClientId whose device id differs from the username is refused', async (t) => {
  const b = await startTestBroker(t)
  const login = deviceLogin('dev_1', 'primary-secret-1')
  await t.rejects(mqtt.connectAsync(b.url, { ...login, username: 'dev-2', reconnectPeriod: 0, protocolVersion: 4 }), refused)
  await t.rejects(mqtt.connectAsync(b.url, { ...login, clientId: 'dev-2_0_1_2025060112', reconnectPeriod: 0, protocolVersion: 4 }), refused)
})

t.test('a directory failure answers CONNACK 3 (server unavailable)', async (t) => {
  const b = await startTestBroker(t, { devices: { findDevice: async () => { throw new Error('store down') } } })
  await t.rejects(mqtt.connectAsync(b.url, { ...deviceLogin('dev_1', 'primary-secret-1'), reconnectPeriod: 0, protocolVersion: 4 }), { code: 3 })
})

t.test('a device uses its own $oc/devices/{device_id}/ topics and no one else\'s', async (t) => {
  const b = await startTestBroker(t)
  const d1 = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  const d2 = await connect(t, b.url, deviceLogin('dev-2', 'primary-secret-2'))
  const box = inbox(d1)
  const granted = await d1.subscribeAsync('$oc/devices/dev_1/sys/messages/down', { qos: 1 })
  t.equal(granted[0]?.qos, 1)

  await t.rejects(d1.subscribeAsync('$oc/devices/dev-2/sys/messages/down'), 'another device\'s topic: failure SUBACK')
  await t.rejects(d1.subscribeAsync('$oc/devices/+/sys/messages/down'), 'wildcard device level')
  await t.rejects(d1.subscribeAsync('#'), 'everything')
  await t.rejects(d1.subscribeAsync('$oc/devices/dev_1'), 'the bare prefix is no topic of its own')
  t.ok(d1.connected, 'refused subscribes keep the connection')

  await d2.publishAsync('$oc/devices/dev_1/sys/messages/down', 'forged', { qos: 1 })
  await d1.publishAsync('$oc/devices/dev_1/sys/messages/up', 'up', { qos: 1 })
  await b.broker.publish({ cmd: 'publish', topic: '$oc/devices/dev_1/sys/messages/down', payload: Buffer.from('real'), qos: 1, retain: false, dup: false }, () => {})
  const m = await box.next()
  t.same(m, { topic: '$oc/devices/dev_1/sys/messages/down', payload: 'real' }, 'the forged publish never arrived')
  await sleep(100)
  t.equal(box.messages.length, 1)
  t.ok(d2.connected, 'the refused publisher stays connected')
})

t.test('disconnectDevice closes the device\'s live session', async (t) => {
  const b = await startTestBroker(t)
  const d1 = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  const d2 = await connect(t, b.url, deviceLogin('dev-2', 'primary-secret-2'))
  const closed = new Promise<void>((resolve) => d1.once('close', () => resolve()))
  t.equal(b.disconnectDevice('dev_1'), 1)
  await closed
  t.equal(b.disconnectDevice('dev_1'), 0, 'nothing left to close')
  t.equal(b.disconnectDevice('nobody'), 0)
  await sleep(50)
  t.ok(d2.connected, 'other devices stay')
  t.equal(b.connections(), 1)
})
