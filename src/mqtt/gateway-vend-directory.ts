import type { StoreChange } from '../store/context.js'
import type { GatewayLookup } from './storage-config.js'

type Found = Awaited<ReturnType<GatewayLookup['resolveForVend']>>

/** What the directory needs of the store: the lookup and its change feed. */
export interface GatewayStore {
  gateways: GatewayLookup
  onChange (listener: (change: StoreChange) => void): unknown
}

/**
 * A dock's gateway, its target (decrypted) and whether it may vend, cached for
 * the storage_config_get hot path: without it every request cost two store
 * queries and a decryption. A gateway change drops that sn, a target or
 * project change drops the project's entries, on every instance (store
 * notifications); the TTL heals a missed notification — the same rule as
 * the binding and caller directories.
 */
export class GatewayVendDirectory implements GatewayLookup {
  readonly #entries = new Map<string, { value: Found, projectId: string | undefined, until: number }>()
  readonly #now: () => number
  readonly #ttlMs: number
  readonly #maxEntries: number
  /** Bumped by every invalidation: a lookup that raced one is not cached. */
  #generation = 0

  constructor (private readonly store: GatewayStore, options: { ttlMs?: number, now?: () => number, maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#maxEntries = options.maxEntries ?? 10_000
    store.onChange((change) => this.invalidate(change))
  }

  invalidate (change: StoreChange): void {
    this.#generation++
    if (change.kind === 'gateway') {
      this.#entries.delete(change.id)
    } else if (change.kind === 'target' || change.kind === 'project') {
      for (const [sn, entry] of this.#entries) {
        if (entry.projectId === undefined || entry.projectId === change.projectId) this.#entries.delete(sn)
      }
    }
  }

  async resolveForVend (sn: string): Promise<Found> {
    const now = this.#now()
    const hit = this.#entries.get(sn)
    if (hit !== undefined && hit.until > now) return hit.value
    const generation = this.#generation
    const value = await this.store.gateways.resolveForVend(sn)
    if (generation !== this.#generation) return value
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string)
    // Unknown sns briefly too, so a flood of made-up sns costs one query each per 2 s at most.
    this.#entries.set(sn, { value, projectId: value?.gateway.projectId, until: now + (value === undefined ? Math.min(this.#ttlMs, 2000) : this.#ttlMs) })
    return value
  }
}
