import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt from 'mqtt'
import { loadConfig } from '../../src/config.js'
import { startServer } from '../../src/server.js'
import { LOCAL_TARGET, randomSn, VENDOR_EXAMPLE_REQUEST } from './storage-config-world.js'
import { freePort } from '../helpers/net.js'
import { until } from '../helpers/until.js'


t.test('startServer answers storage_config_get on its embedded broker and stops the responder on close', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-dji-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const adminToken = 'configured-admin-token-0123456789abcdef'
  const mqttPort = await freePort()
  const logStream = new Writable({ write (_chunk, _enc, done) { done() } })
  const server = await startServer(loadConfig({
    STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: String(mqttPort), STSGATE_ADMIN_TOKEN: adminToken, STSGATE_LOG_LEVEL: 'warn'
  }), { logStream })
  let closed = false
  t.teardown(() => closed ? undefined : server.close())
  t.ok(server.storageConfig, 'the responder runs when MQTT is on')

  const admin = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${server.url}/admin/v1${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    return await res.json()
  }
  const { project_id: projectId } = await admin('/projects', { name: 'docks' })
  const { target_id: targetId } = await admin(`/projects/${projectId}/targets`, LOCAL_TARGET)
  const sn = randomSn()
  const gw = await admin(`/projects/${projectId}/gateways`, { sn, target_id: targetId })

  const dock = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: sn, username: gw.username, password: gw.password, reconnectPeriod: 0, protocolVersion: 4 })
  t.teardown(() => dock.endAsync(true))
  const reply = new Promise<any>((resolve) => dock.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()))))
  await dock.subscribeAsync(`thing/product/${sn}/requests_reply`, { qos: 1 })
  await dock.publishAsync(`thing/product/${sn}/requests`, VENDOR_EXAMPLE_REQUEST, { qos: 1 })
  t.match(await reply, { tid: '123', bid: '456', data: { result: 0, output: { object_key_prefix: `media/${sn}/`, provider: 'ali' } } })
  // Counted once the broker has acknowledged the reply, which may come after the dock has it.
  await until(() => server.storageConfig?.counters.results[0] === 1)
  t.same(server.storageConfig?.counters.results, { 0: 1 })

  await server.close()
  closed = true
  t.equal(server.storageConfig?.counters.received, 1)
})
