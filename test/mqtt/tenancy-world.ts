import type { Test } from 'tap'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { Store } from '../../src/store/store.js'
import { startMqtt, type MqttRuntime } from '../../src/mqtt/runtime.js'
import { GatewayVendDirectory } from '../../src/mqtt/gateway-vend-directory.js'
import { startStorageConfigResponder } from '../../src/mqtt/storage-config.js'
import { devicePassword } from '../../src/mqtt/device-login.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { openTestStore, testMasterKey, testSchema } from '../helpers/store.js'
import { LOCAL_TARGET, randomSn } from './storage-config-world.js'

/**
 * Two stsgate instances on one store, as in production: `broker` runs the
 * embedded MQTT broker and the storage_config_get responder; `admin` is where
 * the operator's changes land. On PostgreSQL they are separate connections and
 * hear each other only through the store's notifications; PGlite has one
 * process, so both are the same instance there.
 */
export interface TenancyWorld {
  broker: TestApp
  admin: TestApp
  runtime: MqttRuntime
  url: string
  /** Admin call on the admin instance; throws unless the status is 2xx. */
  call (method: string, path: string, body?: unknown): Promise<any>
  project (name: string): Promise<{ projectId: string, targetId: string }>
  dock (projectId: string, targetId: string, sn?: string, extra?: object): Promise<{ sn: string, password: string }>
}

export async function tenancyWorld (t: Test, kind: 'pglite' | 'postgres'): Promise<TenancyWorld> {
  const keys = testMasterKey()
  let broker: TestApp
  let admin: TestApp
  if (kind === 'pglite') {
    broker = admin = await buildTestApp(t, { store: await openTestStore(t, 'pglite', keys), keys })
  } else {
    const { schema, url } = await testSchema(t)
    const first = await Store.open({ keys, databaseUrl: url, schema })
    t.teardown(() => first.close())
    const second = await Store.open({ keys, databaseUrl: url, schema })
    t.teardown(() => second.close())
    broker = await buildTestApp(t, { store: first, keys })
    admin = await buildTestApp(t, { store: second, keys })
  }
  const runtime = await startMqtt({ mode: 'embedded', host: '127.0.0.1', port: 0, requireTimestamp: false },
    { store: broker.store, callers: broker.app.callers, logger: broker.app.log })
  const responder = await startStorageConfigResponder({
    transport: runtime.transport!, gateways: new GatewayVendDirectory(broker.store), credentials: broker.app.vending,
    config: broker.config.dji, logger: broker.app.log
  })
  t.teardown(async () => { await responder.stop(); await runtime.close() })

  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await admin.admin(method, path, body)
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  return {
    broker,
    admin,
    runtime,
    url: `mqtt://127.0.0.1:${runtime.broker!.port}`,
    call,
    async project (name) {
      const { project_id: projectId } = await call('POST', '/projects', { name })
      const { target_id: targetId } = await call('POST', `/projects/${projectId}/targets`, LOCAL_TARGET)
      return { projectId, targetId }
    },
    async dock (projectId, targetId, sn = randomSn(), extra = {}) {
      const gw = await call('POST', `/projects/${projectId}/gateways`, { sn, target_id: targetId, object_key_prefix: `media/${projectId}/${sn}/`, ...extra })
      return { sn, password: gw.password }
    }
  }
}

/** A connected mqtt.js client (QoS 1, MQTT 3.1.1, no reconnects), ended at teardown. */
export async function client (t: Test, url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000, ...opts })
  t.teardown(() => c.endAsync(true))
  return c
}

/** Resolves with the milliseconds from `since` to the client's close event; rejects after `boundMs`. */
export function closedAfter (c: MqttClient, since: () => number, boundMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the session was still open ${boundMs} ms later`)), boundMs)
    c.once('close', () => { clearTimeout(timer); resolve(performance.now() - since()) })
  })
}

/** The current UTC hour as an IoTDA timestamp. */
export const hourStamp = (ms = Date.now()): string => new Date(ms).toISOString().replace(/[-T:]/g, '').slice(0, 10)

export const deviceOptions = (deviceId: string, secret: string, timestamp = hourStamp()): IClientOptions => ({
  clientId: `${deviceId}_0_1_${timestamp}`, username: deviceId, password: devicePassword(secret, timestamp)
})
