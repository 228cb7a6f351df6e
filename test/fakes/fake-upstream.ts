import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The shared skeleton of the fake STS/IAM servers: a node:http server on
 * 127.0.0.1, port 0, with a switchable failure mode and an artificial delay.
 * Each vendor fake supplies how to verify a request and how to answer.
 *
 * Modes:
 *   'ok'       verify the signature, answer with a credential
 *   'fail'     HTTP 500 in the vendor's error format
 *   'throttle' the vendor's throttling error
 *   'deny'     the vendor's access-denied error (403)
 *   'hang'     accept the request, never answer (until close())
 *   'garbage'  HTTP 200 with a body no client can parse
 * Calls are recorded in every mode (before the mode applies).
 */
export type FakeMode = 'ok' | 'fail' | 'throttle' | 'deny' | 'hang' | 'garbage'

export interface FakeUpstream<Call> {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  url: string
  port: number
  /** Every request received, oldest first. */
  calls: Call[]
  mode: FakeMode
  setMode (mode: FakeMode, options?: { delayMs?: number }): void
  /** Wait this long before answering (any mode except 'hang'). */
  delayMs: number
  /** Lifetime of issued credentials, seconds (default 3600). */
  credentialSeconds: number
  close (): Promise<void>
}

export interface VendorBehaviour<Call> {
  /** Parse and verify; `error` set means the signature (or request) is bad and gets `reject`. */
  inspect (req: IncomingMessage, body: Buffer): { call: Call, error?: string }
  success (res: ServerResponse, call: Call, credentialSeconds: number): void
  failure (res: ServerResponse, kind: 'fail' | 'throttle' | 'deny' | 'signature', message: string): void
}

export async function startFakeUpstream<Call> (behaviour: VendorBehaviour<Call>): Promise<FakeUpstream<Call>> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const { call, error } = behaviour.inspect(req, Buffer.concat(chunks))
      fake.calls.push(call)
      if (fake.mode === 'hang') return
      setTimeout(() => {
        if (res.destroyed) return
        if (error !== undefined) return behaviour.failure(res, 'signature', error)
        switch (fake.mode) {
          case 'ok': return behaviour.success(res, call, fake.credentialSeconds)
          case 'garbage':
            res.writeHead(200, { 'content-type': 'application/json' })
            return res.end('<<not json, not xml>> {')
          case 'fail': case 'throttle': case 'deny': return behaviour.failure(res, fake.mode, `fake ${fake.mode}`)
        }
      }, fake.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const fake: FakeUpstream<Call> = {
    url: `http://127.0.0.1:${port}`,
    port,
    calls: [],
    mode: 'ok',
    delayMs: 0,
    credentialSeconds: 3600,
    setMode (mode, options = {}) {
      fake.mode = mode
      if (options.delayMs !== undefined) fake.delayMs = options.delayMs
    },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return fake
}

export const randomToken = (prefix: string, length: number): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  let out = prefix
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)]
  return out
}
