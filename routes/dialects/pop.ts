import type { TSchema } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { PopError } from '../../schemas/edas.js'
import type { DomainError } from '../../src/errors.js'
import { answerFor, errorResponses, notMet, type CodeTable, type DialectTable } from './code-table.js'
import type { ErrorRenderer } from './install.js'

/**
 * Alibaba POP error dialect (EDAS): HTTP status + JSON
 * `{RequestId, HostId, Code, Message, Recommend?}` with a string `Code`.
 * Codes are the POP gateway's own where one exists (Alibaba "client error
 * codes" tables: IncompleteSignature, SignatureDoesNotMatch,
 * InvalidTimeStamp.Expired, SignatureNonceUsed, InvalidAccessKeyId.*,
 * InvalidParameter, UnsupportedHTTPMethod, InvalidApi.NotFound,
 * Throttling.User, InternalError, ServiceUnavailable); statuses follow
 * docs/edas.md, which deliberately uses 403/404/405/429 where the gateway
 * itself answers a flat 400.
 */
export interface PopEntry {
  status: number
  code: string
  /** What the code means, for the OpenAPI document. */
  doc: string
  /** A fixed `Message`; else the domain error's own. */
  message?: string
}

type PopAnswer = readonly [status: number, code: string, message?: string]

const POP = {
  incompleteSignature: { status: 400, code: 'IncompleteSignature', doc: 'Authorization or a signing header missing or malformed' },
  signatureMismatch: { status: 400, code: 'SignatureDoesNotMatch', doc: 'the signature does not match the request' },
  timestampExpired: { status: 400, code: 'InvalidTimeStamp.Expired', doc: 'Date / x-acs-date outside ±15 minutes' },
  nonceUsed: { status: 400, code: 'SignatureNonceUsed', doc: 'x-acs-signature-nonce replayed' },
  invalidParameter: { status: 400, code: 'InvalidParameter', doc: 'malformed request, e.g. an oversized body' },
  forbidden: { status: 403, code: 'Forbidden', doc: 'not allowed' },
  keyInactive: { status: 403, code: 'InvalidAccessKeyId.Inactive', doc: 'the access key or its project is disabled' },
  keyNotFound: { status: 404, code: 'InvalidAccessKeyId.NotFound', doc: 'unknown AccessKeyId' },
  notConfigured: { status: 404, code: 'PackageStorage.NotConfigured', doc: 'the project has no EDAS storage binding' },
  noSuchApi: {
    status: 404, code: 'InvalidApi.NotFound', doc: 'no such API under /pop',
    message: 'Specified api is not found, please check your url and method.'
  },
  methodNotAllowed: { status: 405, code: 'UnsupportedHTTPMethod', doc: 'only GET is supported', message: 'This http method is not supported.' },
  throttled: {
    status: 429, code: 'Throttling.User',
    doc: 'too many requests from this address, access key or project (see Retry-After), this project is minting ' +
      'credentials too fast, or the upstream STS is throttling; retry later'
  },
  // 5xx never carry the domain message: it may name upstreams, hosts or configuration.
  internal: {
    status: 500, code: 'InternalError', doc: 'unexpected failure (details only in the server log, under the RequestId)',
    message: 'The request processing has failed due to some unknown error.'
  },
  misconfigured: {
    status: 500, code: 'PackageStorage.Misconfigured', doc: 'the project\'s storage target cannot issue this credential (operator configuration)',
    message: 'The package storage of this project cannot issue credentials; ask the stsgate operator to check its log for this RequestId.'
  },
  unavailable: {
    status: 503, code: 'ServiceUnavailable',
    doc: 'the upstream STS is failing and no valid cached credential is left, or the instance is overloaded (see Retry-After)',
    message: 'The request has failed due to a temporary failure of the server.'
  }
} as const satisfies Record<string, PopEntry>

const RATE_LIMITED: PopEntry = { ...POP.throttled, message: 'Request was denied due to user flow control.' }

