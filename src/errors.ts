/**
 * Domain errors: what went wrong, in terms every contract can render.
 *
 * Every error stsgate raises has a stable code in the catalogue below, with
 * its kind and a default message (the model is Fastify's `lib/errors.js`
 * table). Services throw these; each contract's route plugin maps every code
 * to its own HTTP status and error code, in a table typed
 * `Record<ErrorCode, …>`, so a code added here that a contract forgets fails
 * the type check. The message is safe to show to the caller: it never carries
 * a secret.
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

interface CatalogueEntry { kind: ErrorKind, message: string }

export const ERROR_CATALOGUE = {
  // The request itself (routes/dialects/fastify-failures.ts, client-errors.ts, src/http-body.ts)
  validation: { kind: 'invalid', message: 'the request does not match the schema' },
  malformed_json: { kind: 'invalid', message: 'the request body is not valid JSON' },
  bad_request: { kind: 'invalid', message: 'the request is malformed' },
  unsupported_media_type: { kind: 'invalid', message: 'the request body must be application/json' },
  body_too_large: { kind: 'invalid', message: 'the request body is too large' },
  request_too_large: { kind: 'invalid', message: 'the request URI or headers are too long' },
  method_not_allowed: { kind: 'invalid', message: 'this method is not allowed on this path' },
  route_not_found: { kind: 'not_found', message: 'no such resource' },
  internal: { kind: 'internal', message: 'internal error' },

  // Admission (src/limits)
  rate_limited: { kind: 'throttled', message: 'too many requests; retry later' },
  overloaded: { kind: 'unavailable', message: 'the service is overloaded; retry shortly' },

  // Callers (src/auth, routes/authenticate.ts, routes/admin/token.ts). Signature codes are
  // shared by both vendors' verifiers; each contract answers them by code (POP with 400/404,
  // Huawei with 401), so their kind only matters where a code is rendered by kind: an unknown
  // access key is `not_found` because the admin API reports it so, a replayed nonce `invalid`.
  credentials_missing: { kind: 'unauthenticated', message: 'send an X-Auth-Token header or an AK/SK signature' },
  token_invalid: { kind: 'unauthenticated', message: 'the X-Auth-Token is not valid' },
  token_expired: { kind: 'unauthenticated', message: 'the X-Auth-Token has expired' },
  token_disabled: { kind: 'forbidden', message: 'the X-Auth-Token was revoked or its project is disabled' },
  incomplete_signature: { kind: 'unauthenticated', message: 'the request signature is incomplete or malformed' },
  unsigned_payload: { kind: 'unauthenticated', message: 'X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD is not accepted here' },
  timestamp_expired: { kind: 'unauthenticated', message: 'the request time is outside the accepted 15-minute window' },
  access_key_not_found: { kind: 'not_found', message: 'the access key does not exist' },
  signature_mismatch: { kind: 'unauthenticated', message: 'the request signature does not match' },
  nonce_used: { kind: 'invalid', message: 'the signature nonce was already used' },
  replayed: { kind: 'unauthenticated', message: 'this signed request was already used' },
  access_key_inactive: { kind: 'forbidden', message: 'the access key or its project is disabled' },
  access_key_disabled: { kind: 'forbidden', message: 'the access key is disabled' },
  replay_store_unavailable: { kind: 'unavailable', message: 'the replay window cannot be checked; retry shortly' },
  replay_window_full: { kind: 'unavailable', message: 'too many signed requests are being remembered; retry in a minute' },
  unauthenticated: { kind: 'unauthenticated', message: 'missing or wrong admin token (Authorization: Bearer …)' },
  project_mismatch: { kind: 'forbidden', message: 'the credentials do not belong to the project in the path' },
  instance_mismatch: { kind: 'forbidden', message: 'the Instance-Id header does not name this project\'s instance' },

  // Contracts (routes/)
  package_storage_not_configured: { kind: 'not_found', message: 'no package storage is configured for this project' },
  workspace_not_bound: { kind: 'not_found', message: 'no app warehouse storage is bound to this project' },
  invalid_object_name: { kind: 'invalid', message: 'the object name is not allowed' },
  invalid_secret: { kind: 'invalid', message: 'secret must be 8 to 32 characters of letters, digits, _ and -' },

  // Credentials (src/credentials)
  no_actions: { kind: 'invalid', message: 'a credential needs at least one action' },
  invalid_bucket: { kind: 'misconfigured', message: 'the target bucket name is not a valid bucket name' },
  policy_too_large: { kind: 'misconfigured', message: 'the session policy for this scope is too large for the upstream' },
  duration_too_short: { kind: 'misconfigured', message: 'the target\'s credentials are shorter-lived than required' },
  credential_lifetime_too_short: {
    kind: 'misconfigured', message: 'the upstream issued a credential shorter-lived than the required minimum remaining lifetime'
  },
  mint_budget_exhausted: { kind: 'throttled', message: 'this project is minting new credentials too fast; retry shortly' },

  // Upstream STS (src/providers)
  upstream_missing: { kind: 'misconfigured', message: 'the target has no upstream configuration' },
  upstream_endpoint_refused: { kind: 'misconfigured', message: 'upstream endpoint refused' },
  invalid_duration: { kind: 'misconfigured', message: 'the upstream cannot issue credentials of the target\'s duration' },
  upstream_throttled: { kind: 'throttled', message: 'the upstream STS is throttling requests' },
  upstream_denied: { kind: 'misconfigured', message: 'the upstream STS denied the configured credentials or role' },
  upstream_rejected: { kind: 'misconfigured', message: 'the upstream STS rejected the request' },
  upstream_unavailable: { kind: 'unavailable', message: 'the upstream STS is unavailable' },

  // The store and the admin API (src/store)
  store_unavailable: { kind: 'unavailable', message: 'the store is unreachable' },
  project_not_found: { kind: 'not_found', message: 'the project does not exist' },
  target_not_found: { kind: 'not_found', message: 'the target does not exist in this project' },
  gateway_not_found: { kind: 'not_found', message: 'the gateway does not exist in this project' },
  device_not_found: { kind: 'not_found', message: 'the device does not exist in this project' },
  token_not_found: { kind: 'not_found', message: 'the token does not exist in this project' },
  binding_not_found: { kind: 'not_found', message: 'the project has no such binding' },
  already_exists: { kind: 'conflict', message: 'it already exists' },
  target_bound: { kind: 'conflict', message: 'the target is bound to a contract or a gateway; unbind it first' },
  prefix_taken: { kind: 'conflict', message: 'the prefix overlaps a prefix another project holds on the bucket' },
  identity_taken: { kind: 'conflict', message: 'the name is already registered in this deployment' },
  identity_repeated: { kind: 'invalid', message: 'a name is listed more than once' },
  provider_not_bindable: { kind: 'invalid', message: 'the target\'s provider cannot serve this binding' }
} as const satisfies Record<string, CatalogueEntry>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/** The codes of one kind, so `notFound('nonce_used')` does not compile. */
export type ErrorCodeOf<K extends ErrorKind> = {
  [C in ErrorCode]: typeof ERROR_CATALOGUE[C]['kind'] extends K ? C : never
}[ErrorCode]

