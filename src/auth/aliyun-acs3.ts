import { createHash, createHmac } from 'node:crypto'
import {
  checkAccessKeyId, acsHeader, incompleteSignature, requestTarget, requiredHeader, signatureNonce, sortedByKey
} from './aliyun-wire.js'
import type { RequestTarget, SignatureClaim } from './aliyun-wire.js'
import type { SignedRequest } from './signed-request.js'

/**
 * V3 signature (`ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`),
 * as built by `@alicloud/openapi-client` callApi through
 * `@alicloud/openapi-util` getAuthorization.
 */

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256'

/** docs/security.md rule 2: the client picks the signed headers, but these must be among them. */
const REQUIRED_SIGNED_HEADERS = ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'] as const
const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex')

const HEADER_NAME = /^[a-z0-9-]+$/
const HEX_SHA256 = /^[0-9a-f]{64}$/
const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/
// openapi-util getTimestamp: `YYYY-MM-DDTHH:mm:ssZ` (UTC, second precision).
const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/

interface Acs3Authorization { accessKeyId: string, signedHeaders: string[], signature: Buffer }

export function parseAcs3Request (req: SignedRequest, authorization: string): SignatureClaim {
  const auth = parseAcs3Authorization(authorization)
  const contentSha256 = contentSha256Header(req)
  return {
    scheme: 'acs3',
    accessKeyId: auth.accessKeyId,
    nonce: signatureNonce(req),
    requestTimeMs: acsDate(req),
    stringToSign: acs3StringToSign(acs3CanonicalRequest(req, requestTarget(req.url), auth.signedHeaders, contentSha256)),
    signature: auth.signature,
    bodyMatchesDigest: contentSha256 === (req.body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(req.body).digest('hex'))
  }
}

export function signAcs3 (secret: string, stringToSign: string): Buffer {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest()
}

/** `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`, each field exactly once. */
function parseAcs3Authorization (authorization: string): Acs3Authorization {
  const fields = new Map<string, string>()
  for (const part of authorization.slice(ACS3_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq).trim()
    if (eq === -1 || fields.has(name)) throw incompleteSignature('Authorization is not a well-formed ACS3-HMAC-SHA256 header')
    fields.set(name, part.slice(eq + 1).trim())
  }
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (fields.size !== 3 || credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw incompleteSignature('Authorization must carry Credential, SignedHeaders and Signature')
  }
  if (!HEX_SIGNATURE.test(signature)) throw incompleteSignature('the Signature in Authorization is not a hex SHA-256 MAC')
  return { accessKeyId: checkAccessKeyId(credential), signedHeaders: signedHeaderList(signedHeaders), signature: Buffer.from(signature, 'hex') }
}

function signedHeaderList (text: string): string[] {
  const names = text.split(';')
  if (names.some((name) => !HEADER_NAME.test(name)) || new Set(names).size !== names.length) {
    throw incompleteSignature('SignedHeaders must be distinct lower-case header names separated by `;`')
  }
  for (const required of REQUIRED_SIGNED_HEADERS) {
    if (!names.includes(required)) throw incompleteSignature(`the ${required} header must be signed`)
  }
  return names
}

/** The hex SHA-256 of the body; `UNSIGNED-PAYLOAD` would leave the JSON body unbound (docs/security.md rule 2). */
function contentSha256Header (req: SignedRequest): string {
  const value = requiredHeader(req, 'x-acs-content-sha256')
  if (value === 'UNSIGNED-PAYLOAD') throw incompleteSignature('UNSIGNED-PAYLOAD is not accepted: the body must be signed')
  if (!HEX_SHA256.test(value)) throw incompleteSignature('x-acs-content-sha256 must be the hex SHA-256 of the body')
  return value
}

function acsDate (req: SignedRequest): number {
  const date = requiredHeader(req, 'x-acs-date')
  const time = Date.parse(date)
  if (!ISO_8601_UTC.test(date) || Number.isNaN(time)) throw incompleteSignature('x-acs-date is not an ISO 8601 UTC time')
  return time
}

/**
 * METHOD \n canonical URI \n canonical query \n canonical headers \n
 * signed header list \n hashed payload — in the order the client listed
 * SignedHeaders (the SDK sorts them), so the signature also binds the list.
 */
export function acs3CanonicalRequest (req: SignedRequest, target: RequestTarget, signedHeaders: string[], contentSha256: string): string {
  const headers = signedHeaders.map((name) => {
    const value = acsHeader(req, name)
    if (value === undefined) throw incompleteSignature(`the signed header ${name} is missing`)
    return `${name}:${value.trim()}\n`
  }).join('')
  return `${req.method}\n${canonicalUri(target.path)}\n${canonicalQuery(target)}\n${headers}\n${signedHeaders.join(';')}\n${contentSha256}`
}

export function acs3StringToSign (canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`
}

/**
 * The path as sent, with openapi-util's substitutions: `String.replace` with a
 * string pattern, so only the *first* `+`, `*` and `%7E` are rewritten. The
 * generated SDKs percent-encode path segments before they get here.
 */
function canonicalUri (path: string): string {
  return path.replace('+', '%20').replace('*', '%2A').replace('%7E', '~')
}

/**
 * Sorted by key, `key=` + RFC 3986 encoding of the decoded value. openapi-util
 * (getAuthorizationQueryString) leaves the key itself unencoded; we match the SDK.
 */
function canonicalQuery ({ query }: RequestTarget): string {
  return sortedByKey(query).map(([key, value]) => `${key}=${rfc3986(value ?? '')}`).join('&')
}

/** encodeURIComponent plus the sub-delims it leaves alone (openapi-util `encode`). */
function rfc3986 (text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
