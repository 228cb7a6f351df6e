import { createHash, createHmac } from 'node:crypto'
import {
  checkAccessKeyId, acsHeader, incompleteSignature, requestTarget, requiredHeader, signatureNonce, sortedByKey
} from './aliyun-wire.js'
import type { RequestTarget, SignatureClaim } from './aliyun-wire.js'
import type { SignedRequest } from './signed-request.js'

/**
 * Classic ROA signature (`Authorization: acs AK:base64(HMAC-SHA1)`), as built by
 * `@alicloud/pop-core` ROAClient and `@alicloud/openapi-client` with
 * `signatureAlgorithm: 'v2'` (`@alicloud/openapi-util` getStringToSign).
 */

const ROA_AUTHORIZATION = /^acs ([^:\s]+):([A-Za-z0-9+/]{27}=)$/ // base64 of a 20-byte SHA-1 MAC
// RFC 1123 as `Date.prototype.toUTCString` writes it (both SDKs use it).
const RFC_1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

export function parseRoaRequest (req: SignedRequest, authorization: string): SignatureClaim {
  const match = ROA_AUTHORIZATION.exec(authorization)
  if (match === null) throw incompleteSignature('Authorization is not `acs <AccessKeyId>:<Signature>`')
  const accessKeyId = checkAccessKeyId(match[1] ?? '')
  const signature = Buffer.from(match[2] ?? '', 'base64')
  // Node's decoder ignores the last character's spare bits: only one spelling of a MAC is accepted.
  if (signature.toString('base64') !== match[2]) throw incompleteSignature('the signature in Authorization is not canonical base64')
  requireSha1SignatureMethod(req)
  return {
    scheme: 'roa',
    accessKeyId,
    nonce: signatureNonce(req),
    requestTimeMs: roaDate(req),
    stringToSign: roaStringToSign(req, requestTarget(req.url)),
    signature,
    bodyMatchesDigest: bodyMatchesContentMd5(req)
  }
}

export function signRoa (secret: string, stringToSign: string): Buffer {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest()
}

/** The SDKs send `x-acs-signature-method: HMAC-SHA1` / version `1.0`; anything else is another scheme. */
function requireSha1SignatureMethod (req: SignedRequest): void {
  const method = acsHeader(req, 'x-acs-signature-method')
  const version = acsHeader(req, 'x-acs-signature-version')
  if (method !== undefined && method !== 'HMAC-SHA1') throw incompleteSignature('x-acs-signature-method must be HMAC-SHA1')
  if (version !== undefined && version !== '1.0') throw incompleteSignature('x-acs-signature-version must be 1.0')
}

function roaDate (req: SignedRequest): number {
  const date = requiredHeader(req, 'date')
  const time = Date.parse(date)
  if (!RFC_1123.test(date) || Number.isNaN(time)) throw incompleteSignature('the Date header is not an RFC 1123 date')
  return time
}

/**
 * A GET carries `content-md5` of the empty body (pop-core) or none at all
 * (openapi-client v2). A body without `content-md5` would not be covered by
 * the signature, so it is refused rather than trusted.
 */
function bodyMatchesContentMd5 (req: SignedRequest): boolean {
  const contentMd5 = acsHeader(req, 'content-md5')
  if (contentMd5 === undefined) {
    if (req.body.length > 0) throw incompleteSignature('a request body must be signed through Content-MD5')
    return true
  }
  return contentMd5 === (req.body.length === 0 ? EMPTY_BODY_MD5 : createHash('md5').update(req.body).digest('base64'))
}

/** What pop-core sends on every GET. */
const EMPTY_BODY_MD5 = createHash('md5').update('').digest('base64')

/**
 * StringToSign = METHOD \n Accept \n Content-MD5 \n Content-Type \n Date \n
 * + canonicalized x-acs-* headers + canonicalized resource.
 */
export function roaStringToSign (req: SignedRequest, target: RequestTarget): string {
  const line = (name: string): string => acsHeader(req, name) ?? ''
  return `${req.method}\n${line('accept')}\n${line('content-md5')}\n${line('content-type')}\n${line('date')}\n` +
    canonicalizedAcsHeaders(req) + canonicalizedResource(target)
}

/**
 * Every `x-acs-*` header the client sent, names sorted, `name:value\n`; the
 * SDKs replace tab/CR/LF/FF by a space and trim the value before signing.
 */
function canonicalizedAcsHeaders (req: SignedRequest): string {
  const names: string[] = []
  for (const name in req.headers) if (name.startsWith('x-acs-')) names.push(name)
  names.sort()
  let text = ''
  for (const name of names) text += `${name}:${(acsHeader(req, name) ?? '').replace(/[\t\n\r\f]/g, ' ').trim()}\n`
  return text
}

/**
 * Path as sent, then `?` and the query sorted by key with the *decoded* values
 * (`${key}=${query[key]}` over the SDKs' query object, which they
 * url-encode only when writing the URL). A key sent without `=` signs as `key`.
 */
function canonicalizedResource ({ path, query }: RequestTarget): string {
  if (query.length === 0) return path
  return `${path}?${sortedByKey(query).map(([key, value]) => value === undefined ? key : `${key}=${value}`).join('&')}`
}
