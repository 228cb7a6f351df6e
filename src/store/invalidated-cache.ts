/**
 * An in-memory cache of store lookups for the hot path, emptied by store
 * change notifications (every instance hears them) and, in any case, after a
 * TTL, so a missed notification heals itself.
 *
 * - A lookup that was in flight while an invalidation happened is returned but
 *   not cached: it may have read the row just before the change committed, and
 *   caching it would serve a disabled key or an old binding for a whole TTL.
 * - "Not found" is cached too, briefly, so a flood of made-up ids costs one
 *   store query per id per `missTtlMs` at most.
 * - Bounded: past `maxEntries` the oldest entry goes.
 */
export interface InvalidatedCacheOptions {
  ttlMs?: number
  missTtlMs?: number
  maxEntries?: number
  now?: () => number
}

export class InvalidatedCache<V> {
  readonly #entries = new Map<string, { value: V | undefined, until: number }>()
  readonly #ttlMs: number
  readonly #missTtlMs: number
  readonly #maxEntries: number
  readonly #now: () => number
  /** Bumped by every invalidation. */
  #generation = 0

  constructor (options: InvalidatedCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#missTtlMs = Math.min(this.#ttlMs, options.missTtlMs ?? 2_000)
    this.#maxEntries = options.maxEntries ?? 10_000
    this.#now = options.now ?? Date.now
  }

  async get (key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const now = this.#now()
    const hit = this.#entries.get(key)
    if (hit !== undefined && hit.until > now) return hit.value
    const generation = this.#generation
    const value = await load()
    if (generation !== this.#generation) return value
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) {
      for (const oldest of this.#entries.keys()) { this.#entries.delete(oldest); break }
    }
    this.#entries.set(key, { value, until: now + (value === undefined ? this.#missTtlMs : this.#ttlMs) })
    return value
  }

  delete (key: string): void {
    this.#generation++
    this.#entries.delete(key)
  }

  /** Drops every entry the predicate picks (`value` is undefined for a cached "not found"). */
  deleteWhere (pick: (value: V | undefined, key: string) => boolean): void {
    this.#generation++
    for (const [key, entry] of this.#entries) if (pick(entry.value, key)) this.#entries.delete(key)
  }
}
