import { DomainError, forbidden, unauthenticated } from '../errors.js'
import { macEqual, safeEqual } from '../keys.js'
import {
  MalformedUrlError, SDK_SCHEME, UNSIGNED_PAYLOAD,
  canonicalRequest, parseSdkDate, sdkSignature, sha256Hex, v11Signature
} from '../signing/huawei-apig.js'
import type { ReplayGuard } from './replay.js'
import { DEFAULT_SKEW_MS, headerValue, type HeaderBag, type SignedRequest } from './signed-request.js'

/**
 * Server-side verifier for Huawei API Gateway AK/SK signatures
 * (`SDK-HMAC-SHA256` and the derived `V11-HMAC-SHA256`), as made by
 * `@huaweicloud/huaweicloud-sdk-core`. Framework-free: the route's authentication hook
 * hands over the raw target, headers and body bytes.
 *
 * Error codes (kinds in src/errors.ts; the Huawei contracts answer each with
 * their authentication error): `incomplete_signature`, `unsigned_payload`,
 * `timestamp_expired`, `access_key_not_found`, `signature_mismatch`,
 * `replayed`, and `access_key_disabled` (their "not authorized").
 *
 * The key store answers with a record (`{ secret, disabled, …route data }`)
 * rather than a bare secret: the verifier can then refuse a disabled key with
 * its own code *after* the signature verified — a stranger never learns that
 * a key exists but is disabled — and the route gets the record (its project)
 * back without a second lookup.
 */

export type { HeaderBag, SignedRequest } from './signed-request.js'

/** What the key store knows about an access key; routes may carry more (project id…). */
export interface HuaweiAccessKey {
  secret: string
  /** A disabled key is refused with `forbidden`/`access_key_disabled`, but only after its signature verified. */
  disabled?: boolean
}

export interface HuaweiVerifierOptions<K extends HuaweiAccessKey = HuaweiAccessKey> {
  /** Resolves the key record, or undefined for an unknown access key id. */
  lookupKey (accessKeyId: string): Promise<K | undefined>
  replay: ReplayGuard
  now?: () => number
  /** Accepted clock skew either way, and the replay window; default 15 minutes. */
  skewMs?: number
  /** `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` is refused unless set (docs/security.md rule 2: never on JSON routes). */
  allowUnsignedPayload?: boolean
}

export interface HuaweiVerified<K extends HuaweiAccessKey = HuaweiAccessKey> {
  accessKeyId: string
  /** What lookupKey returned, so the route needs no second lookup. */
  key: K
}

const SCHEME_PREFIX = /^(SDK-HMAC-SHA256|V11-HMAC-SHA256) /

/** True when the request carries an AK/SK `Authorization` (either scheme); cheap, for routing between auth modes. */
export function isHuaweiSigned (headers: HeaderBag): boolean {
  const auth = headerValue(headers, 'authorization')
  return typeof auth === 'string' && SCHEME_PREFIX.test(auth)
}

