import { createHash, createHmac } from 'node:crypto'

/**
 * Huawei Cloud API Gateway AK/SK signing, `SDK-HMAC-SHA256` (the algorithm of
 * `@huaweicloud/huaweicloud-sdk-core`'s AKSKSigner), client side:
 *
 *   canonical request = METHOD \n canonical URI (each segment percent-encoded,
 *     always ending in '/') \n canonical query \n canonical headers \n
 *     signed headers \n hex SHA-256(body)
 *   string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex SHA-256(canonical request)
 *   signature         = hex HMAC-SHA256(SK, string to sign)
 *
 * The server-side verifier lives in src/auth/huawei.ts; this module only signs
 * requests we send (and lets the test fake recompute what we sent).
 */
export const HUAWEI_ALGORITHM = 'SDK-HMAC-SHA256'

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), like the SDK's urlEncode. */
export const huaweiEncode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

export function canonicalUri (pathname: string): string {
  const path = pathname.split('/').map((segment) => huaweiEncode(decodeURIComponent(segment))).join('/')
  return path.endsWith('/') ? path : `${path}/`
}

export function canonicalQuery (search: URLSearchParams): string {
  const pairs: string[] = []
  for (const key of [...new Set(search.keys())].sort()) {
    for (const value of search.getAll(key).sort()) pairs.push(`${huaweiEncode(key)}=${huaweiEncode(value)}`)
  }
  return pairs.join('&')
}

/** `X-Sdk-Date` format: yyyyMMdd'T'HHmmss'Z', UTC. */
export const sdkDate = (at: Date): string => at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')

export interface HuaweiSigningInput {
  method: string
  url: URL
  /** Header name → value; names are lower-cased for signing. Every header given here is signed. */
  headers: Record<string, string>
  body: string | Buffer
}

export function huaweiCanonicalRequest ({ method, url, headers, body }: HuaweiSigningInput): { canonical: string, signedHeaders: string } {
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort()
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  const canonicalHeaders = names.map((n) => `${n}:${(lower[n] ?? '').trim()}\n`).join('')
  const signedHeaders = names.join(';')
  const canonical = [
    method.toUpperCase(), canonicalUri(url.pathname), canonicalQuery(url.searchParams),
    canonicalHeaders, signedHeaders, sha256Hex(body),
  ].join('\n')
  return { canonical, signedHeaders }
}

export function huaweiSignature (canonical: string, date: string, secretAccessKey: string): string {
  const stringToSign = `${HUAWEI_ALGORITHM}\n${date}\n${sha256Hex(canonical)}`
  return createHmac('sha256', secretAccessKey).update(stringToSign).digest('hex')
}

/**
 * Headers to send: the given ones plus `Host`, `X-Sdk-Date` and `Authorization`.
 * `Host` includes the port when the URL has one, as the SDK signs it.
 */
export function signHuaweiRequest (
  request: { method: string, url: URL, headers: Record<string, string>, body: string | Buffer },
  credentials: { accessKeyId: string, secretAccessKey: string },
  now: Date = new Date()
): Record<string, string> {
  const date = sdkDate(now)
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-sdk-date': date }
  const { canonical, signedHeaders } = huaweiCanonicalRequest({ ...request, headers })
  const signature = huaweiSignature(canonical, date, credentials.secretAccessKey)
  return {
    ...headers,
    authorization: `${HUAWEI_ALGORITHM} Access=${credentials.accessKeyId}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  }
}
