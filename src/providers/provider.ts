import type { Lookup } from './address-guard.js'
import { DomainError } from '../errors.js'
import type { Scope } from '../domain/scope.js'

export interface ProviderOptions {
  /** Upper bound for one upstream call, connect + response, in milliseconds. */
  timeoutMs?: number
  /** STSGATE_ALLOW_CUSTOM_UPSTREAMS: permits http:// and non-vendor hosts (docs/security.md rule 5). */
  allowCustomUpstreams?: boolean
  /** The resolver behind the connect-time address check (address-guard.ts); the system's by default. Tests pass their own. */
  resolve?: Lookup
}

export const DEFAULT_TIMEOUT_MS = 5_000

/**
 * Loads something once, on first use: a vendor SDK is loaded only by a
 * deployment that mints through it (docs/performance.md). A failed load is
 * tried again on the next use.
 */
export function loadOnce<T> (load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined
  return () => {
    loading ??= load().catch((err: unknown) => { loading = undefined; throw err })
    return loading
  }
}

/** Vendor duration bounds (docs/upstream.md, "Limits checked before calling out"): refuse before calling out rather than burn a request. */
export function checkDuration (provider: string, scope: Scope, min: number, max: number): void {
  const d = scope.durationSeconds
  if (!Number.isInteger(d) || d < min || d > max) {
    throw new DomainError('invalid_duration',
      `${provider} credentials last ${min}–${max} seconds; ${d} was requested`)
  }
}

/**
 * A role session name: 2–64 characters of `[\w+=,.@-]` (AWS and Alibaba rules).
 * It names the project, so the vendor's audit trail says who the credential was for.
 */
export function sessionName (scope: Scope, configured?: string): string {
  const raw = configured ?? `stsgate-${scope.projectId}`
  const name = raw.replace(/[^\w+=,.@-]/g, '-').slice(0, 64)
  return name.length >= 2 ? name : `stsgate-${name}`
}

/**
 * Parse a vendor expiry timestamp; a credential without a sane expiry is
 * garbage, not something to cache.
 */
export function parseExpiry (provider: string, value: unknown): Date {
  const at = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(Number.NaN)
  if (Number.isNaN(at.getTime())) {
    throw new DomainError('upstream_unavailable', `${provider} returned a credential without a valid expiry`)
  }
  return at
}

export function requireString (provider: string, value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DomainError('upstream_unavailable', `${provider} returned a response without ${field}`)
  }
  return value
}

/**
 * A hard deadline over a whole upstream call, on top of each client's own
 * connect/read timeouts: whatever a client library does with a hung server,
 * the vend gives up on time.
 */
export async function withDeadline<T> (provider: string, ms: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DomainError('upstream_unavailable', `${provider} STS did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([call, deadline])
  } finally {
    clearTimeout(timer)
  }
}