/** Verifies the request's signature; resolves with the verified caller or throws a DomainError. */
export async function verifyHuaweiRequest<K extends HuaweiAccessKey> (
  req: SignedRequest, opts: HuaweiVerifierOptions<K>
): Promise<HuaweiVerified<K>> {
  const skewMs = opts.skewMs ?? DEFAULT_SKEW_MS
  const auth = parseAuthorization(headerValue(req.headers, 'authorization'))
  const sdkDate = headerValue(req.headers, 'x-sdk-date')
  const requestTime = typeof sdkDate === 'string' ? parseSdkDate(sdkDate) : undefined
  if (sdkDate === undefined || requestTime === undefined) {
    throw incomplete('X-Sdk-Date must be present, once, as YYYYMMDDTHHMMSSZ')
  }
  if (auth.scope !== undefined && auth.scope.date !== sdkDate.slice(0, 8)) {
    throw incomplete('the Credential date must be the day of X-Sdk-Date')
  }
  const headerValues = signedHeaderValues(auth.signedHeaders, req.headers)
  const declaredPayloadHash = payloadHashHeader(req.headers, opts.allowUnsignedPayload === true)

  // Clock first, then the key store: a stale request costs no lookup.
  const now = (opts.now ?? Date.now)()
  if (Math.abs(now - requestTime) > skewMs) {
    throw new DomainError('timestamp_expired', `X-Sdk-Date is more than ${Math.round(skewMs / 60000)} minutes away from the server time`)
  }

  const key = await opts.lookupKey(auth.accessKeyId)
  if (key === undefined) throw new DomainError('access_key_not_found')

  const payloadHash = resolvePayloadHash(declaredPayloadHash, req.body)
  const canonical = buildCanonicalRequest(req, auth.signedHeaders, headerValues, payloadHash)
  const expected = auth.scope === undefined
    ? sdkSignature(key.secret, sdkDate, canonical)
    : v11Signature(auth.accessKeyId, key.secret, sdkDate, auth.scope.text, canonical)
  if (!macEqual(Buffer.from(expected, 'latin1'), Buffer.from(auth.signature, 'latin1'))) throw mismatch('the request signature does not match')

  // The same step as the Alibaba verifier (src/auth/aliyun.ts, requireEnabled): after the
  // signature, so strangers cannot probe key states; before the replay record, so a
  // refused request changes no state.
  if (key.disabled === true) throw forbidden('access_key_disabled')

  // Recorded only after verification, so garbage cannot burn a signature (docs/security.md rule 2).
  const fresh = await opts.replay.remember(`hw:${auth.accessKeyId}:${auth.signature}`, requestTime + skewMs)
  if (!fresh) throw unauthenticated('replayed')

  return { accessKeyId: auth.accessKeyId, key }
}

interface ParsedAuthorization {
  accessKeyId: string
  signedHeaders: string[]
  /** Lower-case hex, so that re-casing a signature cannot dodge the replay window. */
  signature: string
  /** V11 only: the credential scope's day (`yyyymmdd`) and the whole `yyyymmdd/region/service`. */
  scope?: { date: string, text: string }
}

const ACCESS_KEY_ID = /^[A-Za-z0-9_-]{1,128}$/
const SIGNATURE_HEX = /^[0-9a-fA-F]{64}$/
/** RFC 9110 token characters, lower-case only (the SDK lower-cases SignedHeaders). */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/
const SCOPE_PART = /^[A-Za-z0-9._-]+$/

/**
 * `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex` or
 * `V11-HMAC-SHA256 Credential=AK/yyyymmdd/region/service, SignedHeaders=…, Signature=…`
 * (AKSKSigner.sign / DerivedAKSKSigner.sign). Fields may come in any order,
 * each exactly once.
 */
function parseAuthorization (header: string | undefined): ParsedAuthorization {
  if (header === undefined) throw incomplete('the Authorization header is missing or repeated')
  const m = SCHEME_PREFIX.exec(header)
  if (m === null) throw incomplete('the Authorization scheme must be SDK-HMAC-SHA256 or V11-HMAC-SHA256')
  const plain = m[1] === SDK_SCHEME
  const fields = parseFields(header.slice(m[0].length), plain ? 'Access' : 'Credential')
  const signedHeaders = parseSignedHeaders(fields.SignedHeaders)
  const signature = fields.Signature
  if (!SIGNATURE_HEX.test(signature)) throw incomplete('Signature must be 64 hex digits')
  if (plain) {
    if (!ACCESS_KEY_ID.test(fields.Access)) throw incomplete('Access is not a valid access key id')
    return { accessKeyId: fields.Access, signedHeaders, signature: signature.toLowerCase() }
  }
  const [accessKeyId, date, region, service, ...rest] = fields.Credential.split('/')
  if (accessKeyId === undefined || !ACCESS_KEY_ID.test(accessKeyId) || date === undefined || !/^\d{8}$/.test(date) ||
      region === undefined || !SCOPE_PART.test(region) || service === undefined || !SCOPE_PART.test(service) || rest.length > 0) {
    throw incomplete('Credential must be AK/yyyymmdd/region/service')
  }
  return { accessKeyId, signedHeaders, signature: signature.toLowerCase(), scope: { date, text: `${date}/${region}/${service}` } }
}

