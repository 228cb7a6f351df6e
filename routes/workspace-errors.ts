import { notMet, type CodeTable } from './dialects/code-table.js'
import { APIGW, HUAWEI_GATEWAY_CODES, huaweiErrorRenderer, type HuaweiCodeTable, type HuaweiErrorEntry } from './dialects/huawei.js'

/**
 * Workspace's error codes. `APIGW.*` are what Huawei API Gateway answers
 * before the service runs (authentication, throttling, unknown API); `WKS.*`
 * are the service's own, `WKS.00{status}{nnn}`. Codes are stable: add new
 * ones, never renumber. The README (docs/workspace.md) and the OpenAPI
 * document list them; the OpenAPI descriptions are generated from this table.
 */
const wks = (status: number, code: string, title: string): HuaweiErrorEntry => ({ status, code: `WKS.${code}`, title })

export const WKS = {
  invalidRequest: wks(400, '00400001', 'Invalid request'),
  malformedBody: wks(400, '00400002', 'Malformed request body'),
  invalidFileName: wks(400, '00400003', 'Invalid app_file_name'),
  bodyTooLarge: wks(400, '00400004', 'Request body too large'),
  requestTooLarge: wks(400, '00400005', 'Request URI or headers too large'),
  projectMismatch: wks(403, '00403001', 'Access to this project is not allowed'),
  notBound: wks(404, '00404001', 'The app warehouse is not configured for this project'),
  projectNotFound: wks(404, '00404002', 'Project not found'),
  notFound: wks(404, '00404000', 'No resources found'),
  methodNotAllowed: wks(405, '00405001', 'The request method is not allowed'),
  unsupportedMediaType: wks(415, '00415001', 'The request body must be application/json'),
  upstreamThrottled: wks(429, '00429001', 'The storage credential service is throttling requests'),
  internal: wks(500, '00500001', 'Internal service error'),
  misconfigured: wks(500, '00500002', 'The app warehouse storage is misconfigured'),
  upstreamUnavailable: wks(503, '00503001', 'The storage credential service is unavailable'),
  storeUnavailable: wks(503, '00503002', 'Service unavailable')
} as const

export const WORKSPACE_ERRORS: HuaweiCodeTable = {
  codes: {
    // routes/authenticate.ts (the shared Huawei preHandler)
    ...HUAWEI_GATEWAY_CODES,
    // routes/workspace.ts
    validation: WKS.invalidRequest,
    bad_request: WKS.invalidRequest,
    malformed_json: WKS.malformedBody,
    invalid_object_name: WKS.invalidFileName,
    body_too_large: WKS.bodyTooLarge,
    request_too_large: WKS.requestTooLarge,
    project_mismatch: WKS.projectMismatch,
    workspace_not_bound: WKS.notBound,
    project_not_found: WKS.projectNotFound,
    method_not_allowed: WKS.methodNotAllowed,
    unsupported_media_type: WKS.unsupportedMediaType,
    internal: WKS.internal,
    // the credential service and the upstream STS
    mint_budget_exhausted: APIGW.throttled,
    upstream_throttled: WKS.upstreamThrottled,
    upstream_unavailable: WKS.upstreamUnavailable,
    invalid_bucket: WKS.misconfigured,
    policy_too_large: WKS.misconfigured,
    duration_too_short: WKS.misconfigured,
    credential_lifetime_too_short: WKS.misconfigured,
    upstream_missing: WKS.misconfigured,
    upstream_endpoint_refused: WKS.misconfigured,
    invalid_duration: WKS.misconfigured,
    upstream_denied: WKS.misconfigured,
    upstream_rejected: WKS.misconfigured,
    store_unavailable: WKS.storeUnavailable,
    // src/limits and the shared replay window
    rate_limited: APIGW.throttled,
    overloaded: WKS.storeUnavailable,
    replay_store_unavailable: WKS.storeUnavailable,
    replay_window_full: WKS.storeUnavailable,
    // The Alibaba verifier, the admin API, IoTDA, EDAS; the route asks for fixed actions.
    ...notMet('nonce_used', 'access_key_inactive', 'unauthenticated', 'instance_mismatch', 'package_storage_not_configured',
      'invalid_secret', 'no_actions', 'target_not_found', 'gateway_not_found', 'device_not_found', 'token_not_found', 'binding_not_found',
      'already_exists', 'target_bound', 'prefix_taken', 'identity_taken', 'identity_repeated', 'provider_not_bindable')
  } satisfies CodeTable<HuaweiErrorEntry>,
  kinds: {
    invalid: WKS.invalidRequest,
    unauthenticated: APIGW.authentication,
    forbidden: APIGW.notAuthorized,
    not_found: WKS.notFound,
    // Nothing on this route conflicts; if something ever does, it is our bug.
    conflict: WKS.internal,
    throttled: APIGW.throttled,
    unavailable: WKS.upstreamUnavailable,
    misconfigured: WKS.misconfigured,
    internal: WKS.internal
  }
}

export const renderWorkspaceError = huaweiErrorRenderer(WORKSPACE_ERRORS)

/** Every status the vendor page lists, plus 429. */
export const WORKSPACE_ERROR_STATUSES = [400, 401, 403, 404, 405, 415, 429, 500, 503] as const
