/**
 * Domain errors: what went wrong, in terms every contract can render.
 *
 * Services throw these; each contract's route plugin maps `kind` to its own
 * HTTP status and `code` (a stable detail code) to its own error code. The
 * message is safe to show to the caller: it never carries a secret.
 */
export type ErrorKind =
  | 'invalid'          // the caller's input is wrong
  | 'unauthenticated'  // no, bad or expired credentials
  | 'forbidden'        // authenticated, but not allowed
  | 'not_found'
  | 'conflict'
  | 'throttled'
  | 'unavailable'      // a dependency (upstream STS, store) is failing
  | 'misconfigured'    // the operator's configuration cannot serve this request
  | 'internal'         // our bug: rendered as the contract's 500, details only in the log

export class DomainError extends Error {
  override readonly name = 'DomainError'
  constructor (
    readonly kind: ErrorKind,
    /** Stable, documented detail code, e.g. `signature_mismatch`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError

export const invalid = (code: string, message: string) => new DomainError('invalid', code, message)
export const unauthenticated = (code: string, message: string) => new DomainError('unauthenticated', code, message)
export const forbidden = (code: string, message: string) => new DomainError('forbidden', code, message)
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message)
export const conflict = (code: string, message: string) => new DomainError('conflict', code, message)
export const throttled = (code: string, message: string) => new DomainError('throttled', code, message)
export const unavailable = (code: string, message: string, cause?: unknown) =>
  new DomainError('unavailable', code, message, { cause })
export const misconfigured = (code: string, message: string) => new DomainError('misconfigured', code, message)
