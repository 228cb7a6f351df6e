/**
 * Request counts per key in fixed windows (the rate limits' own counters when
 * there is no Redis): counting a request is one Map increment. A window ends
 * for every key at once and its Map is dropped whole; there are no per-key
 * timers and nothing to sweep. At `maxKeys` distinct keys in one window, a
 * new key starts the next window early: memory stays bounded, and, as with
 * the LRU this replaces, a flood of distinct addresses costs everyone their
 * count rather than growing without bound.
 */
export class WindowCounters {
  #counts = new Map<string, number>()
  #endsAt: number

  constructor (
    private readonly windowMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now
  ) {
    this.#endsAt = now() + windowMs
  }

  /** Counts one request for `key`; returns its count in the current window, this one included. */
  hit (key: string): number {
    const now = this.now()
    let counts = this.#counts
    if (now >= this.#endsAt || (counts.size >= this.maxKeys && !counts.has(key))) {
      counts = this.#counts = new Map()
      this.#endsAt = now + this.windowMs
    }
    const count = (counts.get(key) ?? 0) + 1
    counts.set(key, count)
    return count
  }

  /** Whole seconds until the current window ends (at least 1): the Retry-After of a refusal. */
  secondsLeft (): number {
    return Math.max(1, Math.ceil((this.#endsAt - this.now()) / 1000))
  }
}
