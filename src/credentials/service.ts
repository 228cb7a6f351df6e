import { DomainError, isDomainError, throttled } from '../errors.js'
import type { CredentialProvider } from '../domain/provider.js'
import { CredentialLru, MintBudget, NegativeCache, type CachedCredential } from './cache.js'
import { renderPolicy } from './policy.js'
import { scopeKey, type Scope } from '../domain/scope.js'
import type { ProviderName, StorageTarget } from '../domain/target.js'

/**
 * vend(scope) → a credential from the cache or freshly minted (docs/upstream.md, "Reuse").
 *
 * - Concurrent misses for one scope share one upstream call (single-flight).
 * - An entry is served while it has at least `minRemaining` left: by default
 *   min(5 min, duration/4); a caller may ask for more (DJI: margin + floor).
 * - A read that finds an entry within `refreshWindow` of that threshold starts
 *   one background refresh and still serves the entry (refresh-ahead; no timers).
 * - While the upstream fails, an entry that is still valid keeps being served
 *   (if the caller set no explicit minimum, anything not yet expired; otherwise
 *   only what meets the caller's minimum).
 * - A per-project mint budget, a per-project share of the LRU and a short
 *   negative cache protect the account's STS quota from one tenant.
 */
export interface VendedCredential extends CachedCredential {
  /** True when served from the cache rather than minted for this request. */
  fromCache: boolean
  /** scopeKey(scope): the cache key it was served under (the vend audit groups by it). */
  scopeKey: string
}

export interface VendOptions {
  /** Serve only a credential with at least this many seconds left. */
  minRemainingSeconds?: number
}

export interface CredentialServiceOptions {
  /** The provider for a target; called once per target version. */
  providerFor: (target: StorageTarget) => CredentialProvider
  now?: () => number
  maxEntries?: number
  maxEntriesPerProject?: number
  mintsPerSecondPerProject?: number
  mintBurstPerProject?: number
  negativeTtlMs?: number
  /** Each upstream mint's duration, for the latency metric (src/operations/metrics.ts). */
  onUpstreamCall?: (provider: ProviderName, seconds: number, ok: boolean) => void
  /** Default minimum remaining lifetime; else min(300 s, duration/4). */
  minRemainingSeconds?: number
  /** How long before the minimum a read triggers a refresh; else min(300 s, duration/4). */
  refreshWindowSeconds?: number
}

export interface UpstreamState {
  lastSuccessAt: Date | null
  lastFailureAt: Date | null
  lastFailureCode: string | null
  consecutiveFailures: number
}

export interface CredentialCounters {
  hits: number
  misses: number
  refreshes: number
  /** Served below the usual minimum because the upstream failed. */
  staleServed: number
  budgetRejections: number
  negativeHits: number
  upstreamCalls: Record<ProviderName, number>
  upstreamFailures: Record<ProviderName, number>
}

const perProvider = (): Record<ProviderName, number> => ({ local: 0, aliyun: 0, aws: 0, huawei: 0 })

export class CredentialService {
  readonly counters: CredentialCounters = {
    hits: 0, misses: 0, refreshes: 0, staleServed: 0, budgetRejections: 0, negativeHits: 0,
    upstreamCalls: perProvider(), upstreamFailures: perProvider(),
  }

  readonly #options: CredentialServiceOptions
  readonly #now: () => number
  readonly #lru: CredentialLru
  readonly #budget: MintBudget
  readonly #negative: NegativeCache
  readonly #inflight = new Map<string, Promise<CachedCredential>>()
  readonly #providers = new Map<string, { version: number, provider: CredentialProvider }>()
  readonly #upstream = new Map<ProviderName, UpstreamState>()

  constructor (options: CredentialServiceOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    const maxEntries = options.maxEntries ?? 10_000
    this.#lru = new CredentialLru(maxEntries, options.maxEntriesPerProject ?? Math.max(1, Math.floor(maxEntries / 10)))
    const rate = options.mintsPerSecondPerProject ?? 20
    this.#budget = new MintBudget(rate, options.mintBurstPerProject ?? rate * 2)
    this.#negative = new NegativeCache(options.negativeTtlMs ?? 2_000, maxEntries)
  }

