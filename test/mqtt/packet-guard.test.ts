import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { PacketGuard, type GuardCloseReason } from '../../src/mqtt/packet-guard.js'
import { connect, deviceLogin, inbox, startTestBroker } from './helpers.js'
import { closed, fixedHeader, rawSocket, remainingLength, streamUntilClosed } from './raw-mqtt.js'

const LIMITS = { maxUnauthenticatedBytes: 8192, maxPacketBytes: 65536, connectTimeoutMs: 10_000 }
const MB200 = 200 * 1024 * 1024

function scan (chunks: Buffer[], loggedInAfter = -1): GuardCloseReason | undefined {
  let reason: GuardCloseReason | undefined
  const guard = new PacketGuard(LIMITS, (r) => { reason = r })
  chunks.forEach((c, i) => {
    guard.observe(c)
    if (i === loggedInAfter) guard.loggedIn()
  })
  return reason
}

t.test('the guard follows packet boundaries from the fixed headers alone, across any chunking', async (t) => {
  const connectPacket = Buffer.concat([fixedHeader(0x10, 100), Buffer.alloc(100)])
  const publish = Buffer.concat([fixedHeader(0x30, 20_000), Buffer.alloc(20_000)])
  const stream = Buffer.concat([connectPacket, publish, fixedHeader(0xc0, 0), publish])
  for (const size of [1, 2, 3, 7, 1000, stream.length]) {
    const chunks: Buffer[] = []
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size))
    const guard = new PacketGuard(LIMITS, (r) => t.fail(`closed (${r}) at chunk size ${size}`))
    guard.loggedIn()
    for (const c of chunks) guard.observe(c)
    t.notOk(guard.closed, `chunks of ${size} bytes`)
  }
})

t.test('the guard refuses by the first bytes', async (t) => {
  t.equal(scan([fixedHeader(0x30, MB200)]), 'not_connect_first', 'a PUBLISH first')
  t.equal(scan([Buffer.from([0xc0, 0x00])]), 'not_connect_first', 'a PINGREQ first')
  t.equal(scan([Buffer.from([0x11, 0x00])]), 'not_connect_first', 'CONNECT with reserved flags set')
  t.equal(scan([fixedHeader(0x10, 9000)]), 'too_large_before_login', 'a 9000-byte CONNECT')
  t.equal(scan([Buffer.from([0x10, 0x80, 0x80, 0x81])]), 'too_large_before_login', 'judged before the varint ends once it exceeds the bound')
  t.equal(scan([Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80])]), 'malformed_length', 'a five-byte remaining length')
  const connectPacket = Buffer.concat([fixedHeader(0x10, 10), Buffer.alloc(10)])
  t.equal(scan([connectPacket, fixedHeader(0x30, 9000)]), 'too_large_before_login', 'a large packet pipelined before the login succeeded')
  t.equal(scan([connectPacket, fixedHeader(0x30, 9000)], 0), undefined, 'the same after login')
  t.equal(scan([connectPacket, fixedHeader(0x30, 65536)], 0), 'too_large', 'above the post-login cap, header included')
  t.equal(scan([connectPacket, fixedHeader(0x30, 65536 - 4)], 0), undefined, 'exactly the cap')
})

t.test('eight raw sockets declaring a 200 MB PUBLISH before CONNECT are closed at once, the body unread', async (t) => {
  const refused: GuardCloseReason[] = []
  const b = await startTestBroker(t, { onConnectionRefused: (r) => refused.push(r) })
  const sockets = await Promise.all(Array.from({ length: 8 }, () => rawSocket(b.port)))
  const written = await Promise.all(sockets.map((s) => streamUntilClosed(s, 0x30, MB200)))
  for (const w of written) t.ok(w < 32 * 1024 * 1024, `closed after ${w} of ${MB200} body bytes (socket buffers only)`)
  t.same(refused, Array(8).fill('not_connect_first'))
  t.equal(b.broker.connectedClients, 0)
  const honest = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  t.ok(honest.connected, 'the broker keeps serving')
})

