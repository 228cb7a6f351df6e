import { createHash } from 'node:crypto'
import { isIPv6 } from 'node:net'
import type { Redis } from 'ioredis'

/**
 * Login limits of the embedded broker (docs/operations.md "MQTT limits"):
 * - failed logins per source address and per identity (the username: device
 *   id, dock sn or `service:{project}`), each a token bucket that holds
 *   `failures` tokens and regains them over a minute. An attempt takes a token
 *   from both buckets before its password is checked and gets it back when
 *   the login succeeds; an empty bucket refuses the attempt unchecked, even
 *   with the right password, until a token has come back;
 * - a bounded number of password checks at once (a dock's is an scrypt), with
 *   a short queue behind them; an attempt that finds the queue full is
 *   refused at once, so a flood cannot make honest logins wait behind it.
 * The buckets live in Redis when STSGATE_REDIS_URL is set (one limit across
 * instances); otherwise in this instance.
 */
export interface LoginLimitSettings {
  /** Failed logins an address may make in a burst, regained over a minute; 0 = no limit. */
  failuresPerAddress: number
  /** The same per username. */
  failuresPerIdentity: number
  /** Password checks running at once. */
  concurrentChecks: number
  /** Attempts waiting for a check; more are refused at once. */
  queuedChecks: number
}

export const DEFAULT_LOGIN_LIMITS: LoginLimitSettings = { failuresPerAddress: 30, failuresPerIdentity: 10, concurrentChecks: 4, queuedChecks: 16 }

export type LoginLimitRefusal = 'too_many_failures_address' | 'too_many_failures_identity' | 'checks_busy'

/** An admitted attempt: call `finish` exactly once, with whether the login failed. */
export interface LoginTicket {
  finish (failed: boolean): void
}

export type LoginAdmission = { admitted: true, ticket: LoginTicket } | { admitted: false, reason: LoginLimitRefusal }

/** The time over which an empty bucket fills up again. */
const REFILL_MS = 60_000

interface Bucket { key: string, capacity: number, refusal: LoginLimitRefusal }

/** Token buckets for failed logins. `take` is all-or-nothing over the buckets given. */
export interface FailureBuckets {
  /** Takes one token from each bucket, or none; returns the first empty bucket's refusal. */
  take (buckets: Bucket[]): Promise<LoginLimitRefusal | undefined>
  /** Gives one token back to each (a successful login). */
  give (buckets: Bucket[]): Promise<void>
}

const level = (tokens: number, at: number, now: number, capacity: number): number =>
  Math.min(capacity, tokens + Math.max(0, now - at) * capacity / REFILL_MS)

/** In-process buckets, at most `maxEntries` (the least recently touched are forgotten first). */
export class LocalFailureBuckets implements FailureBuckets {
  readonly #buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly now: () => number = Date.now, private readonly maxEntries = 100_000) {}

  async take (buckets: Bucket[]): Promise<LoginLimitRefusal | undefined> {
    const at = this.now()
    const levels = buckets.map((b) => this.#level(b, at))
    const empty = buckets.find((_, i) => levels[i]! < 1)
    if (empty !== undefined) return empty.refusal
    buckets.forEach((b, i) => this.#set(b, levels[i]! - 1, at))
    return undefined
  }

  async give (buckets: Bucket[]): Promise<void> {
    const at = this.now()
    for (const b of buckets) this.#set(b, this.#level(b, at) + 1, at)
  }

  #level (b: Bucket, at: number): number {
    const stored = this.#buckets.get(b.key)
    return stored === undefined ? b.capacity : level(stored.tokens, stored.at, at, b.capacity)
  }

  #set (b: Bucket, tokens: number, at: number): void {
    this.#buckets.delete(b.key)
    if (tokens >= b.capacity) return // full: nothing to remember
    this.#buckets.set(b.key, { tokens, at })
    if (this.#buckets.size > this.maxEntries) this.#buckets.delete(this.#buckets.keys().next().value!)
  }
}

/*
 * KEYS: the buckets; ARGV: now (ms), 'take' or 'give', refill window (ms),
 * then each bucket's capacity. Returns 0 (take refused: the index of the
 * first empty bucket + 1 follows) or 1. A full bucket is deleted; the others
 * expire once they would be full again.
 */
const BUCKETS_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local levels = {}
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[3 + i])
  local b = redis.call('HMGET', key, 't', 'at')
  local tokens = tonumber(b[1]) or cap
  local at = tonumber(b[2]) or now
  levels[i] = math.min(cap, tokens + math.max(0, now - at) * cap / window)
end
if ARGV[2] == 'take' then
  for i = 1, #KEYS do
    if levels[i] < 1 then return {0, i} end
  end
  for i = 1, #KEYS do levels[i] = levels[i] - 1 end
else
  for i = 1, #KEYS do levels[i] = levels[i] + 1 end
end
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[3 + i])
  if levels[i] >= cap then
    redis.call('DEL', key)
  else
    redis.call('HSET', key, 't', tostring(levels[i]), 'at', tostring(now))
    redis.call('PEXPIRE', key, math.ceil((cap - levels[i]) * window / cap))
  end
