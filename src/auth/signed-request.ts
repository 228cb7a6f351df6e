/**
 * What every signature verifier reads from a request (Alibaba ROA/ACS3,
 * Huawei APIG): framework-free, so a verifier runs the same behind Fastify,
 * node:http or a test.
 */

export type HeaderBag = Record<string, string | string[] | undefined>

export interface SignedRequest {
  method: string
  /** Raw path and query exactly as received (Fastify: `req.raw.url`). */
  url: string
  /** Node's lower-cased header map. */
  headers: HeaderBag
  /** The raw body bytes (empty for a GET). */
  body: Buffer
}

/** Accepted clock skew either way, and how long a signature or nonce is remembered: both vendors allow 15 minutes. */
export const DEFAULT_SKEW_MS = 15 * 60 * 1000

/**
 * One header's value by its lower-case name. Node lower-cases names and joins
 * most repeats into one string; an array (set-cookie, or another front end) is
 * joined with `joinRepeats`, or treated as absent when none is given — a
 * repeated Authorization or X-Sdk-Date is ambiguous.
 */
export function headerValue (headers: HeaderBag, name: string, joinRepeats?: string): string | undefined {
  let value = headers[name]
  if (value === undefined) {
    // Another front end may keep the client's casing. (Length first: an absent
    // header, looked up on every request, costs no lower-cased copies.)
    for (const key in headers) {
      if (key.length === name.length && key.toLowerCase() === name) { value = headers[key]; break }
    }
  }
  if (Array.isArray(value)) return joinRepeats === undefined ? undefined : value.join(joinRepeats)
  return value
}