t.test('a CONNECT declaring more than a few KB is closed before aedes reads it', async (t) => {
  const refused: GuardCloseReason[] = []
  const logins: boolean[] = []
  const b = await startTestBroker(t, { onConnectionRefused: (r) => refused.push(r), onLogin: (_k, ok) => logins.push(ok) })
  const s = await rawSocket(b.port)
  await streamUntilClosed(s, 0x10, MB200)
  t.same(refused, ['too_large_before_login'])
  t.same(logins, [], 'no login was attempted')
})

t.test('a connection without a successful login is closed after the connect timeout', async (t) => {
  const refused: GuardCloseReason[] = []
  const b = await startTestBroker(t, { limits: { connectTimeoutMs: 150 }, onConnectionRefused: (r) => refused.push(r) })
  const silent = await rawSocket(b.port)
  // A CONNECT that never ends: its header promises 100 bytes, 10 arrive.
  const partial = await rawSocket(b.port)
  partial.write(Buffer.concat([fixedHeader(0x10, 100), Buffer.alloc(10)]))
  await Promise.all([closed(silent), closed(partial)])
  t.same(refused.sort(), ['connect_timeout', 'connect_timeout'])
  const honest = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  t.ok(honest.connected)
})

t.test('after login a packet above STSGATE_MQTT_MAX_PACKET_BYTES closes the connection; smaller ones flow', async (t) => {
  const refused: GuardCloseReason[] = []
  const b = await startTestBroker(t, { limits: { maxPacketBytes: 64 * 1024 }, onConnectionRefused: (r) => refused.push(r) })
  const listener = await connect(t, b.url, deviceLogin('dev_1', 'primary-secret-1'))
  const log = inbox(listener)
  await listener.subscribeAsync('$oc/devices/dev_1/sys/messages/down', { qos: 1 })
  const sender = await connect(t, b.url, deviceLogin('dev_1', 'secondary-secret-1', undefined, 0))
  await sender.publishAsync('$oc/devices/dev_1/sys/messages/down', Buffer.alloc(60 * 1024, 0x62), { qos: 1 })
  t.equal((await log.next()).payload.length, 60 * 1024, '60 KiB delivered')
  const gone = new Promise<void>((resolve) => sender.once('close', () => resolve()))
  sender.publish('$oc/devices/dev_1/sys/messages/down', Buffer.alloc(65 * 1024, 0x62), { qos: 0 })
  await gone
  t.same(refused, ['too_large'])
  t.ok(listener.connected, 'other sessions stay up')
})

t.test('the MQTTS listener has the same guard', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stsgate-mqtt-guard-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  const pem = readFileSync(cert)
  const refused: GuardCloseReason[] = []
  // Long enough that a loaded machine judges the sockets that send bytes by those bytes, not by the clock.
  const b = await startTestBroker(t, { tls: { cert: pem, key: readFileSync(key) }, limits: { connectTimeoutMs: 2000 }, onConnectionRefused: (r) => refused.push(r) })
  const sockets = await Promise.all(Array.from({ length: 4 }, () => rawSocket(b.port, true)))
  const written = await Promise.all(sockets.map((s) => streamUntilClosed(s, 0x30, MB200)))
  for (const w of written) t.ok(w < 32 * 1024 * 1024, `closed after ${w} of ${MB200} body bytes`)
  const silent = await rawSocket(b.port, true)
  await closed(silent)
  t.same(refused, ['not_connect_first', 'not_connect_first', 'not_connect_first', 'not_connect_first', 'connect_timeout'])
  const honest = await mqtt.connectAsync(`mqtts://localhost:${b.port}`, { ...deviceLogin('dev_1', 'primary-secret-1'), ca: pem, reconnectPeriod: 0, protocolVersion: 4 })
  t.ok(honest.connected)
  await honest.endAsync()
})

t.test('remainingLength encodes like mqtt-packet', async (t) => {
  t.same([...remainingLength(0)], [0])
  t.same([...remainingLength(127)], [127])
  t.same([...remainingLength(128)], [0x80, 1])
  t.same([...remainingLength(268_435_455)], [0xff, 0xff, 0xff, 0x7f])
})
