import type { Client } from 'aedes'
import { parseDeviceClientId } from './device-login.js'
import { SERVICE_USERNAME_PREFIX, type ServiceSession } from './gateway-login.js'

export type LoginKind = 'device' | 'gateway' | 'service'

/** Who an accepted connection is, fixed at CONNECT. */
export type Session =
  | { kind: 'device', deviceId: string, projectId: string }
  | { kind: 'gateway', sn: string, projectId: string, sns: ReadonlySet<string> }
  | { kind: 'service', projectId: string, service: ServiceSession, credential?: ServiceCredential }

/** The token a service session logged in with. */
export interface ServiceCredential {
  /** `token:{token_id}`: what a revocation ends. */
  principal: string
  expiresAt: Date
}

/**
 * Which login rule a CONNECT is judged by — the one place that decides.
 *
 * - `device`: the ClientId has IoTDA's shape `{device_id}_0_{sign_type}_{YYYYMMDDHH}`
 *   *and* the username equals that device id (docs/iotda.md "Device MQTT login (IoTDA rule)"). Such a CONNECT is
 *   judged by the IoTDA rule only; it never falls back to gateway login.
 * - `service`: the username starts with `service:` (the operator's server, docs/dji.md "Topics and ACLs").
 * - `gateway`: everything else (a DJI dock: any ClientId, username = sn).
 *   An IoTDA-shaped ClientId whose username is not its device id lands here
 *   too and fails unless it really is a dock's sn and password: every path
 *   authenticates, so the choice only decides which rule is asked.
 */
export function classifyConnect (clientId: string, username: string | undefined): LoginKind {
  const parsed = parseDeviceClientId(clientId)
  if (parsed !== undefined && parsed.deviceId === username) return 'device'
  if (username?.startsWith(SERVICE_USERNAME_PREFIX) === true) return 'service'
  return 'gateway'
}

/**
 * Does this client id belong to the identity that logged in (docs/operations.md
 * "Tenant isolation")? Otherwise a logged-in client could take over another's
 * session — aedes closes the older connection of a client id — and read its
 * queued messages.
 * - device: an IoTDA client id of its own device id (`{device_id}_0_{sign_type}_{YYYYMMDDHH}`);
 * - dock: exactly its own sn, and never an IoTDA-shaped client id (a dock sn may
 *   look like one: `X_0_1_2026010100` would be device X's);
 * - service: its username `service:{project_id}`, alone or followed by `:` and a
 *   suffix of its choosing (one per server instance).
 */
export function clientIdBelongs (clientId: string, session: Session): boolean {
  switch (session.kind) {
    case 'device': return parseDeviceClientId(clientId)?.deviceId === session.deviceId
    case 'gateway': return clientId === session.sn && parseDeviceClientId(clientId) === undefined
    case 'service': {
      const own = `${SERVICE_USERNAME_PREFIX}${session.projectId}`
      return clientId === own || (clientId.startsWith(`${own}:`) && clientId.length > own.length + 1)
    }
  }
}

/**
 * What ends a session: the credential it logged in with. Deleting a device
 * or dock, disabling a dock, a force_disconnect, or revoking the token a
 * service session used, ends every session holding that key.
 */
export function credentialOf (session: Session): string {
  switch (session.kind) {
    case 'device': return `device:${session.deviceId}`
    case 'gateway': return `gateway:${session.sn}`
    case 'service': return session.credential?.principal ?? `service:${session.projectId}`
  }
}

/** setTimeout's longest delay (2^31 - 1 ms); a longer wait is re-armed. */
const MAX_TIMER_MS = 2_147_483_647
/** How many ended credentials are remembered for connections between login and registration. */
const MAX_ENDED = 1024

/** Live, accepted connections by the credential they logged in with. */
export class SessionRegistry {
  readonly #byClient = new WeakMap<Client, Session>()
  readonly #byKey = new Map<string, Set<Client>>()
  readonly #timers = new Map<Client, NodeJS.Timeout>()
  /** When (in ticks) each client was bound, and each credential last ended. */
  readonly #boundAt = new WeakMap<Client, number>()
  readonly #endedAt = new Map<string, number>()
  #tick = 0

