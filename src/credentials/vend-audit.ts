import type { AuditEvent } from '../store/audit.js'
import { vendChain } from '../store/audit.js'
import type { Scope } from '../domain/scope.js'
import { normalizeActions, scopeKey } from '../domain/scope.js'
import { PeriodicFlush } from '../periodic-flush.js'

/**
 * Vend events, batched (docs/security.md rule 8): `record` only queues, so the hot
 * path never waits on the store; a timer flushes the queue at least every
 * `intervalMs` into this instance's own chain (`vend:<instance id>`), one
 * transaction per batch, and `close` flushes what is left. A failed flush
 * keeps the batch at the head of the queue and is retried on the next tick;
 * the queue is bounded, and what overflows is dropped, counted and logged
 * rather than growing memory without limit while the store is down.
 *
 * Identical vends within one flush window — same caller, contract, scope and
 * credential — are one event with a `count` and the window's first and last
 * time: a client polling a cached credential thousands of times a second is
 * still fully accounted for, without a row (and a hash) per request.
 */
export interface VendRecord {
  scope: Scope
  /** scopeKey(scope), when the caller has it already. */
  scopeKey?: string
  /** Who asked: `ak:<id>`, `token:<id>`, `gateway:<sn>`. */
  principal: string
  /** `edas`, `workspace`, `dji`. */
  contract: string
  expiresAt: Date
  fromCache: boolean
}

export interface VendAuditSink {
  appendAudit (chain: string, events: readonly AuditEvent[]): Promise<void>
}

export interface VendAuditLogger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export interface VendAuditOptions {
  instanceId: string
  intervalMs?: number
  /** Events held at most while the store does not answer. */
  maxQueue?: number
  /** Events per transaction. */
  maxBatch?: number
  logger?: VendAuditLogger
  now?: () => number
}

export interface VendAuditCounters {
  /** Vends recorded (identical ones in a window share an event). */
  recorded: number
  /** Events written to the chain. */
  written: number
  dropped: number
  flushFailures: number
}

export class VendAuditLog {
  readonly chain: string
  readonly counters: VendAuditCounters = { recorded: 0, written: 0, dropped: 0, flushFailures: 0 }
  readonly #sink: VendAuditSink
  readonly #queue: AuditEvent[] = []
  /**
   * This window's events by what was vended to whom, each with the time of its
   * latest vend (a number: the ISO text is written once, when a flush takes
   * the window); cleared when a flush takes the queue.
   */
  readonly #window = new Map<string, { event: AuditEvent & { detail: { count: number, last_at: string } }, lastAt: number }>()
  readonly #maxQueue: number
  readonly #maxBatch: number
  readonly #logger: VendAuditLogger | undefined
  readonly #now: () => number
  readonly #flusher: PeriodicFlush
  #lastDropLog = 0

  constructor (sink: VendAuditSink, options: VendAuditOptions) {
    this.chain = vendChain(options.instanceId)
    this.#sink = sink
    this.#maxQueue = options.maxQueue ?? 100_000
    this.#maxBatch = options.maxBatch ?? 5_000
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.#flusher = new PeriodicFlush(() => this.#drain(), options.intervalMs ?? 1_000)
  }

  get pending (): number { return this.#queue.length }

  /** Queues one vend; never throws, never waits. Carries no secret, only what was granted. */
  record (vend: VendRecord): void {
    const { scope } = vend
    const now = this.#now()
    const key = `${vend.principal}\n${vend.contract}\n${vend.scopeKey ?? scopeKey(scope)}\n${vend.expiresAt.getTime()}\n${vend.fromCache}`
    const same = this.#window.get(key)
    if (same !== undefined) {
      this.counters.recorded++
      same.event.detail.count++
      same.lastAt = now
      return
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.counters.dropped++
      // One line per ten seconds at most: an outage must not also flood the log.
      if (now - this.#lastDropLog >= 10_000) {
        this.#lastDropLog = now
        this.#logger?.error({ dropped: this.counters.dropped, queued: this.#queue.length }, 'vend audit queue full: dropping vend events')
      }
      return
    }
    this.counters.recorded++
    const at = new Date(now)
    const event = {
      at,
      projectId: scope.projectId,
      actor: vend.principal,
      action: 'credential.vend',
      subject: scope.target.id,
      detail: {
        contract: vend.contract,
        ...(scope.resource.kind === 'prefix' ? { prefix: scope.resource.prefix } : { object: scope.resource.key }),
        actions: normalizeActions(scope.actions),
        duration_seconds: scope.durationSeconds,
        expires_at: vend.expiresAt.toISOString(),
        from_cache: vend.fromCache,
        count: 1,
        last_at: at.toISOString()
      }
    }
    this.#queue.push(event)
    this.#window.set(key, { event, lastAt: now })
  }

  /** Writes everything queued so far (several batches if needed); resolves even when the store fails. */
  flush (): Promise<void> { return this.#flusher.flush() }

  /** Stops the timer and flushes; later events are still queued but only an explicit flush writes them. */
  close (): Promise<void> { return this.#flusher.close() }

  async #drain (): Promise<void> {
    // Events queued from here on start a new window: those being written must not change under the writer.
    for (const { event, lastAt } of this.#window.values()) event.detail.last_at = new Date(lastAt).toISOString()
    this.#window.clear()
    // Only what was queued before this drain: later events belong to the next window and may still be counted up.
    let remaining = this.#queue.length
    while (remaining > 0) {
      const batch = this.#queue.slice(0, Math.min(this.#maxBatch, remaining))
      try {
        await this.#sink.appendAudit(this.chain, batch)
      } catch (err) {
        this.counters.flushFailures++
        this.#logger?.warn({ err, queued: this.#queue.length }, 'vend audit flush failed; retrying on the next tick')
        return
      }
      this.#queue.splice(0, batch.length)
      remaining -= batch.length
      this.counters.written += batch.length
    }
  }
}
