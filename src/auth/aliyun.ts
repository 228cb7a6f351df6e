import { notFound, unauthenticated, invalid } from '../errors.js'
import { safeEqual } from '../keys.js'
import { ACS3_ALGORITHM, parseAcs3Request, signAcs3 } from './aliyun-acs3.js'
import { parseRoaRequest, signRoa } from './aliyun-roa.js'
import { incompleteSignature, headerValue } from './aliyun-wire.js'
import type { SignatureClaim, SignedRequest } from './aliyun-wire.js'
import type { ReplayGuard } from './replay.js'

/**
 * Server-side verification of Alibaba signed requests (EDAS contract): classic
 * ROA (`acs AK:sig`, HMAC-SHA1) and V3 (`ACS3-HMAC-SHA256`).
 *
 * Order (security.md rule 2): parse → time window → key lookup → constant-time
 * signature check → body digest → record the nonce. A request that fails any
 * step never reaches the replay guard, so garbage cannot burn a nonce.
 *
 * Errors (DomainError code → POP code, mapped by the EDAS route):
 * - `incomplete_signature` (invalid)         → IncompleteSignature
 * - `timestamp_expired` (invalid)            → InvalidTimeStamp.Expired
 * - `access_key_not_found` (not_found)       → InvalidAccessKeyId.NotFound
 * - `signature_mismatch` (unauthenticated)   → SignatureDoesNotMatch
 * - `nonce_used` (invalid)                   → SignatureNonceUsed
 */

export type { SignedRequest } from './aliyun-wire.js'

export type AliyunScheme = SignatureClaim['scheme']

/** The looked-up key: its secret plus whatever the caller needs afterwards (status, project). */
export interface AliyunKey { secret: string }

export interface AliyunVerifierOptions<K extends AliyunKey = AliyunKey> {
  /**
   * Resolves an access key id; undefined only for an unknown key. A disabled
   * key is still returned: the caller decides (InvalidAccessKeyId.Inactive)
   * after the signature proved the caller holds it.
   */
  lookupKey (accessKeyId: string): Promise<K | undefined>
  replay: ReplayGuard
  now?: () => number
  /** Accepted clock skew either way; also how long a nonce is remembered. Default 15 minutes. */
  skewMs?: number
}

export interface VerifiedAliyunRequest<K extends AliyunKey = AliyunKey> {
  accessKeyId: string
  scheme: AliyunScheme
  /** What lookupKey returned, so the caller can check status without a second lookup. */
  key: K
}

export const DEFAULT_SKEW_MS = 15 * 60 * 1000

export async function verifyAliyunRequest<K extends AliyunKey> (
  req: SignedRequest,
  opts: AliyunVerifierOptions<K>
): Promise<VerifiedAliyunRequest<K>> {
  const skewMs = opts.skewMs ?? DEFAULT_SKEW_MS
  const claim = parseSignedRequest(req)
  requireFreshTimestamp(claim, (opts.now ?? Date.now)(), skewMs)
  const key = await opts.lookupKey(claim.accessKeyId)
  if (key === undefined) throw notFound('access_key_not_found', 'the AccessKeyId is not known')
  requireMatchingSignature(claim, key.secret)
  await recordNonce(claim, opts.replay, skewMs)
  return { accessKeyId: claim.accessKeyId, scheme: claim.scheme, key }
}

/** Picks the scheme from the Authorization header and rebuilds what the client signed. */
export function parseSignedRequest (req: SignedRequest): SignatureClaim {
  const authorization = headerValue(req, 'authorization')
  if (authorization === undefined || authorization === '') throw incompleteSignature('the Authorization header is required')
  if (authorization.startsWith('acs ')) return parseRoaRequest(req, authorization)
  if (authorization.startsWith(`${ACS3_ALGORITHM} `)) return parseAcs3Request(req, authorization)
  throw incompleteSignature('Authorization must use `acs` (ROA) or ACS3-HMAC-SHA256')
}

/** Date / x-acs-date within ±skew of server time (EDAS: ±15 minutes). */
function requireFreshTimestamp (claim: SignatureClaim, nowMs: number, skewMs: number): void {
  if (Math.abs(nowMs - claim.requestTimeMs) > skewMs) {
    throw invalid('timestamp_expired', 'the request time is outside the accepted 15-minute window')
  }
}

function requireMatchingSignature (claim: SignatureClaim, secret: string): void {
  const expected = claim.scheme === 'roa' ? signRoa(secret, claim.stringToSign) : signAcs3(secret, claim.stringToSign)
  // The body digest header is signed, so a mismatching body is a tampered request too.
  if (!safeEqual(expected, claim.signature) || !claim.bodyMatchesDigest) {
    throw unauthenticated('signature_mismatch', 'the request signature does not match')
  }
}

/** Namespaced per scheme and access key; kept until request time + skew, after which the timestamp check refuses it anyway. */
async function recordNonce (claim: SignatureClaim, replay: ReplayGuard, skewMs: number): Promise<void> {
  const fresh = await replay.remember(`aliyun:${claim.scheme}:${claim.accessKeyId}:${claim.nonce}`, claim.requestTimeMs + skewMs)
  if (!fresh) throw invalid('nonce_used', 'the signature nonce was already used')
}