  constructor (private readonly now: () => number = Date.now) {}

  /** Remember who a client is (at authentication, before aedes registers it). */
  bind (client: Client, session: Session): void {
    this.#byClient.set(client, session)
    this.#boundAt.set(client, ++this.#tick)
  }

  sessionOf (client: Client | null): Session | undefined {
    return client === null ? undefined : this.#byClient.get(client)
  }

  /** aedes 'client' event: the connection is live. */
  add (client: Client): void {
    const session = this.#byClient.get(client)
    if (session === undefined) return
    const key = credentialOf(session)
    // Its credential ended between the login check and now: it never goes live.
    if ((this.#endedAt.get(key) ?? 0) > (this.#boundAt.get(client) ?? 0)) {
      client.close()
      return
    }
    let set = this.#byKey.get(key)
    if (set === undefined) this.#byKey.set(key, set = new Set())
    set.add(client)
    const expiresAt = session.kind === 'service' ? session.credential?.expiresAt : undefined
    if (expiresAt !== undefined) this.#closeAt(client, expiresAt.getTime())
  }

  /** aedes 'clientDisconnect' event. */
  remove (client: Client): void {
    clearTimeout(this.#timers.get(client))
    this.#timers.delete(client)
    const session = this.#byClient.get(client)
    if (session === undefined) return
    const key = credentialOf(session)
    const set = this.#byKey.get(key)
    set?.delete(client)
    if (set?.size === 0) this.#byKey.delete(key)
  }

  /** Closes every live connection that logged in with this credential (see credentialOf); returns how many. */
  end (credential: string): number {
    this.#endedAt.delete(credential)
    this.#endedAt.set(credential, ++this.#tick)
    if (this.#endedAt.size > MAX_ENDED) for (const oldest of this.#endedAt.keys()) { this.#endedAt.delete(oldest); break }
    const set = this.#byKey.get(credential)
    if (set === undefined) return 0
    const clients = [...set]
    this.#byKey.delete(credential)
    for (const client of clients) this.#close(client)
    return clients.length
  }

  /** Closes every live connection of one device or dock; returns how many. */
  disconnect (kind: 'device' | 'gateway', id: string): number {
    return this.end(`${kind}:${id}`)
  }

  /** Closes every live connection of a project (disabled or deleted): devices, docks, its service role. */
  disconnectProject (projectId: string): number {
    let closed = 0
    for (const [key, set] of this.#byKey) {
      const clients = [...set].filter((client) => this.#byClient.get(client)?.projectId === projectId)
      for (const client of clients) {
        set.delete(client)
        this.#close(client)
      }
      if (set.size === 0) this.#byKey.delete(key)
      closed += clients.length
    }
    return closed
  }

  /** The live service sessions, e.g. to tell them that a gateway changed. */
  * services (): Generator<Extract<Session, { kind: 'service' }>> {
    for (const set of this.#byKey.values()) {
      for (const client of set) {
        const session = this.#byClient.get(client)
        if (session?.kind === 'service') yield session
      }
    }
  }

  count (): number {
    let n = 0
    for (const set of this.#byKey.values()) n += set.size
    return n
  }

  /** A session lives no longer than its token: closed when it expires (docs/dji.md "Sessions end with their credentials"). */
  #closeAt (client: Client, at: number): void {
    const wait = at - this.now()
    if (wait <= 0) {
      this.end(credentialOf(this.#byClient.get(client)!))
      return
    }
    const timer = setTimeout(() => {
      this.#timers.delete(client)
      this.#closeAt(client, at)
    }, Math.min(wait, MAX_TIMER_MS))
    timer.unref()
    this.#timers.set(client, timer)
  }

  #close (client: Client): void {
    clearTimeout(this.#timers.get(client))
    this.#timers.delete(client)
    client.close()
  }
}
