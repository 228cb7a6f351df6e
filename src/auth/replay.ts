/**
 * Replay window for signed requests (security.md rule 2): a nonce (Alibaba) or
 * a signature (Huawei) is remembered until its request time + the skew window,
 * and recorded only after the signature verified, so garbage cannot burn nonces.
 */
export interface ReplayGuard {
  /**
   * Records `key` until `expiresAtMs`. Resolves true when the key was new,
   * false when it was already recorded (a replay).
   */
  remember (key: string, expiresAtMs: number): Promise<boolean>
}

/** Per-instance replay window; a Redis-backed guard shares it across instances. */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #seen = new Map<string, number>()
  #nextSweep = 0

  constructor (private readonly now: () => number = Date.now) {}

  async remember (key: string, expiresAtMs: number): Promise<boolean> {
    const now = this.now()
    this.#sweep(now)
    const until = this.#seen.get(key)
    if (until !== undefined && until > now) return false
    this.#seen.set(key, expiresAtMs)
    return true
  }

  get size (): number { return this.#seen.size }

  /** Drops expired keys at most once a second; insertion order ≈ expiry order. */
  #sweep (now: number): void {
    if (now < this.#nextSweep) return
    this.#nextSweep = now + 1000
    for (const [key, until] of this.#seen) {
      if (until <= now) this.#seen.delete(key)
    }
  }
}
