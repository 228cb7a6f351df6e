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

/**
 * Installs a contract's error dialect on its (encapsulated) plugin: every
 * failure inside it — ours, Fastify's, an unknown route under its prefix —
 * comes out in that contract's shape. Unexpected errors are logged with their
 * stack and answered with the contract's 500 and nothing else.
 */
export function useErrorDialect (app: FastifyInstance, render: ErrorRenderer): void {
  const send = (err: DomainError, req: FastifyRequest, reply: FastifyReply, cause?: unknown): FastifyReply => {
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
