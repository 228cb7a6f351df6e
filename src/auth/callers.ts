import { forbidden, unauthenticated } from '../errors.js'
import type { AccessKeyForAuth } from '../store/access-keys.js'
import type { StoreChange } from '../store/context.js'
import type { Store } from '../store/store.js'
import { hashToken } from '../keys.js'

/** Who is calling, once authenticated: always exactly one project. */
export interface Caller {
  projectId: string
  /** For audit and rate limits: `ak:<id>` or `token:<id>`. */
  principal: string
}

interface Cached<T> { value: T | undefined, until: number }

/**
 * Access keys and tokens, cached in memory for the hot path. Entries are
 * dropped the moment the store reports a change (on every instance, through
 * LISTEN/NOTIFY), and in any case after `ttlMs`, so a missed notification
 * (connection blip) heals itself.
 */
export class CallerDirectory {
  readonly #keys = new Map<string, Cached<AccessKeyForAuth>>()
  /** Keyed by token hash: the plain token is never kept. */
  readonly #tokens = new Map<string, Cached<{ tokenId: string, projectId: string, expiresAt: Date, disabled: boolean }>>()
  readonly #now: () => number
  readonly #ttlMs: number
  readonly #maxEntries: number

  constructor (private readonly store: Store, options: { ttlMs?: number, now?: () => number, maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#maxEntries = options.maxEntries ?? 10_000
    store.onChange((change) => this.invalidate(change))
  }

  /** The key record for signature verifiers (unknown → undefined; disabled ones are returned, flagged). */
  async lookupAccessKey (accessKeyId: string): Promise<AccessKeyForAuth | undefined> {
    return this.#cached(this.#keys, accessKeyId, () => this.store.accessKeys.findForAuth(accessKeyId))
  }

  /** X-Auth-Token → caller, or the reason it cannot be one. */
  async verifyToken (token: string): Promise<Caller> {
    const hash = hashToken(token)
    const record = await this.#cached(this.#tokens, hash, async () => {
      const found = await this.store.tokens.findForAuth(token)
      return found === undefined ? undefined : { tokenId: found.tokenId, projectId: found.projectId, expiresAt: found.expiresAt, disabled: found.disabled }
    })
    if (record === undefined) throw unauthenticated('token_invalid', 'the X-Auth-Token is not valid')
    if (record.expiresAt.getTime() <= this.#now()) throw unauthenticated('token_expired', 'the X-Auth-Token has expired')
    if (record.disabled) throw forbidden('token_disabled', 'the X-Auth-Token was revoked or its project is disabled')
    return { projectId: record.projectId, principal: `token:${record.tokenId}` }
  }

  invalidate (change: StoreChange): void {
    if (change.kind === 'access_key') {
      this.#keys.delete(change.id)
    } else if (change.kind === 'token') {
      for (const [hash, entry] of this.#tokens) if (entry.value?.tokenId === change.id) this.#tokens.delete(hash)
    } else if (change.kind === 'project') {
      for (const [id, entry] of this.#keys) if (entry.value === undefined || entry.value.projectId === change.projectId) this.#keys.delete(id)
      for (const [hash, entry] of this.#tokens) if (entry.value === undefined || entry.value.projectId === change.projectId) this.#tokens.delete(hash)
    }
  }

  async #cached<T> (map: Map<string, Cached<T>>, key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const now = this.#now()
    const hit = map.get(key)
    if (hit !== undefined && hit.until > now) return hit.value
    const value = await load()
    // Unknown keys are cached briefly too, so a flood of made-up ids costs one query each per TTL at most.
    if (map.size >= this.#maxEntries) map.delete(map.keys().next().value as string)
    map.set(key, { value, until: now + (value === undefined ? Math.min(this.#ttlMs, 2000) : this.#ttlMs) })
    return value
  }
}
