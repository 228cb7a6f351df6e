import type { Aedes, AedesPublishPacket } from 'aedes'
import type { IClientOptions, MqttClient } from 'mqtt'
import { topicMatches, withoutShareGroup } from './topics.js'

/**
 * What the server-side responders (DJI storage_config_get) need from MQTT,
 * whether the broker is embedded or external. Messages are delivered at
 * least once (QoS 1): handlers must tolerate repeats.
 */
export interface MqttTransport {
  /**
   * Starts delivering messages that match `topicFilter`. A `$share/{group}/`
   * prefix is honoured by an external broker and stripped by the embedded one
   * (one process: it is the only member of its group anyway).
   * Resolves once the subscription is in place; rejects when the broker refuses it.
   */
  subscribe (topicFilter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void>
  publish (topic: string, payload: Buffer | string, qos?: 0 | 1): Promise<void>
  /** Stops deliveries from this transport (the embedded broker itself stays up). */
  close (): Promise<void>
}

type Handler = (topic: string, payload: Buffer) => void
type Deliver = (packet: AedesPublishPacket, cb: () => void) => void

const asBuffer = (payload: Buffer | string | Uint8Array): Buffer =>
  Buffer.isBuffer(payload) ? payload : Buffer.from(payload)

/**
 * In-process transport over the embedded aedes broker: subscriptions go on the
 * broker's own emitter and publishes are delivered by the broker itself, so
 * they bypass the client ACLs (the server may answer any dock).
 * A throwing handler is reported to `onError` and never breaks delivery.
 */
export function embeddedTransport (broker: Aedes, onError: (err: unknown, topic: string) => void = () => {}): MqttTransport {
  const subscriptions: Array<{ filter: string, deliver: Deliver }> = []
  return {
    subscribe (topicFilter, onMessage) {
      const filter = withoutShareGroup(topicFilter)
      const deliver: Deliver = (packet, cb) => {
        try {
          onMessage(packet.topic, asBuffer(packet.payload))
        } catch (err) {
          onError(err, packet.topic)
        }
        cb()
      }
      subscriptions.push({ filter, deliver })
      return new Promise((resolve) => broker.subscribe(filter, deliver, () => resolve()))
    },
    publish (topic, payload, qos = 1) {
      return new Promise((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload: asBuffer(payload), qos, retain: false, dup: false },
          (err) => err ? reject(err) : resolve())
      })
    },
    async close () {
      const all = subscriptions.splice(0)
      await Promise.all(all.map(({ filter, deliver }) =>
        new Promise<void>((resolve) => broker.unsubscribe(filter, deliver, () => resolve()))))
    }
  }
}

export interface ExternalTransportOptions {
  clientId?: string
  username?: string
  password?: string
  /** PEM CA for mqtts:// brokers with a private CA. */
  ca?: string | Buffer
  /** Prefix every subscription with `$share/{shareGroup}/` so N instances split the load (docs/dji.md "4. External broker (EMQX, Mosquitto)"). */
  shareGroup?: string
  /** First reconnect delay; doubles per failed attempt up to `maxReconnectPeriodMs`. Default 1000. */
  reconnectPeriodMs?: number
  maxReconnectPeriodMs?: number
  /** How long the first connection may take before externalTransport rejects. Default 30 000. */
  connectTimeoutMs?: number
  /** Reports handler errors, lost connections and reconnects. */
  onEvent?: (event: 'handler_error' | 'offline' | 'reconnect' | 'error', detail?: unknown) => void
}

/** The URL without credentials, for messages and logs. */
const redact = (url: string): string => {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return '<unparseable url>'
  }
}

/**
 * A client of an external broker (Mosquitto, EMQX). QoS 1 both ways; clean
 * session, so every subscription is re-sent by us on each reconnect (mqtt.js's
 * own resubscribe is off to avoid doubles). Reconnects back off exponentially
 * by adjusting mqtt.js's `reconnectPeriod`, which it reads before each attempt.
 * Resolves after the first CONNACK; rejects (and gives up) if that takes longer
 * than `connectTimeoutMs`.
 */
export async function externalTransport (url: string, opts: ExternalTransportOptions = {}): Promise<MqttTransport> {
  const base = opts.reconnectPeriodMs ?? 1000
  const max = opts.maxReconnectPeriodMs ?? 30_000
  const event = opts.onEvent ?? (() => {})
  const options: IClientOptions = {
    clientId: opts.clientId ?? `stsgate_${Math.random().toString(16).slice(2, 10)}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: base,
    resubscribe: false,
    connectTimeout: Math.min(opts.connectTimeoutMs ?? 30_000, 30_000)
  }
  if (opts.username !== undefined) options.username = opts.username
  if (opts.password !== undefined) options.password = opts.password
  if (opts.ca !== undefined) options.ca = opts.ca
  // The MQTT client library is loaded only with an external broker (docs/performance.md).
  const { default: mqtt } = await import('mqtt')
  const client: MqttClient = mqtt.connect(url, options)

  const handlers: Array<{ subscribed: string, filter: string, onMessage: Handler }> = []
  client.on('message', (topic, payload) => {
    for (const h of handlers) {
      if (!topicMatches(h.filter, topic)) continue
      try {
        h.onMessage(topic, payload)
      } catch (err) {
        event('handler_error', err)
      }
    }
  })
  client.on('offline', () => event('offline'))
  client.on('error', (err) => event('error', err))
  client.on('reconnect', () => {
    event('reconnect')
    client.options.reconnectPeriod = Math.min((client.options.reconnectPeriod ?? base) * 2, max)
  })
  let connectedOnce = false
  client.on('connect', () => {
    client.options.reconnectPeriod = base
    if (!connectedOnce) { connectedOnce = true; return }
    // Clean session: the broker forgot our subscriptions.
    const filters = [...new Set(handlers.map(h => h.subscribed))]
    if (filters.length > 0) {
      client.subscribeAsync(filters, { qos: 1 }).catch((err: unknown) => event('error', err))
    }
  })

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true)
      reject(new Error(`cannot connect to the MQTT broker at ${redact(url)} within ${opts.connectTimeoutMs ?? 30_000} ms (STSGATE_MQTT_URL)`))
    }, opts.connectTimeoutMs ?? 30_000)
    client.once('connect', () => { clearTimeout(timer); resolve() })
  })

  return {
    async subscribe (topicFilter, onMessage) {
      const filter = withoutShareGroup(topicFilter)
      const subscribed = opts.shareGroup !== undefined && filter === topicFilter
        ? `$share/${opts.shareGroup}/${filter}`
        : topicFilter
      const entry = { subscribed, filter, onMessage }
      handlers.push(entry)
      // mqtt.js rejects a failure SUBACK (0x80) itself; older versions resolved with qos 128.
      const granted = await client.subscribeAsync(subscribed, { qos: 1 }).catch((err: unknown) => err as Error)
      if (granted instanceof Error || granted.some(g => g.qos === 128)) {
        handlers.splice(handlers.indexOf(entry), 1)
        throw new Error(`the MQTT broker refused the subscription to ${subscribed}`, { cause: granted })
      }
    },
    async publish (topic, payload, qos = 1) {
      await client.publishAsync(topic, asBuffer(payload), { qos })
    },
    async close () {
      handlers.splice(0)
      await client.endAsync()
    }
  }
}
