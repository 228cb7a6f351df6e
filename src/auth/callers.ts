import { forbidden, unauthenticated } from '../errors.js'
import type { AccessKeyForAuth } from '../store/access-keys.js'
import type { StoreChange } from '../store/context.js'
import type { Store } from '../store/store.js'
import { hashToken } from '../keys.js'
import { InvalidatedCache, type InvalidatedCacheOptions } from '../store/invalidated-cache.js'

/** Who is calling, once authenticated: always exactly one project. */
export interface Caller {
  projectId: string
  /** For audit and rate limits: `ak:<id>` or `token:<id>`. */
  principal: string
  /** Tokens only: when it stops being accepted (an MQTT session opened with it ends then). */
  expiresAt?: Date
}

interface CachedToken { tokenId: string, projectId: string, expiresAt: Date, disabled: boolean }

/**
 * Access keys and tokens, cached in memory for the hot path. Entries are
 * dropped the moment the store reports a change (on every instance, through
 * LISTEN/NOTIFY), and in any case after the TTL (see InvalidatedCache).
 */
export class CallerDirectory {
  readonly #keys: InvalidatedCache<AccessKeyForAuth>
  /** Keyed by token hash: the plain token is never kept. */
  readonly #tokens: InvalidatedCache<CachedToken>
  readonly #now: () => number

  constructor (private readonly store: Store, options: InvalidatedCacheOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#keys = new InvalidatedCache(options)
    this.#tokens = new InvalidatedCache(options)
    store.onChange((change) => this.invalidate(change))
  }

  /** The key record for signature verifiers (unknown → undefined; disabled ones are returned, flagged). */
  async lookupAccessKey (accessKeyId: string): Promise<AccessKeyForAuth | undefined> {
    return this.#keys.get(accessKeyId, () => this.store.accessKeys.findForAuth(accessKeyId))
  }

  /** X-Auth-Token → caller, or the reason it cannot be one. */
  async verifyToken (token: string): Promise<Caller> {
    const record = await this.#tokens.get(hashToken(token), async () => {
      const found = await this.store.tokens.findForAuth(token)
      return found === undefined ? undefined : { tokenId: found.tokenId, projectId: found.projectId, expiresAt: found.expiresAt, disabled: found.disabled }
    })
    if (record === undefined) throw unauthenticated('token_invalid')
    if (record.expiresAt.getTime() <= this.#now()) throw unauthenticated('token_expired')
    if (record.disabled) throw forbidden('token_disabled')
    return { projectId: record.projectId, principal: `token:${record.tokenId}`, expiresAt: record.expiresAt }
  }

  invalidate (change: StoreChange): void {
    if (change.kind === 'access_key') {
      this.#keys.delete(change.id)
    } else if (change.kind === 'token') {
      this.#tokens.deleteWhere((token) => token?.tokenId === change.id)
    } else if (change.kind === 'project') {
      const ofProject = (value: { projectId: string } | undefined): boolean => value === undefined || value.projectId === change.projectId
      this.#keys.deleteWhere(ofProject)
      this.#tokens.deleteWhere(ofProject)
    }
  }
}
