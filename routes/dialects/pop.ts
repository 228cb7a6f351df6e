import type { FastifyRequest } from 'fastify'
import type { DomainError, ErrorKind } from '../../src/errors.js'
import type { ErrorRenderer } from './install.js'

/**
 * Alibaba POP error dialect (EDAS): HTTP status + JSON
 * `{RequestId, HostId, Code, Message, Recommend?}` with a string `Code`.
 * Codes are the POP gateway's own where one exists (Alibaba "client error
 * codes" tables: IncompleteSignature, SignatureDoesNotMatch,
 * InvalidTimeStamp.Expired, SignatureNonceUsed, InvalidAccessKeyId.*,
 * InvalidParameter, UnsupportedHTTPMethod, InvalidApi.NotFound,
 * Throttling.User, InternalError, ServiceUnavailable); statuses follow
 * ../shared/specs/edas.md, which deliberately uses 403/404/405/429 where the
 * gateway itself answers a flat 400.
 */
type PopAnswer = readonly [status: number, code: string, message?: string]

// 5xx never carry the domain message: it may name upstreams, hosts or configuration.
const INTERNAL: PopAnswer = [500, 'InternalError', 'The request processing has failed due to some unknown error.']
const UNAVAILABLE: PopAnswer = [503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.']
const MISCONFIGURED: PopAnswer = [500, 'PackageStorage.Misconfigured',
  'The package storage of this project cannot issue credentials; ask the stsgate operator to check its log for this RequestId.']

/** By detail code first (every code the EDAS route can meet). */
const BY_CODE: Record<string, PopAnswer> = {
  // src/auth/aliyun.ts and routes/authenticate.ts
  incomplete_signature: [400, 'IncompleteSignature'],
  signature_mismatch: [400, 'SignatureDoesNotMatch'],
  timestamp_expired: [400, 'InvalidTimeStamp.Expired'],
  nonce_used: [400, 'SignatureNonceUsed'],
  access_key_not_found: [404, 'InvalidAccessKeyId.NotFound'],
  access_key_inactive: [403, 'InvalidAccessKeyId.Inactive'],
  // routes/edas.ts
  package_storage_not_configured: [404, 'PackageStorage.NotConfigured'],
  // credential service: the per-project mint budget, and the upstream's own throttling
  mint_budget_exhausted: [429, 'Throttling.User'],
  upstream_throttled: [429, 'Throttling.User'],
  // src/limits: the request rate of this address, access key or project; the instance is overloaded;
  // the shared replay window (Redis) does not answer
  rate_limited: [429, 'Throttling.User', 'Request was denied due to user flow control.'],
  overloaded: UNAVAILABLE,
  replay_store_unavailable: UNAVAILABLE,
  // the in-memory replay window is at its memory budget (src/auth/replay.ts)
  replay_window_full: UNAVAILABLE,
  // The scope is built from the operator's binding, not from caller input: a policy the
  // renderer refuses is a configuration fault, not the caller's.
  invalid_object_name: MISCONFIGURED,
  no_actions: MISCONFIGURED,
  // routes/dialects/fastify-failures.ts
  validation: [400, 'InvalidParameter'],
  malformed_json: [400, 'InvalidParameter'],
  bad_request: [400, 'InvalidParameter'],
  unsupported_media_type: [400, 'InvalidParameter'],
  body_too_large: [400, 'InvalidParameter'],
  request_too_large: [400, 'InvalidParameter'],
  method_not_allowed: [405, 'UnsupportedHTTPMethod', 'This http method is not supported.'],
  route_not_found: [404, 'InvalidApi.NotFound', 'Specified api is not found, please check your url and method.'],
  internal: INTERNAL
}

/** Then by kind, so that a code added later still gets a sensible POP answer. */
const BY_KIND: Record<ErrorKind, PopAnswer> = {
  invalid: [400, 'InvalidParameter'],
  unauthenticated: [400, 'SignatureDoesNotMatch'],
  forbidden: [403, 'Forbidden'],
  not_found: [404, 'PackageStorage.NotConfigured'],
  conflict: INTERNAL,
  throttled: [429, 'Throttling.User'],
  unavailable: UNAVAILABLE,
  misconfigured: MISCONFIGURED,
  internal: INTERNAL
}

export function popAnswer (err: DomainError): PopAnswer {
  return BY_CODE[err.code] ?? BY_KIND[err.kind]
}

/** The host the caller addressed, as the gateway's HostId; never empty. */
const hostId = (req: FastifyRequest): string => {
  const host = req.hostname
  return typeof host === 'string' && host !== '' ? host.slice(0, 255) : 'stsgate'
}

export const renderPopError: ErrorRenderer = (err, req) => {
  const [status, code, fixedMessage] = popAnswer(err)
  return {
    status,
    body: { RequestId: req.id, HostId: hostId(req), Code: code, Message: fixedMessage ?? err.message }
  }
}
