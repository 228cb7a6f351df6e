import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * One log line per answered request, at info: method, URL, status and time,
 * plus what the route noted about it (a vend: project, target, cache hit).
 * Fastify's own request logging (two lines, the request serialized through
 * redaction) is off (src/app.ts `disableRequestLogging`); this costs less
 * than it did (docs/performance.md). Failures keep their own line from the
 * error dialect, with the reason.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** What the route wants in the request's line, and the line's message. */
    logNote: { message: string, fields: RequestNote } | null
  }
}

/**
 * What a route may add to its request's line: ids, flags and times, never a
 * secret. None of these names is a redacted field or container (src/app.ts
 * REDACTED_PATHS; test/logging.test.ts holds them apart), so pino writes the
 * line without running the redaction at all, on every vend.
 */
export interface RequestNote {
  project: string
  target_id?: string
  device_id?: string
  from_cache?: boolean
  expires_at?: Date
  /** PRIMARY or SECONDARY: which secret, not the secret. */
  secret_type?: string
  generated?: boolean
  force_disconnect?: boolean
  /** `ak:<id>` or `token:<id>`: ids, not the key or token. */
  principal?: string
}

/** Called by a route: `fields` go into the request's one log line, under `message`. */
export function noteForLog (req: FastifyRequest, message: string, fields: RequestNote): void {
  req.logNote = { message, fields }
}

export function logRequests (app: FastifyInstance): void {
  app.decorateRequest('logNote', null)
  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const note = req.logNote
    const line = { method: req.method, url: req.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime }
    if (note === null) req.log.info(line, 'request completed')
    else req.log.info(Object.assign(line, note.fields), note.message)
    done()
  })
}
