import type { StoreChange } from '../store/context.js'
import type { GatewayLookup } from './storage-config.js'
import { InvalidatedCache, type InvalidatedCacheOptions } from '../store/invalidated-cache.js'

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
  readonly #entries: InvalidatedCache<NonNullable<Found>>

  constructor (private readonly store: GatewayStore, options: InvalidatedCacheOptions = {}) {
    this.#entries = new InvalidatedCache(options)
    store.onChange((change) => this.invalidate(change))
  }

  invalidate (change: StoreChange): void {
    if (change.kind === 'gateway') {
      this.#entries.delete(change.id)
    } else if (change.kind === 'target' || change.kind === 'project') {
      this.#entries.deleteWhere((found) => found === undefined || found.gateway.projectId === change.projectId)
    }
  }

  async resolveForVend (sn: string): Promise<Found> {
    return this.#entries.get(sn, () => this.store.gateways.resolveForVend(sn))
  }
}
