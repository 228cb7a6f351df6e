import { createServer, connect, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A loopback TCP proxy for fault tests: forwards every connection to
 * `target`, and can cut them all and refuse new ones (`cut`), then accept
 * again on the same port (`restore`) — a network partition from the
 * client's point of view, without touching the shared server behind it.
 */
export interface TcpProxy {
  port: number
  /** Connections currently forwarded. */
  readonly open: number
  /** How many times `cut` ran (figures for the report). */
  readonly cuts: number
  cut (): Promise<void>
  restore (): Promise<void>
  close (): Promise<void>
}

export async function startTcpProxy (target: { host: string, port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let cuts = 0
  const listen = async (port: number): Promise<Server> => {
    const server = createServer((client) => {
      const upstream = connect(target.port, target.host)
      sockets.add(client)
      sockets.add(upstream)
      const drop = (): void => {
        sockets.delete(client)
        sockets.delete(upstream)
        client.destroy()
        upstream.destroy()
      }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
    return server
  }
  let server: Server | undefined = await listen(0)
  const port = (server.address() as AddressInfo).port
  const stop = async (): Promise<void> => {
    const s = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()))
  }
  return {
    port,
    get open () { return sockets.size / 2 },
    get cuts () { return cuts },
    async cut () { cuts++; await stop() },
    async restore () { server ??= await listen(port) },
    close: stop
  }
}
