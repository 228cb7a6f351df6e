import type { Client } from 'aedes'
import { parseDeviceClientId } from './device-login.js'
import { SERVICE_USERNAME_PREFIX, type ServiceSession } from './gateway-login.js'

export type LoginKind = 'device' | 'gateway' | 'service'

/** Who an accepted connection is, fixed at CONNECT. */
export type Session =
  | { kind: 'device', deviceId: string, projectId: string }
  | { kind: 'gateway', sn: string, projectId: string, sns: ReadonlySet<string> }
  | { kind: 'service', projectId: string, service: ServiceSession }

/**
 * Which login rule a CONNECT is judged by — the one place that decides.
 *
 * - `device`: the ClientId has IoTDA's shape `{device_id}_0_{sign_type}_{YYYYMMDDHH}`
 *   *and* the username equals that device id (iotda.md). Such a CONNECT is
 *   judged by the IoTDA rule only; it never falls back to gateway login.
 * - `service`: the username starts with `service:` (the operator's server, dji.md).
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

/** Live, accepted connections by identity, for force_disconnect and gateway removal. */
export class SessionRegistry {
  readonly #byClient = new WeakMap<Client, Session>()
  readonly #byKey = new Map<string, Set<Client>>()

  /** Remember who a client is (at authentication, before aedes registers it). */
  bind (client: Client, session: Session): void {
    this.#byClient.set(client, session)
  }

  sessionOf (client: Client | null): Session | undefined {
    return client === null ? undefined : this.#byClient.get(client)
  }

  /** aedes 'client' event: the connection is live. */
  add (client: Client): void {
    const key = keyOf(this.#byClient.get(client))
    if (key === undefined) return
    let set = this.#byKey.get(key)
    if (set === undefined) this.#byKey.set(key, set = new Set())
    set.add(client)
  }

  /** aedes 'clientDisconnect' event. */
  remove (client: Client): void {
    const key = keyOf(this.#byClient.get(client))
    if (key === undefined) return
    const set = this.#byKey.get(key)
    set?.delete(client)
    if (set?.size === 0) this.#byKey.delete(key)
  }

  /** Closes every live connection of one identity; returns how many. */
  disconnect (kind: 'device' | 'gateway', id: string): number {
    const set = this.#byKey.get(`${kind}:${id}`)
    if (set === undefined) return 0
    const clients = [...set]
    this.#byKey.delete(`${kind}:${id}`)
    for (const client of clients) client.close()
    return clients.length
  }

  /** Closes every live connection of a project (disabled or deleted): devices, docks, its service role. */
  disconnectProject (projectId: string): number {
    let closed = 0
    for (const [key, set] of this.#byKey) {
      const clients = [...set].filter((client) => this.#byClient.get(client)?.projectId === projectId)
      for (const client of clients) {
        set.delete(client)
        client.close()
      }
      if (set.size === 0) this.#byKey.delete(key)
      closed += clients.length
    }
    return closed
  }

  count (): number {
    let n = 0
    for (const set of this.#byKey.values()) n += set.size
    return n
  }
}

function keyOf (session: Session | undefined): string | undefined {
  if (session === undefined) return undefined
  switch (session.kind) {
    case 'device': return `device:${session.deviceId}`
    case 'gateway': return `gateway:${session.sn}`
    case 'service': return `service:${session.projectId}`
  }
}
