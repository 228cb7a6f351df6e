import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { isLoopback, startEmbeddedBroker } from '../../src/mqtt/broker.js'
import { captureLogger, connect, deviceLogin, fakeDevices, fakeGateways, NOW, startTestBroker } from './helpers.js'

t.test('isLoopback', async (t) => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '::ffff:127.0.0.1']) t.ok(isLoopback(h), h)
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com']) t.notOk(isLoopback(h), h)
})

t.test('a taken port stops start-up with one line naming STSGATE_MQTT_PORT and STSGATE_MQTT_URL', async (t) => {
  const first = await startTestBroker(t)
  const err = await startEmbeddedBroker({
    host: '127.0.0.1', port: first.port, devices: fakeDevices(), gateways: fakeGateways(),
    requireTimestamp: false, logger: captureLogger()
  }).then(() => undefined, (e: unknown) => e as Error)
  t.ok(err instanceof Error)
  t.match(err?.message, new RegExp(`port ${first.port} .*already in use`))
  t.match(err?.message, /STSGATE_MQTT_PORT/)
  t.match(err?.message, /STSGATE_MQTT_URL/)
  t.notMatch(err?.message, /\n/, 'one line')
})

t.test('plaintext on a non-loopback address warns; loopback does not', async (t) => {
  const loop = await startTestBroker(t)
  t.notOk(loop.logger.lines.some(l => l.level === 'warn'))
  const open = await startTestBroker(t, { host: '0.0.0.0' })
  t.ok(open.logger.lines.some(l => l.level === 'warn' && /plaintext.*non-loopback/.test(l.msg)))
  t.ok((await connect(t, `mqtt://127.0.0.1:${open.port}`, deviceLogin('dev_1', 'primary-secret-1'))).connected)
})

t.test('the TLS listener serves MQTTS to a client that trusts its certificate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stsgate-mqtt-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  const pem = readFileSync(cert)
  const b = await startTestBroker(t, { host: '0.0.0.0', tls: { cert: pem, key: readFileSync(key) } })
  t.notOk(b.logger.lines.some(l => l.level === 'warn'), 'TLS on a public address is fine')
  const c = await connect(t, `mqtts://localhost:${b.port}`, { ...deviceLogin('dev_1', 'primary-secret-1'), ca: pem })
  t.ok(c.connected)
  await t.rejects(mqtt.connectAsync(`mqtts://localhost:${b.port}`, { ...deviceLogin('dev_1', 'primary-secret-1'), reconnectPeriod: 0, protocolVersion: 4 }, false),
    'an untrusting client refuses the self-signed certificate')
  await t.rejects(mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { ...deviceLogin('dev_1', 'primary-secret-1'), reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 2000 }, false),
    'no plaintext on the TLS port')
})

t.test('close() ends live and half-open connections and frees the port', async (t) => {
  const logger = captureLogger()
  const b = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, devices: fakeDevices(), gateways: fakeGateways(), requireTimestamp: false, logger, now: () => NOW })
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { ...deviceLogin('dev_1', 'primary-secret-1'), reconnectPeriod: 0, protocolVersion: 4 })
  const { connect: rawConnect } = await import('node:net')
  const raw = rawConnect(b.port, '127.0.0.1') // never sends CONNECT
  await new Promise((resolve) => raw.once('connect', resolve))
  const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
  const rawClosed = new Promise<void>((resolve) => raw.once('close', () => resolve()))
  await b.close()
  await Promise.all([closed, rawClosed])
  const again = await startEmbeddedBroker({ host: '127.0.0.1', port: b.port, devices: fakeDevices(), gateways: fakeGateways(), requireTimestamp: false, logger })
  t.equal(again.port, b.port)
  await again.close()
  c.end(true)
})

t.test('another listen failure names the address', async (t) => {
  const err = await startEmbeddedBroker({
    host: '192.0.2.1', port: 0, devices: fakeDevices(), gateways: fakeGateways(), requireTimestamp: false, logger: captureLogger()
  }).then(() => undefined, (e: unknown) => e as Error)
  t.match(err?.message, /embedded MQTT broker cannot listen on 192\.0\.2\.1:0/)
})
