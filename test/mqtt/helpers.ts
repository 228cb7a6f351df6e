import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { safeEqual } from '../../src/keys.js'
import { startEmbeddedBroker, type BrokerLogger, type EmbeddedBroker, type EmbeddedBrokerOptions } from '../../src/mqtt/broker.js'
import { devicePassword, type DeviceDirectory } from '../../src/mqtt/device-login.js'
import type { GatewayDirectory } from '../../src/mqtt/gateway-login.js'

/** The slice of a tap Test these helpers use. */
export interface Teardown { teardown (fn: () => unknown): void }

/** 2025-06-01 12:30 UTC: IoTDA timestamp `2025060112`. */
export const NOW = Date.UTC(2025, 5, 1, 12, 30)
export const HOUR = '2025060112'

export interface LogLine { level: 'info' | 'warn' | 'debug', obj: object, msg: string }

export function captureLogger (): BrokerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  return {
    lines,
    info: (obj, msg) => { lines.push({ level: 'info', obj, msg }) },
    warn: (obj, msg) => { lines.push({ level: 'warn', obj, msg }) },
    debug: (obj, msg) => { lines.push({ level: 'debug', obj, msg }) }
  }
}

export function fakeDevices (): DeviceDirectory & { rows: Map<string, { projectId: string, primarySecret: string | null, secondarySecret: string | null }> } {
  const rows = new Map([
    ['dev_1', { projectId: 'p1', primarySecret: 'primary-secret-1', secondarySecret: 'secondary-secret-1' }],
    ['dev-2', { projectId: 'p1', primarySecret: 'primary-secret-2', secondarySecret: null }]
  ])
  return { rows, findDevice: async (id) => rows.get(id) }
}

/** Two docks in project p1 (one with an aircraft), one in project p2; service role per project. */
export function fakeGateways (): GatewayDirectory {
  const docks = new Map([
    ['DOCK1', { password: 'dock1-pass', projectId: 'p1', sns: ['AIRCRAFT1'] }],
    ['DOCK2', { password: 'dock2-pass', projectId: 'p1', sns: [] }],
    ['DOCK3', { password: 'dock3-pass', projectId: 'p2', sns: [] }]
  ])
  const tokens = new Map([['service:p1', 'p1-token'], ['service:p2', 'p2-token']])
  return {
    async verifyGateway (sn, password) {
      const dock = docks.get(sn)
      if (dock === undefined || !safeEqual(password, dock.password)) return undefined
      return { projectId: dock.projectId, sns: [sn, ...dock.sns] }
    },
    async verifyService (username, password) {
      const token = tokens.get(username)
      if (token === undefined || !safeEqual(password, token)) return undefined
      const projectId = username.slice('service:'.length)
      return {
        projectId,
        sns: () => [...docks].filter(([, d]) => d.projectId === projectId).flatMap(([sn, d]) => [sn, ...d.sns])
      }
    }
  }
}

export async function startTestBroker (
  t: Teardown,
  overrides: Partial<EmbeddedBrokerOptions> = {}
): Promise<EmbeddedBroker & { url: string, logger: ReturnType<typeof captureLogger> }> {
  const logger = captureLogger()
  const broker = await startEmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    devices: fakeDevices(),
    gateways: fakeGateways(),
    requireTimestamp: false,
    logger,
    now: () => NOW,
    ...overrides
  })
  t.teardown(() => broker.close())
  return Object.assign(broker, { url: `mqtt://127.0.0.1:${broker.port}`, logger })
}

/** A connected mqtt.js client, ended at teardown. */
export async function connect (t: Teardown, url: string, opts: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000, ...opts })
  t.teardown(() => client.endAsync(true))
  return client
}

export const deviceLogin = (deviceId: string, secret: string, timestamp = HOUR, signType: 0 | 1 = 1): IClientOptions => ({
  clientId: `${deviceId}_0_${signType}_${timestamp}`,
  username: deviceId,
  password: devicePassword(secret, timestamp)
})

type Message = { topic: string, payload: string }

/** A message log with `next()`, which returns the oldest message not yet taken (arrived or still to come). */
export function messageLog (): { messages: Message[], push: (topic: string, payload: Buffer) => void, next: (ms?: number) => Promise<Message> } {
  const messages: Message[] = []
  const waiting: Array<(m: Message) => void> = []
  let taken = 0
  return {
    messages,
    push (topic, payload) {
      const m = { topic, payload: payload.toString() }
      messages.push(m)
      const w = waiting.shift()
      if (w !== undefined) { taken++; w(m) }
    },
    next (ms = 2000) {
      const ready = messages[taken]
      if (ready !== undefined) { taken++; return Promise.resolve(ready) }
      return new Promise((resolve, reject) => {
        const waiter = (m: Message): void => { clearTimeout(timer); resolve(m) }
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1)
          reject(new Error(`no message within ${ms} ms`))
        }, ms)
        waiting.push(waiter)
      })
    }
  }
}

/** Messages arriving on a client. */
export function inbox (client: MqttClient): ReturnType<typeof messageLog> {
  const log = messageLog()
  client.on('message', (topic, payload) => log.push(topic, payload))
  return log
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
