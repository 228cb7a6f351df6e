import { ServiceMetrics, type MqttSource } from './metrics.js'

export type MqttModeName = 'embedded' | 'external' | 'off'

/**
 * What an operator sees of one running instance: its metrics and the parts
 * of its state that `GET /admin/v1/status` reports. buildApp creates it;
 * server.ts attaches MQTT once it runs (an app built without server.ts, as
 * in most tests, has MQTT off).
 */
export class Operations {
  readonly metrics = new ServiceMetrics()
  readonly startedAt: number
  #mqtt: { mode: MqttModeName, connections?: () => number } = { mode: 'off' }

  constructor (readonly version: string, readonly now: () => number = Date.now) {
    this.startedAt = now()
  }

  attachMqtt (mode: MqttModeName, source: MqttSource): void {
    this.#mqtt = { mode, ...(source.connections === undefined ? {} : { connections: source.connections }) }
    this.metrics.collectMqtt(source)
  }

  /** Connections are known only for the embedded broker; an external broker counts its own. */
  mqttStatus (): { mode: MqttModeName, connections: number | null } {
    return { mode: this.#mqtt.mode, connections: this.#mqtt.connections?.() ?? null }
  }

  uptimeSeconds (): number { return Math.floor((this.now() - this.startedAt) / 1000) }
}
