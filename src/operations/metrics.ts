import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CredentialCounters } from '../credentials/service.js'
import type { ProviderName } from '../domain/target.js'
import type { GuardCloseReason } from '../mqtt/packet-guard.js'
import type { LoginRefusal, SessionLimitEvent } from '../mqtt/broker.js'
import type { LoginKind } from '../mqtt/sessions.js'
import type { StorageConfigCounters } from '../mqtt/storage-config.js'
import type { ReplayWindowStats } from '../auth/replay.js'

/** What the credential service exposes for scraping (read at scrape time, never on the hot path). */
export interface CredentialSource {
  readonly counters: CredentialCounters
  readonly cacheSize: number
}

/** What the MQTT runtime exposes once server.ts has started it. */
export interface MqttSource {
  /** Accepted connections on this instance's embedded broker; undefined with an external broker. */
  connections?: () => number
  storageConfig?: StorageConfigCounters
}

const PROVIDERS: readonly ProviderName[] = ['local', 'aliyun', 'aws', 'huawei']

/**
 * The Prometheus metrics of one app instance, in a registry of its own (the
 * prom-client default registry is process-global: two apps in one test
 * process would collide on it).
 *
 * Labels carry only bounded values: route templates (never the raw URL, which
 * holds project and device ids), methods, status codes, provider names, login
 * kinds and DJI result codes.
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<'method' | 'route' | 'status_code'>
  readonly #requestSeconds: Histogram<'method' | 'route' | 'status_code'>
  readonly #upstreamSeconds: Histogram<'provider' | 'outcome'>
  readonly #logins: Counter<'kind' | 'result'>
  readonly #dropped: Counter<'kind'>
  readonly #connectionsRefused: Counter<'reason'>
  readonly #loginsRefused: Counter<'reason'>
  readonly #sessionLimits: Counter<'event'>
  #credentials: CredentialSource | undefined
  #mqtt: MqttSource = {}
  #replay: ReplayWindowStats | undefined

  constructor () {
    const registers = [this.registry]
    this.#requests = new Counter({
      name: 'stsgate_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames: ['method', 'route', 'status_code'], registers
    })
    this.#requestSeconds = new Histogram({
      name: 'stsgate_http_request_duration_seconds', help: 'HTTP request latency, by route template and status',
      labelNames: ['method', 'route', 'status_code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers
    })
    this.#upstreamSeconds = new Histogram({
      name: 'stsgate_upstream_duration_seconds', help: 'Time of one upstream mint (STS / IAM / local issuer), by provider and outcome',
      labelNames: ['provider', 'outcome'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers
    })
    this.#logins = new Counter({
      name: 'stsgate_mqtt_logins_total', help: 'MQTT login decisions on the embedded broker, by kind (device, gateway, service)', labelNames: ['kind', 'result'], registers
    })
    this.#dropped = new Counter({
      name: 'stsgate_mqtt_publishes_dropped_total', help: 'MQTT publishes refused by the topic ACL, by login kind', labelNames: ['kind'], registers
    })
    this.#connectionsRefused = new Counter({
      name: 'stsgate_mqtt_connections_refused_total', help: 'MQTT connections the embedded broker closed for their size or slowness, by reason (docs/operations.md)',
      labelNames: ['reason'], registers
    })
    this.#loginsRefused = new Counter({
      name: 'stsgate_mqtt_login_refusals_total', help: 'MQTT logins the embedded broker refused, by reason (docs/operations.md)',
      labelNames: ['reason'], registers
    })
    this.#sessionLimits = new Counter({
      name: 'stsgate_mqtt_session_limit_events_total', help: 'RETAINs not stored, messages not queued for a full queue, persistent sessions expired (docs/operations.md)',
      labelNames: ['event'], registers
    })
    this.#mirrorCredentialCounters(registers)
    this.#mirrorMqtt(registers)
    this.#mirrorReplayWindow(registers)
  }

  /** The credential service whose counters are mirrored at scrape time. */
  collectCredentials (source: CredentialSource): void { this.#credentials = source }

  /** The in-memory replay window (none when Redis holds it). */
  collectReplayWindow (source: ReplayWindowStats): void { this.#replay = source }

  /** Called by server.ts once MQTT runs. */
  collectMqtt (source: MqttSource): void { this.#mqtt = source }

  /** Children bound to one (method, route, status): labels are hashed once per combination, not per request. */
  readonly #requestChildren = new Map<string, { count: { inc: () => void }, time: { observe: (v: number) => void } }>()

  readonly observeRequest = (method: string, route: string, statusCode: number, seconds: number): void => {
    const key = `${method} ${statusCode} ${route}`
    let children = this.#requestChildren.get(key)
    if (children === undefined) {
      const labels = { method, route, status_code: String(statusCode) }
      children = { count: this.#requests.labels(labels), time: this.#requestSeconds.labels(labels) }
      this.#requestChildren.set(key, children)
    }
    children.count.inc()
    children.time.observe(seconds)
  }

  readonly observeUpstream = (provider: ProviderName, seconds: number, ok: boolean): void => {
    this.#upstreamSeconds.observe({ provider, outcome: ok ? 'success' : 'failure' }, seconds)
  }

  readonly recordLogin = (kind: LoginKind, accepted: boolean): void => {
    this.#logins.inc({ kind, result: accepted ? 'accepted' : 'refused' })
  }

  readonly recordPublishDropped = (kind: LoginKind | 'unknown'): void => { this.#dropped.inc({ kind }) }

  readonly recordConnectionRefused = (reason: GuardCloseReason): void => { this.#connectionsRefused.inc({ reason }) }

  readonly recordLoginRefused = (reason: LoginRefusal): void => { this.#loginsRefused.inc({ reason }) }

  readonly recordSessionLimit = (event: SessionLimitEvent): void => { this.#sessionLimits.inc({ event }) }

  /** Text exposition format, and its content type. */
  async exposition (): Promise<{ text: string, contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType }
  }

  #mirrorCredentialCounters (registers: Registry[]): void {
    const counters = (): CredentialCounters | undefined => this.#credentials?.counters
    // A counter whose value lives elsewhere: reset, then set to the source's total at each scrape.
    const scalar = (name: string, help: string, read: (c: CredentialCounters) => number): void => {
      new Counter({ name, help, registers, collect () { const c = counters(); if (c !== undefined) { this.reset(); this.inc(read(c)) } } })
    }
    scalar('stsgate_credential_cache_hits_total', 'Vends served from the credential cache', (c) => c.hits)
    scalar('stsgate_credential_cache_misses_total', 'Vends that had to mint (or join a mint under way)', (c) => c.misses)
    scalar('stsgate_credential_refreshes_total', 'Background refreshes started ahead of expiry', (c) => c.refreshes)
    scalar('stsgate_credential_stale_served_total', 'Cached credentials served below the usual minimum because the upstream failed', (c) => c.staleServed)
    scalar('stsgate_credential_mint_budget_rejections_total', 'Mints refused by the per-project mint budget', (c) => c.budgetRejections)
    scalar('stsgate_credential_negative_cache_hits_total', 'Mints answered from the short negative cache of upstream failures', (c) => c.negativeHits)
    const perProvider = (name: string, help: string, read: (c: CredentialCounters) => Record<ProviderName, number>): void => {
      new Counter({
        name, help, labelNames: ['provider'], registers,
        collect () {
          const c = counters()
          if (c === undefined) return
          this.reset()
          for (const provider of PROVIDERS) this.inc({ provider }, read(c)[provider])
        }
      })
    }
    perProvider('stsgate_upstream_calls_total', 'Upstream mint calls, by provider', (c) => c.upstreamCalls)
    perProvider('stsgate_upstream_failures_total', 'Upstream mint calls that failed, by provider', (c) => c.upstreamFailures)
    const credentials = (): CredentialSource | undefined => this.#credentials
    new Gauge({
      name: 'stsgate_credential_cache_entries', help: 'Credentials held in this instance\'s cache', registers,
      collect () { const source = credentials(); if (source !== undefined) this.set(source.cacheSize) }
    })
  }

  #mirrorMqtt (registers: Registry[]): void {
    const mqtt = (): MqttSource => this.#mqtt
    new Gauge({
      name: 'stsgate_mqtt_connections', help: 'Accepted MQTT connections live on this instance\'s embedded broker', registers,
      collect () { const count = mqtt().connections; this.set(count === undefined ? 0 : count()) }
    })
    new Counter({
      name: 'stsgate_dji_storage_config_replies_total', help: 'DJI storage_config_get replies published, by data.result code (docs/dji.md)',
      labelNames: ['result'], registers,
      collect () {
        const results = mqtt().storageConfig?.results
        if (results === undefined) return
        this.reset()
        for (const [result, count] of Object.entries(results)) this.inc({ result }, count)
      }
    })
    new Counter({
      name: 'stsgate_dji_storage_config_requests_total', help: 'Messages seen on thing/product/+/requests, by what became of them',
      labelNames: ['outcome'], registers,
      collect () {
        const c = mqtt().storageConfig
        if (c === undefined) return
        this.reset()
        this.inc({ outcome: 'received' }, c.received)
        this.inc({ outcome: 'other_method' }, c.otherMethods)
        this.inc({ outcome: 'repeat' }, c.repeats)
        this.inc({ outcome: 'publish_failed' }, c.publishFailures)
        for (const [reason, count] of Object.entries(c.malformed)) this.inc({ outcome: `malformed_${reason}` }, count)
      }
    })
  }

  #mirrorReplayWindow (registers: Registry[]): void {
    const replay = (): ReplayWindowStats | undefined => this.#replay
    const gauge = (name: string, help: string, read: (r: ReplayWindowStats) => number): void => {
      new Gauge({ name, help, registers, collect () { const r = replay(); if (r !== undefined) this.set(read(r)) } })
    }
    gauge('stsgate_replay_window_entries', 'Signed requests remembered by this instance\'s in-memory replay window', (r) => r.entries)
    gauge('stsgate_replay_window_bytes', 'Memory of the in-memory replay window\'s fingerprint tables', (r) => r.bytes)
    gauge('stsgate_replay_window_budget_bytes', 'The replay window\'s memory budget (STSGATE_REPLAY_MEMORY_MB)', (r) => r.budgetBytes)
    new Counter({
      name: 'stsgate_replay_window_refusals_total', help: 'Signed requests refused (503 replay_window_full) because the replay window was at its memory budget', registers,
      collect () { const r = replay(); if (r !== undefined) { this.reset(); this.inc(r.refusals) } }
    })
  }
}
