import { DomainError, isDomainError } from '../../src/errors.js'

/**
 * Fastify's own failures, turned into domain errors so that every contract
 * renders them in its own dialect: a caller never sees `{statusCode, error, message}`.
 * The detail codes here are shared by all dialects:
 *   validation, malformed_json, unsupported_media_type, body_too_large,
 *   method_not_allowed, route_not_found, internal.
 */
export function asDomainError (err: unknown): DomainError {
  if (isDomainError(err)) return err
  const e = err as { code?: string, statusCode?: number, validation?: unknown, message?: string }
  if (e.validation !== undefined) return new DomainError('invalid', 'validation', cleanValidationMessage(e.message ?? 'invalid request'))
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('invalid', 'unsupported_media_type', 'the request body must be application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('invalid', 'body_too_large', 'the request body is too large')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('invalid', 'malformed_json', 'the request body is not valid JSON')
  }
  if (err instanceof SyntaxError) return new DomainError('invalid', 'malformed_json', 'the request body is not valid JSON')
  if (e.statusCode === 413) return new DomainError('invalid', 'body_too_large', 'the request body is too large')
  if (e.statusCode === 415) return new DomainError('invalid', 'unsupported_media_type', 'the request body must be application/json')
  if (e.statusCode === 400) return new DomainError('invalid', 'bad_request', 'the request is malformed')
  if (e.statusCode === 414 || e.statusCode === 431) return new DomainError('invalid', 'request_too_large', 'the request URI or headers are too long')
  return new DomainError('internal', 'internal', 'internal error')
}

export const methodNotAllowed = (): DomainError =>
  new DomainError('invalid', 'method_not_allowed', 'this method is not allowed on this path')

export const routeNotFound = (): DomainError =>
  new DomainError('not_found', 'route_not_found', 'no such resource')

/** Ajv says `body/app_file_name must NOT have more than 255 characters`; keep that, drop Fastify's prefix noise. */
function cleanValidationMessage (message: string): string {
  return message.length > 300 ? `${message.slice(0, 297)}...` : message
}