end
return {1, 0}
`

/**
 * Buckets in Redis, shared by every instance, with this instance's own
 * buckets behind them: while Redis does not answer, the limits still hold
 * per instance (as the HTTP rate limits do), never not at all.
 */
export class RedisFailureBuckets implements FailureBuckets {
  readonly #local: LocalFailureBuckets
  #lastWarning = -Infinity

  constructor (
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onFallback: (err: unknown) => void,
    private readonly now: () => number = Date.now
  ) {
    this.#local = new LocalFailureBuckets(now)
  }

  async take (buckets: Bucket[]): Promise<LoginLimitRefusal | undefined> {
    try {
      const [ok, index] = await this.#run('take', buckets)
      return ok === 1 ? undefined : buckets[index - 1]!.refusal
    } catch (err) {
      this.#fallback(err)
      return await this.#local.take(buckets)
    }
  }

  async give (buckets: Bucket[]): Promise<void> {
    try {
      await this.#run('give', buckets)
    } catch (err) {
      this.#fallback(err)
      await this.#local.give(buckets)
    }
  }

  async #run (op: 'take' | 'give', buckets: Bucket[]): Promise<[number, number]> {
    const keys = buckets.map((b) => `${this.prefix}mqtt-login:${b.key}`)
    return await this.redis.eval(BUCKETS_SCRIPT, keys.length, ...keys, this.now(), op, REFILL_MS, ...buckets.map((b) => b.capacity)) as [number, number]
  }

  #fallback (err: unknown): void {
    // One line per ten seconds while Redis is away, not one per login.
    if (this.now() - this.#lastWarning < 10_000) return
    this.#lastWarning = this.now()
    this.onFallback(err)
  }
}

/**
 * At most `limit` holders; `queued` more wait in order, beyond that none.
 * Priority waiters (logins that succeeded before from the same address) have
 * a queue of their own, served first: a flood of guesses fills the ordinary
 * queue, never theirs.
 */
class CheckSlots {
  #running = 0
  readonly #waiting: Array<() => void> = []
  readonly #priority: Array<() => void> = []

  constructor (private readonly limit: number, private readonly queued: number) {}

  /** Resolves true once a slot is held, or false at once when the queue is full. */
  async acquire (priority: boolean): Promise<boolean> {
    if (this.#running < this.limit) {
      this.#running++
      return true
    }
    const queue = priority ? this.#priority : this.#waiting
    if (queue.length >= this.queued) return false
    await new Promise<void>((resolve) => queue.push(resolve))
    return true
  }

  release (): void {
    const next = this.#priority.shift() ?? this.#waiting.shift()
    if (next !== undefined) next() // the slot passes on
    else this.#running--
  }
}

/** Remembered (username, address) pairs that logged in; the least recent are forgotten first. */
const KNOWN_LOGINS = 10_000

/**
 * The key of a source address: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6
 * per /64, since one host commonly holds a whole /64.
 */
export function addressKey (address: string | undefined): string {
  if (address === undefined) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]!
  if (!isIPv6(address)) return address
  const [head = '', tail = ''] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`
}

/** Usernames go into keys hashed: bounded length, and no identity in plain text in Redis. */
const identityKey = (username: string): string => createHash('sha256').update(username).digest('base64url').slice(0, 22)

export class LoginLimiter {
  readonly #slots: CheckSlots
  readonly #known = new Set<string>()

  constructor (private readonly settings: LoginLimitSettings, private readonly buckets: FailureBuckets) {
    this.#slots = new CheckSlots(settings.concurrentChecks, settings.queuedChecks)
  }

  /** Decides whether one CONNECT may have its credentials checked now. */
  async admit (address: string | undefined, username: string | undefined): Promise<LoginAdmission> {
    const buckets: Bucket[] = []
    const { failuresPerAddress: perAddress, failuresPerIdentity: perIdentity } = this.settings
    if (perAddress > 0) buckets.push({ key: `a:${addressKey(address)}`, capacity: perAddress, refusal: 'too_many_failures_address' })
    if (perIdentity > 0 && username !== undefined && username !== '') {
      buckets.push({ key: `i:${identityKey(username)}`, capacity: perIdentity, refusal: 'too_many_failures_identity' })
    }
    const refused = buckets.length === 0 ? undefined : await this.buckets.take(buckets)
    if (refused !== undefined) return { admitted: false, reason: refused }
    const pair = `${identityKey(username ?? '')}@${addressKey(address)}`
    if (!await this.#slots.acquire(this.#known.has(pair))) {
      // Never checked: not a failure.
      if (buckets.length > 0) await this.buckets.give(buckets)
      return { admitted: false, reason: 'checks_busy' }
    }
    let finished = false
    return {
      admitted: true,
      ticket: {
        finish: (failed) => {
          if (finished) return
          finished = true
          this.#slots.release()
          if (failed) return
          if (buckets.length > 0) void this.buckets.give(buckets)
          this.#known.delete(pair)
          this.#known.add(pair)
          if (this.#known.size > KNOWN_LOGINS) this.#known.delete(this.#known.values().next().value!)
        }
      }
    }
  }
}
