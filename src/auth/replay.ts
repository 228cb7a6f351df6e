import { hash, randomBytes } from 'node:crypto'
import { unavailable } from '../errors.js'
import { FingerprintTable } from './fingerprint-table.js'

/**
 * Replay window for signed requests (docs/operations.md): a nonce (Alibaba) or
 * a signature (Huawei) is remembered until its request time + the skew window,
 * and recorded only after the signature verified, so garbage cannot burn nonces.
 */
export interface ReplayGuard {
  /**
   * Records `key` until `expiresAtMs`. Resolves true when the key was new,
   * false when it was already recorded (a replay). Rejects with a DomainError
   * (`unavailable`) when the window cannot take the key: the request is then
   * refused, never let through unrecorded.
   */
  remember (key: string, expiresAtMs: number): Promise<boolean>
}

/** What the replay window holds, read at scrape time (src/operations/metrics.ts). */
export interface ReplayWindowStats {
  /** Keys remembered now (until their whole time bucket has expired). */
  readonly entries: number
  /** Bytes of the fingerprint tables. */
  readonly bytes: number
  readonly budgetBytes: number
  /** Keys refused because the window was at its memory budget. */
  readonly refusals: number
}

export interface MemoryReplayOptions {
  /** Ceiling on the fingerprint tables' memory; beyond it new keys are refused (503), never an old one forgotten. */
  budgetBytes?: number
  /** Width of one time bucket: keys expiring within it are dropped together, up to this much after the last one expired. */
  bucketMs?: number
}

export const DEFAULT_REPLAY_BUDGET_BYTES = 64 * 1024 * 1024
const DEFAULT_BUCKET_MS = 60_000

interface Bucket {
  /** Every key in the bucket expires at or before this time. */
  readonly endMs: number
  readonly table: FingerprintTable
}

/**
 * Per-instance replay window; a Redis-backed guard shares it across instances
 * (src/auth/redis-replay.ts).
 *
 * Each key is kept as a 64-bit fingerprint, the first 8 bytes of SHA-256 over
 * a per-instance random salt and the key, in the table of the time bucket its
 * expiry falls in (10.7–16 bytes per key, docs/performance.md). A replay
 * always has the same fingerprint, so it is always caught; two different keys
 * share one only by chance (about n / 2^64 for n keys held), and that chance
 * refuses a fresh request, it never accepts a replay. The salt keeps anyone
 * from choosing nonces that collide or pile up in one probe run.
 *
 * Buckets end on whole multiples of `bucketMs`; once a bucket's end has
 * passed, every key in it has expired and the whole table is dropped: no scan
 * of entries, ever. A lookup asks every live bucket (about 16 with the
 * 15-minute window and 60-s buckets).
 */
export class MemoryReplayGuard implements ReplayGuard, ReplayWindowStats {
  readonly budgetBytes: number
  readonly #bucketMs: number
  readonly #salt = randomBytes(16).toString('base64')
  /** Ascending by end time. */
  readonly #buckets: Bucket[] = []
  #bytes = 0
  #entries = 0
  #refusals = 0

  constructor (private readonly now: () => number = Date.now, options: MemoryReplayOptions = {}) {
    this.budgetBytes = options.budgetBytes ?? DEFAULT_REPLAY_BUDGET_BYTES
    this.#bucketMs = options.bucketMs ?? DEFAULT_BUCKET_MS
  }

  async remember (key: string, expiresAtMs: number): Promise<boolean> {
    return this.rememberNow(key, expiresAtMs)
  }

  /** `remember` without the promise: true when new, false for a replay; throws `replay_window_full`. */
  rememberNow (key: string, expiresAtMs: number): boolean {
    const now = this.now()
    this.#dropExpired(now)
    const digest = hash('sha256', this.#salt + key, 'buffer')
    const lo = digest.readUInt32LE(0)
    // (0, 0) marks an empty slot; the one fingerprint that would look like it moves next door.
    const hi = lo === 0 && digest.readUInt32LE(4) === 0 ? 1 : digest.readUInt32LE(4)
    const buckets = this.#buckets
    for (let i = 0; i < buckets.length; i++) {
      if ((buckets[i] as Bucket).table.has(lo, hi)) return false
    }
    // Already expired: it would be forgotten at once (the verifiers refuse such a request before this).
    if (expiresAtMs <= now) return true
    const bucket = this.#bucketFor(expiresAtMs)
    this.#add(bucket, lo, hi)
    return true
  }

  get entries (): number { return this.#entries }
  get bytes (): number { return this.#bytes }
  get refusals (): number { return this.#refusals }
  /** Kept for callers that counted entries before. */
  get size (): number { return this.#entries }

  #dropExpired (now: number): void {
    const buckets = this.#buckets
    while (buckets.length > 0 && (buckets[0] as Bucket).endMs <= now) {
      const dropped = buckets.shift() as Bucket
      this.#bytes -= dropped.table.bytes
      this.#entries -= dropped.table.count
    }
  }

  /** The bucket whose end is the first multiple of bucketMs at or after `expiresAtMs`; made (in order) when missing. */
  #bucketFor (expiresAtMs: number): Bucket | undefined {
    const endMs = Math.ceil(expiresAtMs / this.#bucketMs) * this.#bucketMs
    const buckets = this.#buckets
    // Most keys land in the newest bucket: search from the end.
    let i = buckets.length - 1
    while (i >= 0 && (buckets[i] as Bucket).endMs > endMs) i--
    if (i >= 0 && (buckets[i] as Bucket).endMs === endMs) return buckets[i]
    if (this.#bytes + FingerprintTable.INITIAL_SLOTS * 8 > this.budgetBytes) return undefined
    const bucket = { endMs, table: new FingerprintTable() }
    buckets.splice(i + 1, 0, bucket)
    this.#bytes += bucket.table.bytes
    return bucket
  }

  #add (bucket: Bucket | undefined, lo: number, hi: number): void {
    const table = bucket?.table
    const grownBy = table === undefined ? 0 : table.bytesAfterAdd() - table.bytes
    if (table === undefined || this.#bytes + grownBy > this.budgetBytes) {
      this.#refusals++
      throw unavailable('replay_window_full', 'too many signed requests are being remembered; retry in a minute')
    }
    table.add(lo, hi)
    this.#bytes += grownBy
    this.#entries++
  }
}
