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
  if (e.validation !== undefined) return new DomainError('validation', cleanValidationMessage(e.message ?? 'invalid request'))
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported_media_type')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('body_too_large')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new DomainError('malformed_json')
  }
  if (err instanceof SyntaxError) return new DomainError('malformed_json')
  if (e.statusCode === 413) return new DomainError('body_too_large')
  if (e.statusCode === 415) return new DomainError('unsupported_media_type')
  if (e.statusCode === 400) return new DomainError('bad_request')
  if (e.statusCode === 414 || e.statusCode === 431) return new DomainError('request_too_large')
  return new DomainError('internal')
}

export const methodNotAllowed = (): DomainError =>
  new DomainError('method_not_allowed')

export const routeNotFound = (): DomainError =>
  new DomainError('route_not_found')

/** Ajv says `body/app_file_name must NOT have more than 255 characters`; keep that, drop Fastify's prefix noise. */
function cleanValidationMessage (message: string): string {
  return message.length > 300 ? `${message.slice(0, 297)}...` : message
}
