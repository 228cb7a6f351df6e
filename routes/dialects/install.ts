import '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DomainError } from '../../src/errors.js'
import { asDomainError, methodNotAllowed, routeNotFound } from './fastify-failures.js'

export interface RenderedError {
  status: number
  body: unknown
}

/** A contract's error dialect: domain error → its own status and body. */
export type ErrorRenderer = (err: DomainError, req: FastifyRequest) => RenderedError

export interface DialectOptions {
  /** Headers every answer of the contract carries with the request id, beside X-Request-Id. */
  requestIdHeaders?: readonly string[]
}

/** A contract's way of answering: its error renderer and its request-id headers. */
export interface Dialect {
  render: ErrorRenderer
  requestIdHeaders: readonly string[]
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Filled by `useErrorDialect` at registration; read only before routing. */
    dialects: DialectsByPrefix
  }
}

/**
 * The dialect of each path prefix, filled by the contract plugins as they
 * register (`useErrorDialect`). Only failures that happen before Fastify has
 * chosen a route read it — bytes Node refuses, a malformed URL, an over-long
 * path parameter — since every routed request already runs inside its
 * contract's plugin. Nothing here names a vendor.
 */
export class DialectsByPrefix {
  readonly #claims: Array<{ prefix: string, dialect: Dialect }> = []

  constructor (private readonly fallback: Dialect) {}

  claim (prefix: string, dialect: Dialect): void {
    this.#claims.push({ prefix, dialect })
  }

  /** The dialect of the prefix a path is under; the fallback (operator dialect) outside every claim. */
  for (url: string): Dialect {
    return this.#claims.find(({ prefix }) => url === prefix || url.startsWith(`${prefix}/`))?.dialect ?? this.fallback
  }
}

/**
 * Installs a contract's error dialect on its (encapsulated) plugin: every
 * failure inside it — ours, Fastify's, an unknown route under its prefix —
 * comes out in that contract's shape. Unexpected errors are logged with their
 * stack and answered with the contract's 500 and nothing else.
 *
 * Resolved at registration: the plugin's own hook sets the request-id headers,
 * and the error path sets them too (a refusal by an application-wide hook —
 * overload, per-address rate limit — is answered by this plugin's error
 * handler before its own hooks have run). Under a prefix, the dialect is also
 * claimed in the application's prefix table, for the failures Node and
 * Fastify answer before any route is chosen (client-errors.ts, DialectsByPrefix).
 */
export function useErrorDialect (app: FastifyInstance, render: ErrorRenderer, options: DialectOptions = {}): void {
  const idHeaders = options.requestIdHeaders ?? []
  if (app.prefix !== '') app.dialects.claim(app.prefix, { render, requestIdHeaders: idHeaders })
  if (idHeaders.length > 0) {
    app.addHook('onRequest', (req, reply, done) => {
      for (const header of idHeaders) reply.header(header, req.id)
      done()
    })
  }
  const send = (err: DomainError, req: FastifyRequest, reply: FastifyReply, cause?: unknown): FastifyReply => {
    for (const header of idHeaders) reply.header(header, req.id)
    if (err.kind === 'internal') {
      req.log.error({ err: cause ?? err }, 'request failed')
    } else if (err.kind === 'unavailable' || err.kind === 'misconfigured') {
      req.log.warn({ code: err.code, err: err.cause ?? err }, err.message)
    } else {
      req.log.info({ code: err.code }, err.message)
    }
    const { status, body } = render(err, req)
    return reply.code(status).type('application/json; charset=utf-8').send(body)
  }
  app.setErrorHandler((error, req, reply) => send(asDomainError(error), req, reply, error))
  app.setNotFoundHandler((req, reply) => send(routeNotFound(), req, reply))
}

/**
 * Answers every other method on a contract path with the contract's 405,
 * hidden from the OpenAPI document (the real operation documents the 405).
 */
export function refuseOtherMethods (app: FastifyInstance, url: string, allowed: string[]): void {
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => !allowed.includes(m))
  app.route({
    method: methods,
    url,
    schema: { hide: true },
    handler: async (_req, reply) => {
      reply.header('allow', allowed.join(', '))
      throw methodNotAllowed()
    }
  })
}