type AuthFields<Id extends string> = Record<Id | 'SignedHeaders' | 'Signature', string>

function parseFields<Id extends 'Access' | 'Credential'> (text: string, idField: Id): AuthFields<Id> {
  const wanted = new Set<string>([idField, 'SignedHeaders', 'Signature'])
  const fields = new Map<string, string>()
  for (const part of text.split(',')) {
    const item = part.trim()
    const eq = item.indexOf('=')
    const name = item.slice(0, eq)
    const value = item.slice(eq + 1)
    if (eq <= 0 || value === '' || !wanted.has(name) || fields.has(name)) {
      throw incomplete(`the Authorization header must carry ${idField}, SignedHeaders and Signature, once each`)
    }
    fields.set(name, value)
  }
  if (fields.size !== wanted.size) {
    throw incomplete(`the Authorization header must carry ${idField}, SignedHeaders and Signature, once each`)
  }
  return Object.fromEntries(fields) as AuthFields<Id>
}

function parseSignedHeaders (list: string): string[] {
  const names = list.split(';')
  if (names.some((n) => !HEADER_NAME.test(n)) || new Set(names).size !== names.length) {
    throw incomplete('SignedHeaders must be distinct lower-case header names separated by ";"')
  }
  return names
}

/**
 * docs/security.md rule 2: `host` (with its port, as the SDK signs it) and
 * `x-sdk-date` must be signed; every signed header must be present.
 */
function signedHeaderValues (signed: readonly string[], headers: HeaderBag): Map<string, string> {
  for (const required of ['host', 'x-sdk-date']) {
    if (!signed.includes(required)) throw incomplete(`SignedHeaders must include ${required}`)
  }
  const values = new Map<string, string>()
  for (const name of signed) {
    const value = headerValue(headers, name, ',')
    if (value === undefined) throw incomplete(`the signed header ${name} is missing`)
    values.set(name, value)
  }
  return values
}

/**
 * AKSKSigner.buildPayloadHash: the `X-Sdk-Content-Sha256` value, verbatim, when
 * the client sent one; else hex SHA-256 of the body. Returns the declared value.
 */
function payloadHashHeader (headers: HeaderBag, allowUnsigned: boolean): string | undefined {
  const declared = headerValue(headers, 'x-sdk-content-sha256', ',')
  if (declared === undefined) return undefined
  if (declared.trim() === UNSIGNED_PAYLOAD) {
    if (!allowUnsigned) throw unauthenticated('unsigned_payload')
    return UNSIGNED_PAYLOAD
  }
  return declared.trim()
}

/** A declared content hash must match the bytes we received; UNSIGNED-PAYLOAD (when allowed) binds nothing. */
function resolvePayloadHash (declared: string | undefined, body: Buffer): string {
  const actual = body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(body)
  if (declared === undefined) return actual
  if (declared !== UNSIGNED_PAYLOAD && !safeEqual(declared.toLowerCase(), actual)) {
    throw mismatch('the body does not match X-Sdk-Content-Sha256')
  }
  return declared
}

function buildCanonicalRequest (req: SignedRequest, signedHeaders: readonly string[],
  headerValues: ReadonlyMap<string, string>, payloadHash: string): string {
  try {
    return canonicalRequest({
      method: req.method,
      target: req.url,
      signedHeaders,
      headerValues,
      payloadHash
    })
  } catch (err) {
    /* c8 ignore next -- canonicalization throws nothing else; rethrow rather than mislabel */
    if (!(err instanceof MalformedUrlError)) throw err
    throw mismatch(`the request URL cannot be canonicalized: ${err.message}`)
  }
}

const EMPTY_BODY_SHA256 = sha256Hex('')

const incomplete = (message: string) => new DomainError('incomplete_signature', message)
const mismatch = (message: string) => unauthenticated('signature_mismatch', message)
