import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mqtt, { type IClientOptions } from 'mqtt'
import { clientIdBelongs } from '../../src/mqtt/sessions.js'
import { connect, deviceLogin, inbox, startTestBroker } from './helpers.js'

/**
 * A client id belongs to its owner (docs/operations.md "Tenant isolation"):
 * valid credentials under someone else's client id are refused at CONNECT with
 * "not authorized" (CONNACK 5), and the owner's live session stays up — aedes
 * would otherwise close it to make room for the newcomer, which would then get
 * the owner's queued messages.
 */

const service = { kind: 'service' as const, projectId: 'p1', service: undefined as never }
t.test('clientIdBelongs: the rule for each kind of session', async (t) => {
  t.ok(clientIdBelongs('dev_1_0_1_2025060112', { kind: 'device', deviceId: 'dev_1', projectId: 'p1' }))
  t.notOk(clientIdBelongs('dev-2_0_1_2025060112', { kind: 'device', deviceId: 'dev_1', projectId: 'p1' }))
  const dock = { kind: 'gateway' as const, sn: 'DOCK1', projectId: 'p1', sns: new Set(['DOCK1']) }
  t.ok(clientIdBelongs('DOCK1', dock))
  for (const id of ['DOCK2', 'DOCK1-2', 'dock1', '', 'dev_1_0_1_2025060112']) t.notOk(clientIdBelongs(id, dock), id)
  const iotdaShaped = { kind: 'gateway' as const, sn: 'dev_1_0_1_2025060112', projectId: 'p1', sns: new Set(['dev_1_0_1_2025060112']) }
  t.notOk(clientIdBelongs('dev_1_0_1_2025060112', iotdaShaped), "a dock whose sn looks like a device's client id cannot use it")
  for (const id of ['service:p1', 'service:p1:worker-1']) t.ok(clientIdBelongs(id, service), id)
  for (const id of ['service:p1:', 'service:p10', 'service:p2', 'svc', 'DOCK1', 'service:p1x:a']) t.notOk(clientIdBelongs(id, service), id)
})

const options: IClientOptions = { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 }

async function takeoverRefused (t: Test, url: string, extra: IClientOptions = {}): Promise<void> {
  const dock1 = await connect(t, url, { clientId: 'DOCK1', username: 'DOCK1', password: 'dock1-pass', ...extra })
  const device = await connect(t, url, { ...deviceLogin('dev_1', 'primary-secret-1'), ...extra })
  const svc = await connect(t, url, { clientId: 'service:p1', username: 'service:p1', password: 'p1-token', ...extra })
  const attempts: Array<[string, IClientOptions]> = [
    ["another dock under DOCK1's client id", { clientId: 'DOCK1', username: 'DOCK2', password: 'dock2-pass' }],
    ["another project's dock under DOCK1's client id", { clientId: 'DOCK1', username: 'DOCK3', password: 'dock3-pass' }],
    ["a dock under a device's IoTDA client id", { clientId: 'dev_1_0_1_2025060112', username: 'DOCK3', password: 'dock3-pass' }],
    ["another project's service under p1's client id", { clientId: 'service:p1', username: 'service:p2', password: 'p2-token' }],
    ['a service session under a dock\'s client id', { clientId: 'DOCK1', username: 'service:p2', password: 'p2-token' }],
    ['a dock under a made-up client id', { clientId: 'anything', username: 'DOCK2', password: 'dock2-pass' }]
  ]
  for (const [what, login] of attempts) {
    await t.rejects(mqtt.connectAsync(url, { ...options, ...extra, ...login }), { code: 5, message: /Not authorized/i }, what)
  }
  for (const [what, c] of [['DOCK1', dock1], ['device dev_1', device], ['service p1', svc]] as const) {
    t.ok(c.connected, `${what} is still connected`)
  }
  // And still usable: the owners exchange messages after every refused takeover.
  const box = inbox(dock1)
  await dock1.subscribeAsync('thing/product/DOCK1/services', { qos: 1 })
  await svc.publishAsync('thing/product/DOCK1/services', 'still here', { qos: 1 })
  t.same(await box.next(), { topic: 'thing/product/DOCK1/services', payload: 'still here' })
  const own = await connect(t, url, { clientId: 'service:p1:worker-2', username: 'service:p1', password: 'p1-token', ...extra })
  t.ok(own.connected, 'a service session may add its own suffix')
}

t.test('plain MQTT: valid credentials under another identity\'s client id get CONNACK 5; the owner stays up', async (t) => {
  const b = await startTestBroker(t, { now: () => Date.UTC(2025, 5, 1, 12, 30) })
  await takeoverRefused(t, b.url)
  t.ok(b.logger.lines.some((l) => (l.obj as { reason?: string }).reason === 'client_id_not_owned'), 'the refusal is logged with its reason')
})

t.test('MQTTS: the same rule on the TLS listener', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-clientid-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  const ca = await readFile(certFile)
  const b = await startTestBroker(t, { tls: { cert: ca, key: await readFile(keyFile) } })
  await takeoverRefused(t, `mqtts://127.0.0.1:${b.port}`, { ca })
})
