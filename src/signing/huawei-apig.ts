import { createHmac, hash, hkdfSync } from 'node:crypto'

/**
 * Huawei API Gateway AK/SK signing (`SDK-HMAC-SHA256`, derived
 * `V11-HMAC-SHA256`), written to match `@huaweicloud/huaweicloud-sdk-core`
 * 3.1.x (`auth/AKSKSigner.js`, `auth/DerivedAKSKSigner.js`, `auth/HKDF.js`)
 * byte for byte:
 *
 *   canonical request = METHOD \n canonical URI (each segment percent-encoded,
 *     always ending in '/') \n canonical query \n canonical headers \n
 *     signed headers \n hex SHA-256(body)
 *   string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex SHA-256(canonical request)
 *   signature         = hex HMAC-SHA256(SK, string to sign)
 *
 * One canonicalization for both directions: the verifier (src/auth/huawei.ts)
 * checks what callers send us, and `signHuaweiRequest` signs what we send to
 * Huawei IAM (src/providers/huawei.ts). Pure functions, no I/O; the tests hold
 * both sides against the vendor SDK's own signer.
 */

export const SDK_SCHEME = 'SDK-HMAC-SHA256'
export const V11_SCHEME = 'V11-HMAC-SHA256'
export type HuaweiScheme = typeof SDK_SCHEME | typeof V11_SCHEME

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

export const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex')
export const hmacSha256Hex = (key: string | Buffer, data: string): string =>
  createHmac('sha256', key).update(data).digest('hex')

/**
 * AKSKSigner.urlEncode: everything but `A-Z a-z 0-9 - . _ ~` becomes `%XX`
 * (upper-case hex) of its UTF-8 bytes — RFC 3986 unreserved, so unlike
 * encodeURIComponent it also escapes `! ' ( ) *`.
 */
export function huaweiUrlEncode (value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Thrown for a path or query we cannot canonicalize (bad percent-encoding). */
export class MalformedUrlError extends Error {
  override readonly name = 'MalformedUrlError'
}

function decodeComponent (raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    // Refuse rather than fall back to the raw text: `%zz` and `%25zz` would
    // otherwise share one canonical form, and so one signature.
    throw new MalformedUrlError(`malformed percent-encoding: ${JSON.stringify(raw.slice(0, 64))}`)
  }
}

/** Splits a raw request target (`/path?query`, or absolute-form) into path and query. */
export function splitRequestTarget (target: string): { path: string, query: string } {
  const withoutOrigin = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '')
  const q = withoutOrigin.indexOf('?')
  const path = q === -1 ? withoutOrigin : withoutOrigin.slice(0, q)
  return { path: path === '' ? '/' : path, query: q === -1 ? '' : withoutOrigin.slice(q + 1) }
}

/**
 * AKSKSigner.CanonicalURI: each `/`-separated segment URL-encoded, then a
 * trailing `/` appended unless already there. The SDK encodes the *unescaped*
 * path, while the wire carries it percent-encoded, so each segment is decoded
 * first. (Split before decoding, so an encoded `%2F` stays inside its segment.)
 */
export function canonicalUri (rawPath: string): string {
  const joined = rawPath.split('/').map(canonicalSegment).join('/')
  return joined.endsWith('/') ? joined : `${joined}/`
}

/** A segment of unreserved characters only decodes and encodes to itself: the usual case, without either. */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/
const canonicalSegment = (segment: string): string => UNRESERVED.test(segment) ? segment : huaweiUrlEncode(decodeComponent(segment))

/**
 * AKSKSigner.CanonicalQueryString: keys sorted (JS default sort, UTF-16 code
 * units), a repeated key's values sorted too, `key=value` URL-encoded, joined
 * by `&`; a key without `=` counts as an empty value (`k=`).
 */
export function canonicalQuery (rawQuery: string): string {
  const params = new Map<string, string[]>()
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1))
    const values = params.get(key)
    if (values === undefined) params.set(key, [value])
    else values.push(value)
  }
  // `<` on strings compares UTF-16 code units, as Array#sort does by default.
  return [...params].sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([key, values]) => values.sort().map((value) => `${huaweiUrlEncode(key)}=${huaweiUrlEncode(value)}`))
    .join('&')
}

/**
 * AKSKSigner.buildCanonicalHeaders: `name:value\n` per signed header, names
 * lower-case, sorted by name. The SDK sorts with localeCompare, which equals
 * code-unit order for header-name characters; the value is the SDK's raw
 * string, which Node's HTTP parser has already trimmed on our side, and we
 * trim again for other front ends.
 */
