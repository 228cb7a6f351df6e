import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../src/errors.js'
import type { DialectsByPrefix } from './install.js'
import { asDomainError } from './fastify-failures.js'

/**
 * Requests Node refuses before Fastify sees them (Fastify's `clientErrorHandler`):
 * headers over STSGATE_MAX_HEADER_BYTES, or bytes that are not HTTP. Node would
 * answer a bare 431/400 and Fastify a `{error, message, statusCode}` body; we
 * answer in the dialect of the contract whose path the request line names (the
 * request line is in the bytes received so far), else the operator dialect.
 * Timeouts (a client too slow with its headers or body: slowloris) get a bare
 * 408 and the connection closed: no contract defines one, and the client has
 * shown it is not reading anyway.
 */
export function answerClientError (err: Error & { code?: string, rawPacket?: unknown }, socket: Socket, dialects: DialectsByPrefix): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  if (!socket.writable) {
    socket.destroy()
    return
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    return
  }
  const url = requestPath(err.rawPacket)
  const domain = err.code === 'HPE_HEADER_OVERFLOW'
    ? new DomainError('request_too_large', 'the request headers are too large')
    : new DomainError('bad_request')
  const id = randomUUID()
  // The renderers read only the request id and host; there is no parsed request to give them.
  const req = { id, hostname: 'stsgate', url, headers: {} } as unknown as FastifyRequest
  const dialect = dialects.for(url)
  const { status, body } = dialect.render(domain, req)
  const json = JSON.stringify(body)
  const idHeaders = ['x-request-id', ...dialect.requestIdHeaders].map((h) => `${h}: ${id}\r\n`).join('')
  socket.end(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Error'}\r\nConnection: close\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n${idHeaders}\r\n${json}`)
}

/**
 * `GET /pop/v5/… HTTP/1.1` → `/pop/v5/…`; '' when there is no request line.
 * An over-long URL is itself the overflow: its request line never ends within
 * the bytes received, but the path's beginning still names the contract.
 */
function requestPath (raw: unknown): string {
  // Node gives a Buffer (Fastify's type says otherwise).
  if (!Buffer.isBuffer(raw)) return ''
  const line = /^[A-Z]{3,10} (\/[^\s?#]*)/.exec(raw.toString('latin1', 0, Math.min(raw.length, 8192)))
  return line?.[1] ?? ''
}

/**
 * Fastify's `frameworkErrors`: failures before routing (bad URL encoding, an
 * over-long path parameter) in the dialect of the prefix the path is under.
 */
export function answerBeforeRouting (dialects: DialectsByPrefix) {
  return (error: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    const dialect = dialects.for(req.url)
    const { status, body } = dialect.render(asDomainError(error), req)
    req.log.info({ code: error.code }, 'request refused before routing')
    reply.header('x-request-id', req.id)
    for (const header of dialect.requestIdHeaders) reply.header(header, req.id)
    void reply.code(status).type('application/json; charset=utf-8').send(body)
  }
}