export class DomainError extends Error {
  override readonly name = 'DomainError'
  readonly kind: ErrorKind

  constructor (
    /** Stable, documented detail code, e.g. `signature_mismatch`. */
    readonly code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].message,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.kind = ERROR_CATALOGUE[code].kind
  }
}

export const isDomainError = (err: unknown): err is DomainError => err instanceof DomainError

export const invalid = (code: ErrorCodeOf<'invalid'>, message?: string) => new DomainError(code, message)
export const unauthenticated = (code: ErrorCodeOf<'unauthenticated'>, message?: string) => new DomainError(code, message)
export const forbidden = (code: ErrorCodeOf<'forbidden'>, message?: string) => new DomainError(code, message)
export const notFound = (code: ErrorCodeOf<'not_found'>, message?: string) => new DomainError(code, message)
export const conflict = (code: ErrorCodeOf<'conflict'>, message?: string) => new DomainError(code, message)
export const throttled = (code: ErrorCodeOf<'throttled'>, message?: string) => new DomainError(code, message)
export const unavailable = (code: ErrorCodeOf<'unavailable'>, message?: string, cause?: unknown) =>
  new DomainError(code, message, { cause })
export const misconfigured = (code: ErrorCodeOf<'misconfigured'>, message?: string) => new DomainError(code, message)
