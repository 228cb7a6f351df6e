import type { ErrorCode, ErrorKind } from '../../src/errors.js'
import type { ErrorRenderer } from '../dialects/install.js'

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  throttled: 429,
  unavailable: 503,
  misconfigured: 400,
  internal: 500
}

const SPECIAL: Partial<Record<ErrorCode, number>> = { method_not_allowed: 405, unsupported_media_type: 415, body_too_large: 413 }

/**
 * The admin API's own dialect: `{error, message}` with the domain code itself
 * as `error`, status by kind — so unlike the vendor contracts it needs no
 * per-code table, and a new code is rendered correctly as soon as it exists.
 */
export const renderAdminError: ErrorRenderer = (err) => ({
  status: SPECIAL[err.code] ?? STATUS[err.kind],
  body: { error: err.code, message: err.message }
})
