import mqtt, { type MqttClient } from 'mqtt'

/**
 * K simulated DJI docks, each logged in to the embedded broker with its own
 * gateway login, asking storage_config_get in a closed loop (`window` requests
 * outstanding per dock, QoS 1 both ways as in docs/dji.md) for `seconds`.
 */

export interface DockLogin { sn: string, username: string, password: string }

export interface DockFigures {
  docks: number
  window: number
  repliesPerSecond: number
  replies: number
  failedReplies: number
  p50Ms: number
  p99Ms: number
  seconds: number
}

interface Dock { login: DockLogin, client: MqttClient, sent: Map<string, bigint>, next: number }

const percentile = (sorted: number[], p: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number

const request = (tid: string): string =>
  JSON.stringify({ method: 'storage_config_get', tid, bid: `b${tid}`, timestamp: Date.now(), data: { module: 0 } })

/**
 * Every dock here logs in from 127.0.0.1, and the broker holds at most
 * STSGATE_MQTT_LOGIN_FAILURES_PER_ADDRESS (30) logins from one address in
 * flight (each reserves a failure token until it succeeds; docs/operations.md
 * "MQTT limits"): the docks connect in waves below that.
 */
const LOGINS_IN_FLIGHT = 25

export async function connectDocks (mqttUrl: string, logins: DockLogin[]): Promise<Dock[]> {
  const docks: Dock[] = []
  for (let i = 0; i < logins.length; i += LOGINS_IN_FLIGHT) {
    docks.push(...await Promise.all(logins.slice(i, i + LOGINS_IN_FLIGHT).map(async (login) => {
      const client = await mqtt.connectAsync(mqttUrl, { clientId: login.sn, username: login.username, password: login.password, reconnectPeriod: 0, protocolVersion: 4 })
      await client.subscribeAsync(`thing/product/${login.sn}/requests_reply`, { qos: 1 })
      return { login, client, sent: new Map(), next: 0 }
    })))
  }
  return docks
}

/** One request per dock until each has a result-0 reply (fills the credential cache; the mint budget may make some wait). */
export async function warmDocks (docks: Dock[]): Promise<void> {
  await Promise.all(docks.map(async (dock) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const tid = `warm-${attempt}`
      const reply = new Promise<any>((resolve) => {
        const onMessage = (_topic: string, payload: Buffer): void => {
          const body = JSON.parse(payload.toString())
          if (body.tid !== tid) return
          dock.client.off('message', onMessage)
          resolve(body)
        }
        dock.client.on('message', onMessage)
      })
      await dock.client.publishAsync(`thing/product/${dock.login.sn}/requests`, request(tid), { qos: 1 })
      if ((await reply).data?.result === 0) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`dock ${dock.login.sn} never got a credential`)
  }))
}

export async function runDocks (docks: Dock[], options: { seconds: number, window: number }): Promise<DockFigures> {
  const latencies: number[] = []
  let failed = 0
  let running = true
  const started = process.hrtime.bigint()
  const fire = (dock: Dock): void => {
    const tid = `t${dock.next++}`
    dock.sent.set(tid, process.hrtime.bigint())
    dock.client.publish(`thing/product/${dock.login.sn}/requests`, request(tid), { qos: 1 })
  }
  const listeners = docks.map((dock) => {
    const onMessage = (_topic: string, payload: Buffer): void => {
      const body = JSON.parse(payload.toString()) as { tid: string, data?: { result?: number } }
      const at = dock.sent.get(body.tid)
      if (at === undefined) return
      dock.sent.delete(body.tid)
      if (!running) return
      latencies.push(Number(process.hrtime.bigint() - at) / 1e6)
      if (body.data?.result !== 0) failed++
      fire(dock)
    }
    dock.client.on('message', onMessage)
    for (let i = 0; i < options.window; i++) fire(dock)
    return () => dock.client.off('message', onMessage)
  })
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000))
  running = false
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  for (const off of listeners) off()
  latencies.sort((a, b) => a - b)
  return {
    docks: docks.length,
    window: options.window,
    repliesPerSecond: latencies.length / elapsed,
    replies: latencies.length,
    failedReplies: failed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    seconds: elapsed
  }
}

export async function closeDocks (docks: Dock[]): Promise<void> {
  await Promise.all(docks.map((dock) => dock.client.endAsync(true)))
}
