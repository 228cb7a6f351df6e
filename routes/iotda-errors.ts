import { notMet, type CodeTable } from './dialects/code-table.js'
import { APIGW, huaweiErrorRenderer, type HuaweiCodeTable, type HuaweiErrorEntry } from './dialects/huawei.js'

/**
 * IoTDA's error codes (docs/iotda.md has the table with sources).
 *
 * The vendor's own codes where its documentation names one (IoTDA API
 * reference "错误码" and the device-side HTTPS API tables):
 *   IOTDA.000002 401 Authentication failed.
 *   IOTDA.000004 403 Invalid access token.
 *   IOTDA.000006 400 Invalid input data.
 *   IOTDA.000008 400 Invalid input. Bad request (bad JSON, wrong media type).
 *   IOTDA.014000 404 The device does not exist.
 * IoTDA answers authentication failures itself with IOTDA.000002 (not the API
 * Gateway's APIGW.0301), so clients that test for it keep working.
 * The API Gateway's codes where the gateway answers: unknown API (APIGW.0101),
 * not authorized (APIGW.0302), throttling (APIGW.0308).
 * Where neither documents a code (405, 500, 503) the code is stsgate's own, in
 * the IOTDA.999sss range (sss = the status) so that it cannot collide with a vendor code.
 * Codes are stable: add new ones, never renumber.
 */
const iotda = (status: number, code: string, title: string): HuaweiErrorEntry => ({ status, code: `IOTDA.${code}`, title })

export const IOTDA = {
  authenticationFailed: iotda(401, '000002', 'Authentication failed'),
  invalidAccessToken: iotda(403, '000004', 'Invalid access token'),
  invalidInput: iotda(400, '000006', 'Invalid input data'),
  badRequest: iotda(400, '000008', 'Invalid input. Bad request'),
  deviceNotFound: iotda(404, '014000', 'The device does not exist'),
  methodNotAllowed: iotda(405, '999405', 'The request method is not allowed'),
  internal: iotda(500, '999500', 'Internal server error'),
  unavailable: iotda(503, '999503', 'Service unavailable')
} as const

export const IOTDA_ERRORS: HuaweiCodeTable = {
  codes: {
    // routes/authenticate.ts (the shared Huawei authentication hook)
    credentials_missing: IOTDA.authenticationFailed,
    token_invalid: IOTDA.authenticationFailed,
    token_expired: IOTDA.authenticationFailed,
    incomplete_signature: IOTDA.authenticationFailed,
    unsigned_payload: IOTDA.authenticationFailed,
    timestamp_expired: IOTDA.authenticationFailed,
    access_key_not_found: IOTDA.authenticationFailed,
    signature_mismatch: IOTDA.authenticationFailed,
    replayed: IOTDA.authenticationFailed,
    token_disabled: IOTDA.invalidAccessToken,
    access_key_disabled: IOTDA.invalidAccessToken,
    // routes/iotda.ts
    project_mismatch: APIGW.notAuthorized,
    instance_mismatch: APIGW.notAuthorized,
    invalid_secret: IOTDA.invalidInput,
    // src/store/devices.ts: unknown device, or a device of another project (same answer)
    device_not_found: IOTDA.deviceNotFound,
    // the project deleted between authentication and the instance check
    project_not_found: IOTDA.deviceNotFound,
    // routes/dialects/fastify-failures.ts
    validation: IOTDA.invalidInput,
    request_too_large: IOTDA.invalidInput,
    // docs/iotda.md "Errors": IoTDA answers a bad body or media type with 400 IOTDA.000008
    malformed_json: IOTDA.badRequest,
    unsupported_media_type: IOTDA.badRequest,
    body_too_large: IOTDA.badRequest,
    bad_request: IOTDA.badRequest,
    method_not_allowed: IOTDA.methodNotAllowed,
    route_not_found: APIGW.noSuchApi,
    internal: IOTDA.internal,
    store_unavailable: IOTDA.unavailable,
    // src/limits and the shared replay window
    rate_limited: APIGW.throttled,
    overloaded: IOTDA.unavailable,
    replay_store_unavailable: IOTDA.unavailable,
    replay_window_full: IOTDA.unavailable,
    // Nothing is vended here; the rest belongs to the Alibaba verifier, the admin API and the other contracts.
    ...notMet('nonce_used', 'access_key_inactive', 'unauthenticated', 'package_storage_not_configured', 'workspace_not_bound',
      'invalid_object_name', 'no_actions', 'invalid_bucket', 'policy_too_large', 'duration_too_short',
      'credential_lifetime_too_short', 'mint_budget_exhausted', 'upstream_missing', 'upstream_endpoint_refused',
      'invalid_duration', 'upstream_throttled', 'upstream_denied', 'upstream_rejected', 'upstream_unavailable',
      'target_not_found', 'gateway_not_found', 'token_not_found', 'binding_not_found', 'already_exists', 'target_bound', 'prefix_taken',
      'identity_taken', 'identity_repeated', 'provider_not_bindable')
  } satisfies CodeTable<HuaweiErrorEntry>,
  kinds: {
    invalid: IOTDA.invalidInput,
    unauthenticated: IOTDA.authenticationFailed,
    forbidden: APIGW.notAuthorized,
    not_found: IOTDA.deviceNotFound,
    // Nothing on this route conflicts; if something ever does, it is our bug.
    conflict: IOTDA.internal,
    throttled: APIGW.throttled,
    unavailable: IOTDA.unavailable,
    misconfigured: IOTDA.internal,
    internal: IOTDA.internal
  }
}

export const renderIotdaError = huaweiErrorRenderer(IOTDA_ERRORS)

/** The vendor page's statuses (400, 401, 403, 404, 500), plus 405, 429 and 503. */
export const IOTDA_ERROR_STATUSES = [400, 401, 403, 404, 405, 429, 500, 503] as const
