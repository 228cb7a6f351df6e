import { isDomainError } from '../errors.js'

/**
 * `data.result` codes of a storage_config_get reply. The vendor page defines
 * only "0 means normal"; DJI's own Cloud API SDK (cloud-api-demo,
 * `CloudSDKErrorEnum`) uses six-digit server codes, e.g. 210001 "Device is
 * not registered" and 210002 "Invalid parameter". We reuse those two where
 * the meaning is the same and keep stsgate's own codes in 2301xx, a range
 * that SDK does not use (device-side DJI codes start with 3). Documented in
 * docs/dji.md; never renumber.
 */
export const RESULT = {
  ok: 0,
  /** No gateway with the topic's serial number (DJI NOT_REGISTERED). */
  unknownGateway: 210001,
  /** `data.module` is not 0 (Media), the only module the vendor defines (DJI INVALID_PARAMETER). */
  unknownModule: 210002,
  /** The gateway or its project is disabled by the operator. */
  gatewayDisabled: 230101,
  /** The upstream STS (or stsgate's store) failed and no usable credential is cached: retry later. */
  upstreamUnavailable: 230102,
  /** Minting is throttled (the project's mint budget or the upstream's rate limit): retry later. */
  throttled: 230103,
  /** The gateway's target cannot serve docks as configured (duration vs. margin, denied role, policy size…): the operator must fix it. */
  misconfigured: 230104,
  /** stsgate failed unexpectedly; the details are in its log. */
  internal: 230199
} as const

export type ResultCode = typeof RESULT[keyof typeof RESULT]

/** The result code for an error thrown while resolving the gateway or vending. */
export function resultForError (err: unknown): Exclude<ResultCode, 0> {
  if (!isDomainError(err)) return RESULT.internal
  switch (err.kind) {
    case 'throttled': return RESULT.throttled
    case 'unavailable': return RESULT.upstreamUnavailable
    // invalid: a stored prefix or bucket the policy renderer refuses; not_found: a target gone under the gateway.
    case 'misconfigured': case 'invalid': case 'not_found': return RESULT.misconfigured
    default: return RESULT.internal
  }
}
