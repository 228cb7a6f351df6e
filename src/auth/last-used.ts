import { PeriodicFlush } from '../periodic-flush.js'

/**
 * When each access key and token was last used, without a write per request
 * (the same batching as the vend audit, src/credentials/vend-audit.ts):
 * `record` only notes the time in memory; a timer writes every key and token
 * seen since the last flush in one statement each, and `close` writes what is
 * left. A failed flush keeps its entries (a later use only moves them
 * forward) and is retried on the next tick. The times are therefore up to one
 * interval old — enough to tell which key is safe to retire.
 */
export interface LastUsedSink {
  accessKeys: { recordLastUsed (uses: ReadonlyMap<string, Date>): Promise<void> }
  tokens: { recordLastUsed (uses: ReadonlyMap<string, Date>): Promise<void> }
}

export interface LastUsedOptions {
  intervalMs?: number
  logger?: { warn (obj: object, msg: string): void }
  now?: () => number
}

export class LastUsedLog {
  readonly #sink: LastUsedSink
  /** Id → epoch ms of its latest use (a Date is made only when a flush writes it). */
  #keys = new Map<string, number>()
  #tokens = new Map<string, number>()
  readonly #logger: LastUsedOptions['logger']
  readonly #now: () => number
  readonly #flusher: PeriodicFlush

  constructor (sink: LastUsedSink, options: LastUsedOptions = {}) {
    this.#sink = sink
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.#flusher = new PeriodicFlush(() => this.#write(), options.intervalMs ?? 5_000)
  }

  /** Notes a successful authentication by `ak:<id>` or `token:<id>`; anything else is ignored. Never waits. */
  record (principal: string): void {
    if (principal.startsWith('ak:')) this.#keys.set(principal.slice(3), this.#now())
    else if (principal.startsWith('token:')) this.#tokens.set(principal.slice(6), this.#now())
  }

  get pending (): number { return this.#keys.size + this.#tokens.size }

  /** Writes every use noted so far; resolves even when the store fails. */
  flush (): Promise<void> { return this.#flusher.flush() }

  close (): Promise<void> { return this.#flusher.close() }

  async #write (): Promise<void> {
    const keys = this.#keys
    const tokens = this.#tokens
    if (keys.size === 0 && tokens.size === 0) return
    this.#keys = new Map()
    this.#tokens = new Map()
    try {
      await this.#sink.accessKeys.recordLastUsed(asDates(keys))
      await this.#sink.tokens.recordLastUsed(asDates(tokens))
    } catch (err) {
      this.#logger?.warn({ err, pending: keys.size + tokens.size }, 'last-used flush failed; retrying on the next tick')
      // Put them back unless a newer use was noted meanwhile.
      for (const [id, at] of keys) if (!this.#keys.has(id)) this.#keys.set(id, at)
      for (const [id, at] of tokens) if (!this.#tokens.has(id)) this.#tokens.set(id, at)
    }
  }
}

const asDates = (uses: ReadonlyMap<string, number>): Map<string, Date> => new Map([...uses].map(([id, at]) => [id, new Date(at)]))
