import { DomainError } from '../errors.js'

/**
 * How upstream failures become domain errors. Messages carry the provider,
 * the HTTP status and the vendor's error code only — never the vendor message
 * (which may echo request parameters) and never our keys.
 *
 * - throttled / upstream_throttled: the vendor rate-limited us (Alibaba
 *   `Throttling*`, AWS `Throttling`, HTTP 429). Retrying later helps.
 * - misconfigured / upstream_denied: the vendor refused our credentials or the
 *   role assumption (401/403, or an auth error code). The operator must fix the
 *   target (keys, trust policy, role ARN); a caller retrying cannot, so this is
 *   not `unavailable`.
 * - misconfigured / upstream_rejected: another 4xx, e.g. a duration above the
 *   role's maximum or a malformed role ARN — also the operator's to fix.
 * - unavailable / upstream_unavailable: 5xx, timeouts, refused connections,
 *   responses we cannot parse.
 */
export const upstreamThrottled = (provider: string, detail: string): DomainError =>
  new DomainError('upstream_throttled', `${provider} STS is throttling requests (${detail})`)

export const upstreamDenied = (provider: string, detail: string): DomainError =>
  new DomainError('upstream_denied', `${provider} STS denied the configured credentials or role (${detail})`)

export const upstreamRejected = (provider: string, detail: string): DomainError =>
  new DomainError('upstream_rejected', `${provider} STS rejected the request (${detail})`)

export const upstreamUnavailable = (provider: string, detail: string): DomainError =>
  new DomainError('upstream_unavailable', `${provider} STS is unavailable (${detail})`)

const AUTH_CODE = /denied|forbidden|unauthori[sz]ed|signature|invalidaccesskey|invalidclienttokenid|notauthorized|nopermission|accesskey|expiredtoken|security ?token|incompletesignature|authfailure/i

/** Classify an HTTP-level failure from its status and the vendor's error code (may be empty). */
export function classifyUpstreamStatus (provider: string, status: number, code: string): DomainError {
  const detail = code ? `HTTP ${status}, ${code}` : `HTTP ${status}`
  if (status === 429 || /throttl|toomanyrequests|requestlimitexceeded|flow ?control/i.test(code)) return upstreamThrottled(provider, detail)
  if (status === 401 || status === 403 || (status >= 400 && status < 500 && AUTH_CODE.test(code))) return upstreamDenied(provider, detail)
  if (status >= 400 && status < 500) return upstreamRejected(provider, detail)
  return upstreamUnavailable(provider, detail)
}

/** Vendor error codes are identifiers; keep them short and printable before they reach a message. */
export const safeCode = (code: unknown): string =>
  typeof code === 'string' ? code.replace(/[^\w.:-]/g, '').slice(0, 80) : ''