  get cacheSize (): number { return this.#lru.size }

  /** Health view: per provider, when it last worked and last failed. */
  upstreamState (): Partial<Record<ProviderName, UpstreamState>> {
    return Object.fromEntries([...this.#upstream].map(([name, state]) => [name, { ...state }]))
  }

  async vend (scope: Scope, options: VendOptions = {}): Promise<VendedCredential> {
    return await this.#vend(scopeKey(scope), scope, options)
  }

  async #vend (key: string, scope: Scope, options: VendOptions): Promise<VendedCredential> {
    const minRemainingMs = this.#minRemainingMs(scope, options)
    if (minRemainingMs > scope.durationSeconds * 1000) {
      throw new DomainError('duration_too_short',
        `credentials last ${scope.durationSeconds} s, less than the ${Math.ceil(minRemainingMs / 1000)} s required`)
    }
    const now = this.#now()
    const cached = this.#lru.get(key)
    if (cached !== undefined) {
      const remaining = cached.expiresAt.getTime() - now
      if (remaining >= minRemainingMs) {
        this.counters.hits++
        // The entry's scope key matched: its policy was rendered (and its names validated) when it was minted.
        if (remaining < minRemainingMs + this.#refreshWindowMs(scope)) this.#refreshInBackground(key, scope, cached.policy)
        return { ...cached, fromCache: true, scopeKey: key }
      }
      if (remaining <= 0) this.#lru.delete(key)
    }
    const policy = renderPolicy(scope) // validates names before anything is minted or cached
    this.counters.misses++
    let fresh: CachedCredential
    try {
      fresh = await this.#mintOnce(key, scope, policy)
    } catch (err) {
      // Outage: a still-valid entry beats an error.
      const fallback = this.#lru.get(key)
      const floorMs = options.minRemainingSeconds !== undefined ? options.minRemainingSeconds * 1000 : 1
      if (fallback !== undefined && fallback.expiresAt.getTime() - this.#now() >= floorMs && servesStale(err)) {
        this.counters.staleServed++
        return { ...fallback, fromCache: true, scopeKey: key }
      }
      throw err
    }
    // #mint refused anything below the scope's own minimum; this caller may demand more (DJI margin + floor).
    if (fresh.expiresAt.getTime() - this.#now() < minRemainingMs) throw lifetimeTooShort()
    return { ...fresh, fromCache: false, scopeKey: key }
  }

  /**
   * The least lifetime a credential for this target duration has left when
   * served: min(300 s, duration / 4) unless configured. A caller that needs
   * its own margin on top (DJI's `expire`) asks for floor + margin.
   */
  cacheFloorSeconds (durationSeconds: number): number {
    return this.#options.minRemainingSeconds ?? Math.min(300, durationSeconds / 4)
  }

  #minRemainingMs (scope: Scope, options: VendOptions): number {
    return Math.max(this.cacheFloorSeconds(scope.durationSeconds), options.minRemainingSeconds ?? 0) * 1000
  }

  #refreshWindowMs (scope: Scope): number {
    return (this.#options.refreshWindowSeconds ?? Math.min(300, scope.durationSeconds / 4)) * 1000
  }

  #refreshInBackground (key: string, scope: Scope, policy: string): void {
    if (this.#inflight.has(key) || this.#negative.get(key, this.#now()) !== undefined) return
    this.counters.refreshes++
    // Failures are already counted and negative-cached by #mintOnce; the entry keeps being served.
    this.#mintOnce(key, scope, policy).catch(() => {})
  }

  /** One upstream call per scope key at a time; everyone asking meanwhile shares its result. */
  #mintOnce (key: string, scope: Scope, policy: string): Promise<CachedCredential> {
    const running = this.#inflight.get(key)
    if (running !== undefined) return running
    const promise = this.#mint(key, scope, policy).finally(() => this.#inflight.delete(key))
    this.#inflight.set(key, promise)
    return promise
  }

  async #mint (key: string, scope: Scope, policy: string): Promise<CachedCredential> {
    const failed = this.#negative.get(key, this.#now())
    if (failed !== undefined) {
      this.counters.negativeHits++
      throw failed
    }
    if (!this.#budget.take(scope.projectId, this.#now())) {
      this.counters.budgetRejections++
      throw throttled('mint_budget_exhausted')
    }
    const name = scope.target.provider
    this.counters.upstreamCalls[name]++
    const started = performance.now()
    const timed = (ok: boolean): void => this.#options.onUpstreamCall?.(name, (performance.now() - started) / 1000, ok)
    try {
      const minted = await this.#providerFor(scope.target).mint(scope, policy)
        .then((m) => { timed(true); return m }, (err: unknown) => { timed(false); throw err })
      // Checked before caching: a credential that can never be served from the cache must not sit in it.
      if (minted.expiresAt.getTime() - this.#now() < this.#minRemainingMs(scope, {})) throw lifetimeTooShort()
      const credential: CachedCredential = { ...minted, policy }
      this.#lru.set(key, scope.projectId, credential)
      this.#negative.delete(key)
      this.#recordUpstream(name, null)
      return credential
    } catch (err) {
      const error = isDomainError(err)
        ? err
        : new DomainError('upstream_unavailable', `${name} provider failed`, { cause: err })
      this.counters.upstreamFailures[name]++
      this.#recordUpstream(name, error.code)
      this.#negative.set(key, error, this.#now())
      throw error
    }
  }

  #providerFor (target: StorageTarget): CredentialProvider {
    const known = this.#providers.get(target.id)
    if (known !== undefined && known.version === target.version) return known.provider
    const provider = this.#options.providerFor(target)
    this.#providers.set(target.id, { version: target.version, provider })
    return provider
  }

  #recordUpstream (name: ProviderName, failureCode: string | null): void {
    const state = this.#upstream.get(name) ?? { lastSuccessAt: null, lastFailureAt: null, lastFailureCode: null, consecutiveFailures: 0 }
    const at = new Date(this.#now())
    if (failureCode === null) {
      state.lastSuccessAt = at
      state.consecutiveFailures = 0
    } else {
      state.lastFailureAt = at
      state.lastFailureCode = failureCode
      state.consecutiveFailures++
    }
    this.#upstream.set(name, state)
  }
}

const lifetimeTooShort = (): DomainError => new DomainError('credential_lifetime_too_short',
  'the upstream issued a credential shorter-lived than the required minimum remaining lifetime')

/**
 * Budget exhaustion is about this caller, not the upstream, and a too-short
 * lifetime is the operator's configuration, not an outage: neither unlocks
 * stale entries.
 */
const servesStale = (err: unknown): boolean =>
  !(isDomainError(err) && (err.code === 'mint_budget_exhausted' || err.code === 'credential_lifetime_too_short'))
