import { unauthenticated } from '../errors.js'
import type { DomainError } from '../errors.js'
import { headerValue, type SignedRequest } from './signed-request.js'

/** What both Alibaba signature schemes read from a request. */

/**
 * What a scheme parser extracts from a request before any secret is known:
 * enough to check the time window, find the key, and recompute the signature.
 */
export interface SignatureClaim {
  scheme: 'roa' | 'acs3'
  accessKeyId: string
  nonce: string
  requestTimeMs: number
  /** The exact text the client signed, rebuilt from the request. */
  stringToSign: string
  /** The signature the client sent, decoded to bytes. */
  signature: Buffer
  /** False when the body is not the one the signed digest header names. */
  bodyMatchesDigest: boolean
}

export const incompleteSignature = (message: string): DomainError => unauthenticated('incomplete_signature', message)

/** A header's value; repeats are joined with `, `, as node joins them. */
export const acsHeader = (req: SignedRequest, name: string): string | undefined => headerValue(req.headers, name, ', ')

export function requiredHeader (req: SignedRequest, name: string): string {
  const value = acsHeader(req, name)
  if (value === undefined || value === '') throw incompleteSignature(`the ${name} header is required`)
  return value
}

// Access key ids are opaque tokens; `:` and `,` delimit them in both Authorization formats.
const ACCESS_KEY_ID = /^[A-Za-z0-9._-]{1,128}$/
// kitx.makeNonce (both Node SDKs) sends 32 hex digits; other SDKs send UUIDs.
const NONCE = /^[\x21-\x7e]{1,128}$/

export function checkAccessKeyId (id: string): string {
  if (!ACCESS_KEY_ID.test(id)) throw incompleteSignature('the access key id in Authorization is malformed')
  return id
}

export function signatureNonce (req: SignedRequest): string {
  const nonce = requiredHeader(req, 'x-acs-signature-nonce')
  if (!NONCE.test(nonce)) throw incompleteSignature('the x-acs-signature-nonce header is malformed')
  return nonce
}

export interface RequestTarget {
  path: string
  /** Decoded query pairs in wire order; a key without `=` has value undefined. */
  query: Array<[key: string, value: string | undefined]>
}

/** Splits the raw request target; only origin-form (`/path?query`) is signed by the SDKs. */
export function requestTarget (url: string): RequestTarget {
  if (!url.startsWith('/')) throw incompleteSignature('the request target must be a path')
  const mark = url.indexOf('?')
  const path = mark === -1 ? url : url.slice(0, mark)
  const search = mark === -1 ? '' : url.slice(mark + 1)
  const query: RequestTarget['query'] = []
  for (const piece of search.split('&')) {
    if (piece === '') continue
    const eq = piece.indexOf('=')
    query.push(eq === -1 ? [decodeQueryComponent(piece), undefined] : [decodeQueryComponent(piece.slice(0, eq)), decodeQueryComponent(piece.slice(eq + 1))])
  }
  return { path, query }
}

/**
 * The SDKs put the query on the wire with `querystring.stringify` (so `+` in a
 * value travels as `%2B`); decode like Fastify's query parser does (`+` is a
 * space), so the signature covers the values the route will read. A malformed
 * escape stays as sent: it then simply fails to match.
 */
function decodeQueryComponent (text: string): string {
  const spaced = text.replaceAll('+', ' ')
  try {
    return decodeURIComponent(spaced)
  } catch {
    return spaced
  }
}

/** Sorts by key in UTF-16 code unit order, as `Array.prototype.sort` does in the SDKs. */
export function sortedByKey (query: RequestTarget['query']): RequestTarget['query'] {
  return [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
