import type { Store } from '../store/store.js'
import type { BindingKind } from '../store/targets.js'
import type { StorageTarget } from '../domain/target.js'
import { InvalidatedCache, type InvalidatedCacheOptions } from '../store/invalidated-cache.js'

export interface ResolvedBinding { target: StorageTarget, prefix: string }

/**
 * A project's contract bindings (target decrypted, prefix), cached for the
 * vend hot path. A binding, target or project change drops the project's
 * entries on every instance (store notifications); the TTL heals a missed one.
 */
export class BindingDirectory {
  readonly #entries: InvalidatedCache<ResolvedBinding>

  constructor (private readonly store: Store, options: InvalidatedCacheOptions = {}) {
    this.#entries = new InvalidatedCache(options)
    store.onChange((change) => {
      if (change.kind === 'binding' || change.kind === 'target' || change.kind === 'project') {
        this.#entries.deleteWhere((_value, key) => key.startsWith(`${change.projectId}:`))
      }
    })
  }

  /** undefined: the project has no binding of that kind. */
  async resolve (projectId: string, kind: BindingKind): Promise<ResolvedBinding | undefined> {
    return this.#entries.get(`${projectId}:${kind}`, () => this.store.targets.resolveBinding(projectId, kind))
  }
}
