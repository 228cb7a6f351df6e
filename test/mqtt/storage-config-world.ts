import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import type { ResponderLogger } from '../../src/mqtt/storage-config.js'
import type { MqttTransport } from '../../src/mqtt/transport.js'

/**
 * What the storage_config_get tests share: an app on a fresh store (admin API
 * for projects, targets and gateways), a capturing logger, and the vendor's
 * own example request.
 */

export const UPSTREAM_KEY = { accessKeyId: 'LTAIupstreamKey', accessKeySecret: 'aliyun-UPSTREAM-secret' }

export const LOCAL_TARGET = { name: 'local', provider: 'local', bucket: 'media-bucket', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com' }

export const aliyunTarget = (name: string, stsUrl: string, extra: object = {}): object => ({
  name, provider: 'aliyun', bucket: `oss-${name}`, region: 'cn-hangzhou', endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
  upstream: { role_arn: 'acs:ram::1234567890:role/vend', access_key_id: UPSTREAM_KEY.accessKeyId, access_key_secret: UPSTREAM_KEY.accessKeySecret, sts_endpoint: stsUrl },
  ...extra
})

/** The request exactly as on the vendor page (string timestamp, tid "123", bid "456"). */
export const VENDOR_EXAMPLE_REQUEST = `{
    "method":"storage_config_get",
    "tid":"123",
    "bid":"456",
    "timestamp":"1234567890123",
    "data":{
       "module": 0
    }
}`

export const request = (tid: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ method: 'storage_config_get', tid, bid: `bid-${tid}`, timestamp: Date.now(), data: { module: 0 }, ...extra })

/** A serial number unique to this run (parallel CI runs share the external broker). */
export const randomSn = (prefix = 'DOCK'): string => `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`

export interface LogLine { level: 'info' | 'warn' | 'error' | 'debug', obj: Record<string, unknown>, msg: string }

export function captureLogger (): ResponderLogger & { debug (obj: object, msg: string): void, lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) => (obj: object, msg: string): void => { lines.push({ level, obj: obj as Record<string, unknown>, msg }) }
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }
}

export interface World {
  app: TestApp
  projectId: string
  target (body: object): Promise<string>
  /** Creates a gateway through the admin API; returns its login and prefix. */
  gateway (targetId: string, sn?: string): Promise<{ sn: string, username: string, password: string, prefix: string }>
}

export async function buildWorld (t: Test, env: Record<string, string> = {}): Promise<World> {
  const app = await buildTestApp(t, { env: { STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1', STSGATE_LOG_LEVEL: 'warn', ...env } })
  const created = await app.admin('POST', '/projects', { name: 'docks' })
  if (created.status !== 201) throw new Error(`project create: ${created.status} ${JSON.stringify(created.body)}`)
  const projectId: string = created.body.project_id
  return {
    app,
    projectId,
    async target (body) {
      const res = await app.admin('POST', `/projects/${projectId}/targets`, body)
      if (res.status !== 201) throw new Error(`target create: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body.target_id
    },
    async gateway (targetId, sn = randomSn()) {
      const res = await app.admin('POST', `/projects/${projectId}/gateways`, { sn, target_id: targetId })
      if (res.status !== 201) throw new Error(`gateway create: ${res.status} ${JSON.stringify(res.body)}`)
      return { sn, username: res.body.username, password: res.body.password, prefix: res.body.object_key_prefix }
    }
  }
}

/** Vend calls made so far (each is a cache hit or a miss). */
export const vendCalls = (app: TestApp): number => app.app.credentials.counters.hits + app.app.credentials.counters.misses

export const waitFor = async (check: () => boolean, ms = 3000): Promise<boolean> => {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  return check()
}

/** The external broker of the external-broker tests (Mosquitto in CI): set and down, those tests fail loudly. */
export const EXTERNAL_BROKER_URL = process.env.STSGATE_TEST_MQTT_URL ?? ''
export const externalBrokerSkip: string | false = EXTERNAL_BROKER_URL === ''
  ? 'STSGATE_TEST_MQTT_URL is not set: this test needs an external broker (Mosquitto/EMQX), e.g. mqtt://127.0.0.1:1883; CI sets it'
  : false

/**
 * Moves a transport's whole topic tree under `root/`, so that parallel runs on
 * one broker (same share group) never take each other's requests. The
 * responder still sees and answers plain `thing/product/…` topics.
 */
export function underRoot (inner: MqttTransport, root: string): MqttTransport {
  return {
    subscribe: (filter, onMessage) => inner.subscribe(`${root}/${filter}`, (topic, payload) => onMessage(topic.slice(root.length + 1), payload)),
    publish: (topic, payload, qos) => inner.publish(`${root}/${topic}`, payload, qos),
    close: () => inner.close()
  }
}