export function canonicalHeaders (signed: ReadonlyMap<string, string>): string {
  return [...signed].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => `${name}:${value.trim()}\n`).join('')
}

export interface CanonicalRequestParts {
  method: string
  /** Raw request target as received: path plus optional `?query`. */
  target: string
  /** Signed header names in the client's SignedHeaders order. */
  signedHeaders: readonly string[]
  /** Each signed header's value, keyed by lower-case name. */
  headerValues: ReadonlyMap<string, string>
  payloadHash: string
}

/**
 * AKSKSigner.buildCanonicalRequest: the six parts joined by `\n`; since the
 * canonical headers block ends in `\n`, a blank line precedes the signed-header list.
 */
export function canonicalRequest (parts: CanonicalRequestParts): string {
  const { path, query } = splitRequestTarget(parts.target)
  return [
    parts.method.toUpperCase(),
    canonicalUri(path),
    canonicalQuery(query),
    canonicalHeaders(parts.headerValues),
    parts.signedHeaders.join(';'),
    parts.payloadHash
  ].join('\n')
}

/** AKSKSigner.getStringToSign: `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex sha256(canonical request)}`. */
export const sdkStringToSign = (sdkDate: string, canonical: string): string =>
  [SDK_SCHEME, sdkDate, sha256Hex(canonical)].join('\n')

/** DerivedAKSKSigner.getStringToSignByInfo: the credential scope sits between date and hash. */
export const v11StringToSign = (sdkDate: string, scope: string, canonical: string): string =>
  [V11_SCHEME, sdkDate, scope, sha256Hex(canonical)].join('\n')

/**
 * HKDF.getDerKeySHA256: HKDF-SHA256 with ikm = SK, salt = AK, info = the
 * credential scope `yyyymmdd/region/service`, 32 bytes. The HMAC key is the
 * *hex text* of those bytes, not the bytes themselves.
 */
export function derivedSigningKey (accessKeyId: string, secret: string, scope: string): string {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from(accessKeyId, 'utf8'), Buffer.from(scope, 'utf8'), 32)).toString('hex')
}

/** AKSKSigner.sign: the SK itself is the HMAC key. */
export const sdkSignature = (secret: string, sdkDate: string, canonical: string): string =>
  hmacSha256Hex(secret, sdkStringToSign(sdkDate, canonical))

/** DerivedAKSKSigner.sign: the HMAC key is the hex text of the HKDF-derived key. */
export const v11Signature = (accessKeyId: string, secret: string, sdkDate: string, scope: string, canonical: string): string =>
  hmacSha256Hex(derivedSigningKey(accessKeyId, secret, scope), v11StringToSign(sdkDate, scope, canonical))

/** `X-Sdk-Date` (`YYYYMMDDTHHMMSSZ`, UTC) to epoch ms; undefined unless it is a real instant. */
export function parseSdkDate (value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (m === null) return undefined
  const [year, month, day, hours, minutes, seconds] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number]
  const ms = Date.UTC(year, month - 1, day, hours, minutes, seconds)
  // Date.UTC rolls 20240231 over to March (and 24:00 to the next day); reading the fields back catches impossible dates.
  const at = new Date(ms)
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day &&
    at.getUTCHours() === hours && at.getUTCMinutes() === minutes && at.getUTCSeconds() === seconds
    ? ms
    : undefined
}

/** Epoch ms to `X-Sdk-Date` form (AKSKSigner.BasicDateFormat + `Z`). */
export function formatSdkDate (ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Client side: the given headers plus `host`, `x-sdk-date` and `authorization`,
 * every one of them signed. `host` includes the port when the URL has one, as
 * the SDK signs it.
 */
export function signHuaweiRequest (
  request: { method: string, url: URL, headers: Record<string, string>, body: string | Buffer },
  credentials: { accessKeyId: string, secretAccessKey: string },
  now: Date = new Date()
): Record<string, string> {
  const sdkDate = formatSdkDate(now.getTime())
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value
  headers.host = request.url.host
  headers['x-sdk-date'] = sdkDate
  const signedHeaders = Object.keys(headers).sort()
  const canonical = canonicalRequest({
    method: request.method,
    target: request.url.pathname + request.url.search,
    signedHeaders,
    headerValues: new Map(Object.entries(headers)),
    payloadHash: sha256Hex(request.body)
  })
  const signature = sdkSignature(credentials.secretAccessKey, sdkDate, canonical)
  headers.authorization = `${SDK_SCHEME} Access=${credentials.accessKeyId}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`
  return headers
}
