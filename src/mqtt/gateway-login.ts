import type { ServiceCredential } from './sessions.js'
import { isSafeTopicLevel, isUnder } from './topics.js'

/** Backs DJI dock login; implemented by the app over the store. */
export interface GatewayDirectory {
  /**
   * username = gateway sn; checks the password against the stored hash itself
   * (constant time); returns the sns this login may use (own + registered
   * sub-devices) or undefined.
   */
  verifyGateway (username: string, password: Buffer): Promise<{ projectId: string, sns: string[] } | undefined>
  /**
   * Service role (the operator's own server). Called for usernames of the form
   * `service:{project_id}` with the whole username and the password (a project
   * token); returns the project, a way to list its gateway sns now, and the
   * token (its id and expiry: the session ends with it).
   */
  verifyService? (username: string, password: Buffer): Promise<{ projectId: string, sns: () => Promise<string[]> | string[], credential?: ServiceCredential } | undefined>
}

/** Usernames with this prefix log in as the service role, never as a gateway. */
export const SERVICE_USERNAME_PREFIX = 'service:'

/*
 * DJI Cloud API topic tree: a gateway talks on `thing/product/{sn}/…`
 * (osd, state, services, events, requests and their `_reply`s) and
 * `sys/product/{sn}/…` (status). docs/dji.md "Topics and ACLs": a gateway may use
 * exactly these, for its own sn and its registered sub-devices' sns.
 */
const ROOTS = ['thing/product/', 'sys/product/'] as const

/** May a gateway whose login allows `sns` use this topic name or filter? */
export function gatewayMayUse (sns: ReadonlySet<string>, topic: string): boolean {
  const sn = snOf(topic)
  return sn !== undefined && sns.has(sn) && isSafeTopicLevel(sn)
}

/** The sn level of a `thing/product/{sn}/…` or `sys/product/{sn}/…` topic, or undefined. */
export function snOf (topic: string): string | undefined {
  for (const root of ROOTS) {
    if (!topic.startsWith(root)) continue
    const end = topic.indexOf('/', root.length)
    if (end < 0) return undefined
    const sn = topic.slice(root.length, end)
    return isUnder(topic, `${root}${sn}/`) ? sn : undefined
  }
  return undefined
}

/** How long the service role's sn list may be reused when filtering deliveries. */
const SERVICE_SNS_TTL_MS = 30_000

/**
 * The service role: publish and subscribe under any of its project's gateway
 * sns, exactly like a gateway that owns them all. It may also subscribe with
 * `+` in the sn level (`thing/product/+/osd`) to follow every dock of the
 * project; since such a filter also matches other projects' docks, each
 * delivery is checked against a snapshot of the project's sns (refreshed at
 * most every 30 s, and on every wildcard subscribe), because aedes'
 * per-delivery hook (`authorizeForward`) is synchronous.
 */
export class ServiceSession {
  #snapshot: ReadonlySet<string> = new Set()
  #refreshedAt = -Infinity
  #refreshing: Promise<void> | undefined
  /** Bumped by every gateway change: a list read before it is not trusted. */
  #generation = 0

  constructor (
    readonly projectId: string,
    private readonly listSns: () => Promise<string[]> | string[],
    private readonly now: () => number,
    private readonly onRefreshError: (err: unknown) => void
  ) {}

  async refresh (): Promise<ReadonlySet<string>> {
    if (this.#refreshing === undefined) {
      const refreshing = (async () => {
        for (;;) {
          const generation = this.#generation
          const sns = new Set(await this.listSns())
          // A gateway changed while the list was read (a dock moved to another project): read again.
          if (generation !== this.#generation) continue
          this.#snapshot = sns
          this.#refreshedAt = this.now()
          return
        }
      })()
      this.#refreshing = refreshing
      // Cleared after the assignment, so that a listSns that throws synchronously cannot leave a stale promise behind.
      refreshing.finally(() => { this.#refreshing = undefined }).catch(() => {})
    }
    await this.#refreshing
    return this.#snapshot
  }

  /**
   * A gateway of some project changed (store notification, every instance):
   * the sn stops matching at once, before the list is read again — a dock
   * deleted here and registered in another project must not reach this
   * session's subscriptions (its `requests_reply` carries credentials).
   */
  gatewayChanged (sn: string): void {
    this.#generation++
    if (this.#snapshot.has(sn)) {
      const without = new Set(this.#snapshot)
      without.delete(sn)
      this.#snapshot = without
    }
    this.refresh().catch(this.onRefreshError)
  }

  /** Publish to, or subscribe to, one exact sn's topics: checked against the current list. */
  async mayUse (topic: string): Promise<boolean> {
    return gatewayMayUse(await this.refresh(), topic)
  }

  /** A filter with `+` as its sn level, under one of the DJI roots. */
  static isSnWildcard (filter: string): boolean {
    return ROOTS.some(root => isUnder(filter, `${root}+/`))
  }

  /** Synchronous, for deliveries: judged on the snapshot, which is refreshed in the background when stale. */
  mayReceive (topic: string): boolean {
    if (this.now() - this.#refreshedAt > SERVICE_SNS_TTL_MS && this.#refreshing === undefined) {
      this.refresh().catch(this.onRefreshError)
    }
    return gatewayMayUse(this.#snapshot, topic)
  }
}
