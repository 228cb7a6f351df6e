/**
 * The pieces of credential reuse (docs/upstream.md, "Reuse"), memory only because
 * entries hold secrets: a bounded LRU with a per-project share, a per-project
 * minting budget, and a short negative cache for failing scopes.
 */

export interface CachedCredential {
  accessKeyId: string
  secret: string
  securityToken: string
  expiresAt: Date
  policy: string
}

interface Entry { projectId: string, credential: CachedCredential, /** Read since it last reached the eviction end. */ used: boolean }

/**
 * A bounded cache over scope keys, evicting like an LRU without an LRU's cost
 * on reads: a hit only sets the entry's `used` bit (no Map is touched), and
 * eviction gives the oldest entry a second chance — a used entry goes to the
 * back with its bit cleared, the first unused one goes (CLOCK). A project may
 * hold at most `maxPerProject` entries, so one tenant's many distinct scopes
 * (Workspace file names) evict its own entries, not everyone else's.
 */
export class CredentialLru {
  readonly #entries = new Map<string, Entry>()         // insertion order
  readonly #byProject = new Map<string, Set<string>>() // same order, per project

  constructor (readonly maxEntries: number, readonly maxPerProject: number) {
    if (maxEntries < 1 || maxPerProject < 1) throw new Error('cache sizes must be at least 1')
  }

  get size (): number { return this.#entries.size }

  /** The entry, marked as used. */
  get (key: string): CachedCredential | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    entry.used = true
    return entry.credential
  }

  set (key: string, projectId: string, credential: CachedCredential): void {
    this.delete(key)
    const own = this.#byProject.get(projectId)
    if (own !== undefined && own.size >= this.maxPerProject) this.delete(this.#victim(own))
    if (this.#entries.size >= this.maxEntries) this.delete(this.#victim(this.#entries.keys()))
    // Looked up after evicting: evicting a project's last entry drops its set.
    let keys = this.#byProject.get(projectId)
    if (keys === undefined) this.#byProject.set(projectId, keys = new Set())
    this.#entries.set(key, { projectId, credential, used: false })
    keys.add(key)
  }

  delete (key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    const keys = this.#byProject.get(entry.projectId)!
    keys.delete(key)
    if (keys.size === 0) this.#byProject.delete(entry.projectId)
  }

  /**
   * The oldest key in `order` (a live view of one of the two Maps, oldest
   * first) not used since its last chance. A used one on the way loses its
   * bit and moves to the back of both orders, where this same walk meets it
   * again, now unused: the walk always ends within one round.
   */
  #victim (order: Iterable<string>): string {
    for (const key of order) {
      const entry = this.#entries.get(key)!
      if (!entry.used) return key
      entry.used = false
      this.#entries.delete(key)
      this.#entries.set(key, entry)
      const keys = this.#byProject.get(entry.projectId)!
      keys.delete(key)
      keys.add(key)
    }
    /* c8 ignore next -- set() asks only of a full, so non-empty, order */
    throw new Error('no entry to evict')
  }
}

/** Token bucket per project: `ratePerSecond` refill, `burst` capacity. */
export class MintBudget {
  readonly #buckets = new Map<string, { tokens: number, at: number }>()

  constructor (readonly ratePerSecond: number, readonly burst: number) {}

  /** Take one mint from the project's budget; false when it is spent. */
  take (projectId: string, nowMs: number): boolean {
    const bucket = this.#buckets.get(projectId) ?? { tokens: this.burst, at: nowMs }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, nowMs - bucket.at) / 1000) * this.ratePerSecond)
    bucket.at = nowMs
    this.#buckets.set(projectId, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}

/** Recent upstream failures per scope key, so a failing scope is not retried on every request. */
export class NegativeCache {
  readonly #failures = new Map<string, { error: Error, until: number }>()

  constructor (readonly ttlMs: number, readonly maxEntries: number) {}

  get (key: string, nowMs: number): Error | undefined {
    const hit = this.#failures.get(key)
    if (hit === undefined) return undefined
    if (hit.until <= nowMs) {
      this.#failures.delete(key)
      return undefined
    }
    return hit.error
  }

  set (key: string, error: Error, nowMs: number): void {
    this.#failures.delete(key)
    if (this.#failures.size >= this.maxEntries) this.#failures.delete(this.#failures.keys().next().value!)
    this.#failures.set(key, { error, until: nowMs + this.ttlMs })
  }

  delete (key: string): void { this.#failures.delete(key) }
}
