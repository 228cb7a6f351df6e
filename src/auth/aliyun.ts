import { forbidden, notFound, unauthenticated, invalid } from '../errors.js'
import { macEqual } from '../keys.js'
import { ACS3_ALGORITHM, parseAcs3Request, signAcs3 } from './aliyun-acs3.js'
import { parseRoaRequest, signRoa } from './aliyun-roa.js'
import { acsHeader, incompleteSignature } from './aliyun-wire.js'
import type { SignatureClaim } from './aliyun-wire.js'
import type { ReplayGuard } from './replay.js'
import { DEFAULT_SKEW_MS, type SignedRequest } from './signed-request.js'

/**
 * Server-side verification of Alibaba signed requests (EDAS contract): classic
 * ROA (`acs AK:sig`, HMAC-SHA1) and V3 (`ACS3-HMAC-SHA256`).
 *
 * Order (docs/security.md rule 2): parse → time window → key lookup → constant-time
 * signature check → body digest → disabled key → record the nonce. A request
 * that fails any step never reaches the replay guard, so garbage cannot burn a
 * nonce; the Huawei verifier (src/auth/huawei.ts) keeps the same order.
 *
 * Errors (DomainError code → POP code, mapped by the EDAS route):
 * - `incomplete_signature` (unauthenticated) → IncompleteSignature
 * - `timestamp_expired` (unauthenticated)    → InvalidTimeStamp.Expired
 * - `access_key_not_found` (not_found)       → InvalidAccessKeyId.NotFound
 * - `signature_mismatch` (unauthenticated)   → SignatureDoesNotMatch
 * - `access_key_inactive` (forbidden)        → InvalidAccessKeyId.Inactive
 * - `nonce_used` (invalid)                   → SignatureNonceUsed
 */

export type { SignedRequest } from './signed-request.js'

export type AliyunScheme = SignatureClaim['scheme']

/** The looked-up key: its secret plus whatever the caller needs afterwards (project). */
export interface AliyunKey {
  secret: string
  /** A disabled key (or project) is refused with `forbidden`/`access_key_inactive`, only after its signature verified. */
  disabled?: boolean
}

export interface AliyunVerifierOptions<K extends AliyunKey = AliyunKey> {
  /**
   * Resolves an access key id; undefined only for an unknown key. A disabled
   * key is still returned, flagged: the verifier refuses it only after the
   * signature proved the caller holds it.
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
  /** What lookupKey returned, so the caller needs no second lookup. */
  key: K
}

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
  requireEnabled(key)
  await recordNonce(claim, opts.replay, skewMs)
  return { accessKeyId: claim.accessKeyId, scheme: claim.scheme, key }
}

/** Picks the scheme from the Authorization header and rebuilds what the client signed. */
export function parseSignedRequest (req: SignedRequest): SignatureClaim {
  const authorization = acsHeader(req, 'authorization')
  if (authorization === undefined || authorization === '') throw incompleteSignature('the Authorization header is required')
  if (authorization.startsWith('acs ')) return parseRoaRequest(req, authorization)
  if (authorization.startsWith(`${ACS3_ALGORITHM} `)) return parseAcs3Request(req, authorization)
  throw incompleteSignature('Authorization must use `acs` (ROA) or ACS3-HMAC-SHA256')
}

/** Date / x-acs-date within ±skew of server time (EDAS: ±15 minutes). */
function requireFreshTimestamp (claim: SignatureClaim, nowMs: number, skewMs: number): void {
  if (Math.abs(nowMs - claim.requestTimeMs) > skewMs) {
    throw unauthenticated('timestamp_expired')
  }
}

function requireMatchingSignature (claim: SignatureClaim, secret: string): void {
  const expected = claim.scheme === 'roa' ? signRoa(secret, claim.stringToSign) : signAcs3(secret, claim.stringToSign)
  // The body digest header is signed, so a mismatching body is a tampered request too.
  if (!macEqual(expected, claim.signature) || !claim.bodyMatchesDigest) {
    throw unauthenticated('signature_mismatch')
  }
}

/**
 * After the signature, so a stranger cannot probe which keys exist but are
 * disabled; before the nonce, so a refused request changes no state — it
 * fills no replay-window entry (memory or Redis) for a key that may send
 * nothing, and the window still accepts each signed request at most once.
 */
function requireEnabled (key: AliyunKey): void {
  if (key.disabled === true) throw forbidden('access_key_inactive')
}

/** Namespaced per scheme and access key; kept until request time + skew, after which the timestamp check refuses it anyway. */
async function recordNonce (claim: SignatureClaim, replay: ReplayGuard, skewMs: number): Promise<void> {
  const fresh = await replay.remember(`aliyun:${claim.scheme}:${claim.accessKeyId}:${claim.nonce}`, claim.requestTimeMs + skewMs)
  if (!fresh) throw invalid('nonce_used')
}
