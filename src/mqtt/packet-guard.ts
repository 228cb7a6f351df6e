import type { Socket } from 'node:net'

/**
 * Size and time bounds on one MQTT connection, enforced on the raw bytes
 * before aedes parses them (docs/operations.md "MQTT limits"). aedes has no
 * packet-size limit of its own: its parser buffers a whole packet, whatever
 * length the fixed header declares, before anyone can look at it.
 */
export interface PacketLimits {
  /** Largest packet (fixed header included) until the login has succeeded, CONNECT included. */
  maxUnauthenticatedBytes: number
  /** Largest packet after login (STSGATE_MQTT_MAX_PACKET_BYTES). */
  maxPacketBytes: number
  /** From accept (TLS handshake excluded) to a successful login (STSGATE_MQTT_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number
}

export const DEFAULT_PACKET_LIMITS: PacketLimits = {
  // A few KB: IoTDA and DJI CONNECTs are a client id, a username and a password.
  maxUnauthenticatedBytes: 8 * 1024,
  // DJI and IoTDA messages are a few KB.
  maxPacketBytes: 256 * 1024,
  connectTimeoutMs: 10_000
}

export type GuardCloseReason =
  | 'not_connect_first'
  | 'too_large_before_login'
  | 'too_large'
  | 'malformed_length'
  | 'connect_timeout'

/** MQTT fixed header byte of CONNECT: packet type 1, flags 0 [MQTT-2.2.2-1]. */
const CONNECT = 0x10
/** The remaining length is a varint of at most 4 bytes [MQTT-2.2.3]. */
const MAX_LENGTH_BYTES = 4

/**
 * Follows the packet boundaries of one connection from the fixed headers
 * alone: the type byte, the remaining-length varint, then the body is only
 * counted, never kept. So a socket declaring a 200 MB packet is judged by
 * its first five bytes.
 */
export class PacketGuard {
  #state: 'type' | 'length' | 'body' = 'type'
  #first = true
  #loggedIn = false
  #closed = false
  #length = 0
  #multiplier = 1
  #lengthBytes = 0
  #remaining = 0

  constructor (
    private readonly limits: PacketLimits,
    private readonly close: (reason: GuardCloseReason) => void
  ) {}

  /** The login succeeded: from now on packets may be as large as `maxPacketBytes`. */
  loggedIn (): void { this.#loggedIn = true }

  get closed (): boolean { return this.#closed }

  /** Scans the next bytes read from the connection; closes it at the first packet out of bounds. */
  observe (chunk: Buffer): void {
    let i = 0
    while (i < chunk.length && !this.#closed) {
      if (this.#state === 'body') {
        const skip = Math.min(this.#remaining, chunk.length - i)
        i += skip
        this.#remaining -= skip
        if (this.#remaining === 0) this.#state = 'type'
        continue
      }
      const byte = chunk[i++]!
      if (this.#state === 'type') {
        if (this.#first && byte !== CONNECT) return this.#refuse('not_connect_first')
        this.#state = 'length'
        this.#length = 0
        this.#multiplier = 1
        this.#lengthBytes = 0
        continue
      }
      this.#length += (byte & 0x7f) * this.#multiplier
      this.#multiplier *= 128
      this.#lengthBytes++
      // What has arrived of the varint is already a lower bound of the length.
      const limit = this.#loggedIn ? this.limits.maxPacketBytes : this.limits.maxUnauthenticatedBytes
      if (1 + this.#lengthBytes + this.#length > limit) return this.#refuse(this.#loggedIn ? 'too_large' : 'too_large_before_login')
      if ((byte & 0x80) !== 0) {
        if (this.#lengthBytes === MAX_LENGTH_BYTES) return this.#refuse('malformed_length')
        continue
      }
      this.#first = false
      this.#remaining = this.#length
      this.#state = this.#remaining > 0 ? 'body' : 'type'
    }
  }

  /** No successful login in time. */
  timedOut (): void {
    if (!this.#loggedIn && !this.#closed) this.#refuse('connect_timeout')
  }

  #refuse (reason: GuardCloseReason): void {
    this.#closed = true
    this.close(reason)
  }
}

/**
 * Puts a guard on a socket that aedes has just taken (`broker.handle`).
 * aedes reads in paused mode (`'readable'` + `read()`); a `'data'` listener
 * added after it does not switch the socket to flowing mode and is called
 * inside each `read()`, with the bytes aedes is about to parse. Closing there
 * leaves aedes' parser at most that one chunk, which it drops on `'close'`.
 */
export function guardSocket (socket: Socket, limits: PacketLimits, onClose: (reason: GuardCloseReason) => void): PacketGuard {
  const guard = new PacketGuard(limits, (reason) => {
    socket.destroy()
    onClose(reason)
  })
  const timer = setTimeout(() => guard.timedOut(), limits.connectTimeoutMs)
  timer.unref()
  socket.on('data', (chunk: Buffer) => guard.observe(chunk))
  socket.once('close', () => clearTimeout(timer))
  return guard
}
