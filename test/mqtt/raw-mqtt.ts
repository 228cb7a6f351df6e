import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'

/** MQTT's remaining-length varint [MQTT-2.2.3]. */
export function remainingLength (n: number): Buffer {
  const bytes: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    bytes.push(byte)
  } while (n > 0)
  return Buffer.from(bytes)
}

/** A fixed header: type byte and remaining length. */
export const fixedHeader = (typeByte: number, length: number): Buffer => Buffer.concat([Buffer.from([typeByte]), remainingLength(length)])

/** A raw TCP (or TLS, trusting anything) socket to the broker, connected. */
export async function rawSocket (port: number, tls = false): Promise<Socket> {
  const socket = tls
    ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
    : netConnect(port, '127.0.0.1')
  socket.on('error', () => {}) // a reset by the broker is the expected outcome
  await new Promise<void>((resolve, reject) => {
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve())
    socket.once('close', () => reject(new Error('closed before connecting')))
  })
  return socket
}

/** Resolves when the socket is closed (at once if it already is). */
export const closed = (socket: Socket): Promise<void> =>
  socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()))

/**
 * Declares a packet of `declared` body bytes and then streams its body, with
 * backpressure, until the broker closes the connection or the body is all
 * sent; returns how many body bytes the kernel accepted.
 */
export async function streamUntilClosed (socket: Socket, typeByte: number, declared: number, chunkBytes = 256 * 1024): Promise<number> {
  const chunk = Buffer.alloc(chunkBytes, 0x61)
  let written = 0
  const gone = closed(socket).then(() => true)
  socket.write(fixedHeader(typeByte, declared))
  while (written < declared && !socket.destroyed) {
    const n = Math.min(chunkBytes, declared - written)
    const more = socket.write(n === chunkBytes ? chunk : chunk.subarray(0, n))
    written += n
    if (!more) {
      const drained = new Promise<boolean>((resolve) => socket.once('drain', () => resolve(false)))
      if (await Promise.race([drained, gone])) break
    }
  }
  await gone
  return written
}
