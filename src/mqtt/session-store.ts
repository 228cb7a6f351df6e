import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import type { AedesPublishPacket, Client } from 'aedes'

// CommonJS whose type declarations claim an ES default export: load it as CommonJS.
const memoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => object

/**
 * What a logged-in client may leave in the broker's memory
 * (docs/operations.md "MQTT limits"):
 * - no retained messages: no topic of the DJI or IoTDA contracts needs one
 *   (requests and replies are addressed to a live session, state is
 *   re-reported), so RETAIN is never stored — the message itself is still
 *   delivered to current subscribers;
 * - an offline queue (QoS ≥ 1 messages for a `clean=false` session, and those
 *   not yet acknowledged) of at most `maxQueuedMessages` and `maxQueuedBytes`
 *   per client id; further messages are dropped for that client;
 * - a `clean=false` session forgotten (subscriptions, queue, QoS 2 state)
 *   `sessionExpiryMs` after its client left, unless it came back.
 */
export interface SessionLimits {
  maxQueuedMessages: number
  maxQueuedBytes: number
  sessionExpiryMs: number
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxQueuedMessages: 1000, maxQueuedBytes: 1024 * 1024, sessionExpiryMs: 3_600_000 }

export interface SessionStoreEvents {
  /** A message not queued for a client whose queue was full. */
  onQueueFull?: () => void
  /** A persistent session forgotten after its expiry. */
  onSessionExpired?: (clientId: string) => void
}

type Packet = AedesPublishPacket & { messageId?: number, brokerId?: string, brokerCounter?: number }
interface Queue { packets: Packet[], bytes: number }

const sizeOf = (p: Packet): number => p.payload.length + Buffer.byteLength(p.topic)

/**
 * aedes' in-memory persistence with the outgoing queues replaced by bounded
 * ones (every other method is the library's own) and retained storage off.
 * The queue methods follow aedes-persistence's memory implementation, which
 * aedes calls with promises.
 */
export function boundedSessionStore (limits: SessionLimits, events: SessionStoreEvents = {}): {
  /** For aedes' `persistence` option. */
  persistence: object
  /** Messages queued for a client id now. */
  queued: (clientId: string) => number
  /** aedes 'client': the session is live again. */
  connected: (client: Client) => void
  /** aedes 'clientDisconnect': a `clean=false` session starts its expiry. */
  disconnected: (client: Client) => void
  close: () => void
} {
  const persistence = memoryPersistence()
  const queues = new Map<string, Queue>()
  const expiries = new Map<string, NodeJS.Timeout>()
  // aedes calls these with promises only; the library's callback forms are not used.
  const p = persistence as unknown as Record<string, (...args: any[]) => unknown>

  const enqueue = (clientId: string, packet: Packet): void => {
    let q = queues.get(clientId)
    const size = sizeOf(packet)
    if (q !== undefined && (q.packets.length >= limits.maxQueuedMessages || q.bytes + size > limits.maxQueuedBytes)) {
      events.onQueueFull?.()
      return
    }
    if (q === undefined) queues.set(clientId, q = { packets: [], bytes: 0 })
    // One copy per client: each gets its own messageId (as aedes-persistence's `new Packet(packet)`).
    q.packets.push({ ...packet, messageId: undefined } as Packet)
    q.bytes += size
  }

  p.storeRetained = async () => {}
  p.outgoingEnqueue = async (sub: { clientId: string }, packet: Packet) => { enqueue(sub.clientId, packet) }
  p.outgoingEnqueueCombi = async (subs: Array<{ clientId: string }>, packet: Packet) => {
    for (const sub of subs) enqueue(sub.clientId, packet)
  }
  p.outgoingUpdate = async (client: Client, packet: Packet) => {
    const q = queues.get(client.id)
    if (q === undefined) return // not queued (its queue was full): delivered without a stored copy
    for (let i = 0; i < q.packets.length; i++) {
      const queued = q.packets[i]!
      if (queued.brokerId === packet.brokerId) {
        if (queued.brokerCounter === packet.brokerCounter) {
          queued.messageId = packet.messageId
          return
        }
      } else if (queued.messageId === packet.messageId) {
        q.bytes += sizeOf(packet) - sizeOf(queued)
        q.packets[i] = packet
        return
      }
    }
  }
  p.outgoingClearMessageId = async (client: Client, packet: Packet) => {
    const q = queues.get(client.id)
    if (q === undefined) return undefined
    const i = q.packets.findIndex((queued) => queued.messageId === packet.messageId)
    if (i < 0) return undefined
    const [removed] = q.packets.splice(i, 1)
    q.bytes -= sizeOf(removed!)
    if (q.packets.length === 0) queues.delete(client.id)
    return removed
  }
  p.outgoingStream = (client: Client) => Readable.from([...(queues.get(client.id)?.packets ?? [])])

  const forget = (clientId: string): void => {
    expiries.delete(clientId)
    queues.delete(clientId)
    const client = { id: clientId } as Client
    Promise.all([p.cleanSubscriptions!(client), p.cleanIncoming!(client), p.delWill!(client)])
      .then(() => events.onSessionExpired?.(clientId), () => {})
  }

  return {
    persistence,
    queued: (clientId) => queues.get(clientId)?.packets.length ?? 0,
    connected (client) {
      clearTimeout(expiries.get(client.id))
      expiries.delete(client.id)
    },
    disconnected (client) {
      if (client.clean) return
      clearTimeout(expiries.get(client.id))
      // A takeover by a new connection with the same id may come before the old one's disconnect.
      const live = (): boolean => (client as unknown as { broker: { clients: Record<string, unknown> } }).broker.clients[client.id] !== undefined
      const timer = setTimeout(() => { if (live()) expiries.delete(client.id); else forget(client.id) }, limits.sessionExpiryMs)
      timer.unref()
      expiries.set(client.id, timer)
    },
    close () {
      for (const timer of expiries.values()) clearTimeout(timer)
      expiries.clear()
    }
  }
}
