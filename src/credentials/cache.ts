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

interface Entry { projectId: string, credential: CachedCredential }

/**
 * LRU over scope keys. A project may hold at most `maxPerProject` entries, so
 * one tenant's many distinct scopes (Workspace file names) evict its own
 * entries, not everyone else's.
 */
export class CredentialLru {
  readonly #entries = new Map<string, Entry>()         // insertion order = recency
  readonly #byProject = new Map<string, Set<string>>() // same order, per project

  constructor (readonly maxEntries: number, readonly maxPerProject: number) {
    if (maxEntries < 1 || maxPerProject < 1) throw new Error('cache sizes must be at least 1')
  }

  get size (): number { return this.#entries.size }

  /** The entry, marked as most recently used. */
  get (key: string): CachedCredential | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    const keys = this.#byProject.get(entry.projectId)!
    keys.delete(key)
    keys.add(key)
    return entry.credential
  }

  set (key: string, projectId: string, credential: CachedCredential): void {
    this.delete(key)
    let keys = this.#byProject.get(projectId)
    if (keys === undefined) this.#byProject.set(projectId, keys = new Set())
    if (keys.size >= this.maxPerProject) this.delete(keys.values().next().value!)
    if (this.#entries.size >= this.maxEntries) this.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { projectId, credential })
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
