import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DomainError } from './errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (null when there was none): signatures are computed over these bytes. */
    rawBody: Buffer | null
  }
}

/**
 * JSON bodies are parsed here, in buffer mode, so the raw bytes stay on the
 * request for signature checks (TOOLCHAIN.md, "Fastify traps"). An empty body
 * is no body: IoTDA's reset takes an absent body as "generate a primary secret".
 */
export function acceptJsonWithRawBody (app: FastifyInstance): void {
  app.decorateRequest('rawBody', null)
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer
    req.rawBody = raw
    if (raw.length === 0) {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(raw.toString('utf8')))
    } catch {
      done(new DomainError('malformed_json'), undefined)
    }
  })
}

/**
 * For operations whose body is entirely optional: no body (or `null`) is an
 * empty object. Fastify validates the body schema even when none was sent
 * (`Type.Optional` means nothing at the root of a schema), so without this
 * `curl -X POST …/tokens` would answer 400.
 */
export async function absentBodyIsEmpty (req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {}
}