export const POP_ERRORS: DialectTable<PopEntry> = {
  codes: {
    // src/auth/aliyun.ts
    incomplete_signature: POP.incompleteSignature,
    signature_mismatch: POP.signatureMismatch,
    timestamp_expired: POP.timestampExpired,
    nonce_used: POP.nonceUsed,
    access_key_not_found: POP.keyNotFound,
    access_key_inactive: POP.keyInactive,
    // the key lookup and the shared replay window
    store_unavailable: POP.unavailable,
    replay_store_unavailable: POP.unavailable,
    // the in-memory replay window is at its memory budget (src/auth/replay.ts)
    replay_window_full: POP.unavailable,
    // routes/edas.ts
    package_storage_not_configured: POP.notConfigured,
    // credential service: the per-project mint budget, and the upstream's own throttling
    mint_budget_exhausted: POP.throttled,
    upstream_throttled: POP.throttled,
    upstream_unavailable: POP.unavailable,
    // src/limits: the request rate of this address, access key or project; the instance is overloaded
    rate_limited: RATE_LIMITED,
    overloaded: POP.unavailable,
    // The scope is built from the operator's binding, not from caller input: a policy the
    // renderer refuses is a configuration fault, not the caller's.
    invalid_object_name: POP.misconfigured,
    no_actions: POP.misconfigured,
    invalid_bucket: POP.misconfigured,
    policy_too_large: POP.misconfigured,
    duration_too_short: POP.misconfigured,
    credential_lifetime_too_short: POP.misconfigured,
    upstream_missing: POP.misconfigured,
    upstream_endpoint_refused: POP.misconfigured,
    invalid_duration: POP.misconfigured,
    upstream_denied: POP.misconfigured,
    upstream_rejected: POP.misconfigured,
    // routes/dialects/fastify-failures.ts
    validation: POP.invalidParameter,
    malformed_json: POP.invalidParameter,
    bad_request: POP.invalidParameter,
    unsupported_media_type: POP.invalidParameter,
    body_too_large: POP.invalidParameter,
    request_too_large: POP.invalidParameter,
    method_not_allowed: POP.methodNotAllowed,
    route_not_found: POP.noSuchApi,
    internal: POP.internal,
    // The Huawei verifier and tokens, the admin API, the other contracts.
    ...notMet('credentials_missing', 'token_invalid', 'token_expired', 'token_disabled', 'unsigned_payload', 'replayed',
      'access_key_disabled', 'unauthenticated', 'project_mismatch', 'instance_mismatch', 'workspace_not_bound',
      'invalid_secret', 'project_not_found', 'target_not_found', 'gateway_not_found', 'device_not_found',
      'token_not_found', 'binding_not_found', 'already_exists', 'target_bound', 'prefix_taken', 'identity_taken', 'identity_repeated',
      'provider_not_bindable')
  } satisfies CodeTable<PopEntry>,
  // For a code marked not met, should it ever arrive.
  kinds: {
    invalid: POP.invalidParameter,
    unauthenticated: POP.signatureMismatch,
    forbidden: POP.forbidden,
    not_found: POP.notConfigured,
    conflict: POP.internal,
    throttled: POP.throttled,
    unavailable: POP.unavailable,
    misconfigured: POP.misconfigured,
    internal: POP.internal
  }
}

export function popAnswer (err: DomainError): PopAnswer {
  const { status, code, message } = answerFor(POP_ERRORS, err)
  return [status, code, message]
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

/** One documented response per status, naming the codes it carries, generated from the table (openapi.yaml). */
export const popErrorResponses = (statuses: readonly number[]): Record<number, TSchema> =>
  errorResponses(PopError, POP_ERRORS, statuses, {
    describe: (entry) => `${entry.code}: ${entry.doc}`,
    order: 'as listed',
    example: (entry, message) => ({ RequestId: '3F6B2C1E-8D4A-4B7E-9C2D-5A1F0E6B7C8D', HostId: 'edas.cn-hangzhou.aliyuncs.com', Code: entry.code, Message: entry.message ?? message })
  })
