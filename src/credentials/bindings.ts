import type { Store } from '../store/store.js'
import type { BindingKind } from '../store/targets.js'
import type { StorageTarget } from './target.js'

export interface ResolvedBinding { target: StorageTarget, prefix: string }

/**
 * A project's contract bindings (target decrypted, prefix), cached for the
 * vend hot path. A binding, target or project change drops the project's
 * entries on every instance (store notifications); the TTL heals a missed one.
 */
export class BindingDirectory {
  readonly #entries = new Map<string, { value: ResolvedBinding | undefined, until: number }>()
  readonly #now: () => number
  readonly #ttlMs: number

  constructor (private readonly store: Store, options: { ttlMs?: number, now?: () => number } = {}) {
    this.#now = options.now ?? Date.now
    this.#ttlMs = options.ttlMs ?? 30_000
    store.onChange((change) => {
      if (change.kind === 'binding' || change.kind === 'target' || change.kind === 'project') {
        for (const kind of ['edas', 'workspace'] as const) this.#entries.delete(`${change.projectId}:${kind}`)
      }
    })
  }

  /** undefined: the project has no binding of that kind. */
  async resolve (projectId: string, kind: BindingKind): Promise<ResolvedBinding | undefined> {
    const key = `${projectId}:${kind}`
    const now = this.#now()
    const hit = this.#entries.get(key)
    if (hit !== undefined && hit.until > now) return hit.value
    const value = await this.store.targets.resolveBinding(projectId, kind)
    this.#entries.set(key, { value, until: now + this.#ttlMs })
    return value
  }
}
