import type { CredentialCounters } from '../credentials/service.js'
import type { ProviderName } from '../domain/target.js'

/**
 * The operator console's charts: one sample every 10 s of the counters this
 * instance keeps, held for an hour in a ring buffer per metric. Per instance,
 * like the counters themselves (behind a load balancer each call reports the
 * instance that answered); nothing is stored, so a restart starts empty.
 */
export const SERIES_INTERVAL_MS = 10_000
const SAMPLES = 360

export interface SeriesSource {
  readonly counters: CredentialCounters
  /** Live MQTT sessions on this instance, or undefined when it runs no broker. */
  mqttSessions: () => number | undefined
}

export interface SeriesPoint {
  /** End of the interval. */
  at: number
  vends: number
  hits: number
  misses: number
  upstreamCalls: Record<ProviderName, number>
  upstreamFailures: Record<ProviderName, number>
  mqttSessions: number | null
}

interface Totals { vends: number, hits: number, misses: number, calls: Record<ProviderName, number>, failures: Record<ProviderName, number> }

const PROVIDERS: readonly ProviderName[] = ['local', 'aliyun', 'aws', 'huawei']

/** A fixed-size ring: the newest `SAMPLES` points, oldest first when read. */
class Ring<T> {
  readonly #items: Array<T | undefined>
  #next = 0
  #size = 0
  constructor (capacity: number) { this.#items = new Array<T | undefined>(capacity) }
  push (item: T): void {
    this.#items[this.#next] = item
    this.#next = (this.#next + 1) % this.#items.length
    this.#size = Math.min(this.#size + 1, this.#items.length)
  }

  toArray (): T[] {
    const start = (this.#next - this.#size + this.#items.length) % this.#items.length
    return Array.from({ length: this.#size }, (_, i) => this.#items[(start + i) % this.#items.length] as T)
  }
}

export class MetricSeries {
  readonly #source: SeriesSource
  readonly #now: () => number
  readonly #points = new Ring<SeriesPoint>(SAMPLES)
  #last: Totals
  #lastAt: number
  #timer: NodeJS.Timeout | undefined

  constructor (source: SeriesSource, now: () => number = Date.now) {
    this.#source = source
    this.#now = now
    this.#last = this.#totals()
    this.#lastAt = now()
  }

  start (intervalMs = SERIES_INTERVAL_MS): void {
    this.#timer ??= setInterval(() => { this.sample() }, intervalMs)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Closes the current interval into a point. */
  sample (): void {
    this.#points.push(this.#since(this.#last, this.#totals()))
    this.#last = this.#totals()
    this.#lastAt = this.#now()
  }

  /** The last hour's points, oldest first, and the interval still open (so a vend shows before the next sample). */
  read (): { points: SeriesPoint[], current: SeriesPoint, since: number } {
    return { points: this.#points.toArray(), current: this.#since(this.#last, this.#totals()), since: this.#lastAt }
  }

  #totals (): Totals {
    const c = this.#source.counters
    return { vends: c.hits + c.misses, hits: c.hits, misses: c.misses, calls: { ...c.upstreamCalls }, failures: { ...c.upstreamFailures } }
  }

  #since (before: Totals, after: Totals): SeriesPoint {
    const delta = (read: (t: Totals) => Record<ProviderName, number>): Record<ProviderName, number> =>
      Object.fromEntries(PROVIDERS.map((p) => [p, read(after)[p] - read(before)[p]])) as Record<ProviderName, number>
    return {
      at: this.#now(),
      vends: after.vends - before.vends,
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      upstreamCalls: delta((t) => t.calls),
      upstreamFailures: delta((t) => t.failures),
      mqttSessions: this.#source.mqttSessions() ?? null
    }
  }
}
