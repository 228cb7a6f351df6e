import { createHash, createHmac, randomUUID } from 'node:crypto'
import { signHuaweiRequest } from '../src/signing/huawei-apig.js'

/**
 * Request signers for the load generator. Every request is signed uniquely
 * (the replay window refuses a reused ROA nonce or Huawei signature), so
 * headers are made per request. To keep signing cost out of the server's
 * figures they are made ahead of a measurement into a pool; a pool that runs
 * dry signs on the spot.
 */

export interface AccessKey { accessKeyId: string, secret: string }

const EMPTY_MD5 = createHash('md5').update('').digest('base64')

/**
 * Classic ROA (`acs AK:HMAC-SHA1`), as @alicloud/pop-core's ROAClient sends it:
 * StringToSign = METHOD, Accept, Content-MD5, Content-Type, Date (each + "\n"),
 * the sorted `x-acs-*` headers, then the resource (docs/edas.md "Authentication").
 */
export function signRoa (key: AccessKey, path: string, host: string): Record<string, string> {
  const headers: Record<string, string> = {
    host,
    accept: 'application/json',
    'content-md5': EMPTY_MD5,
    date: new Date().toUTCString(),
    'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-nonce': randomUUID(),
    'x-acs-signature-version': '1.0',
    'x-acs-version': '2017-08-01'
  }
  const acs = `x-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:${headers['x-acs-signature-nonce']}\n` +
    'x-acs-signature-version:1.0\nx-acs-version:2017-08-01\n'
  const stringToSign = `GET\napplication/json\n${EMPTY_MD5}\n\n${headers.date}\n${acs}${path}`
  headers.authorization = `acs ${key.accessKeyId}:${createHmac('sha1', key.secret).update(stringToSign).digest('base64')}`
  return headers
}

let sequence = 0

/**
 * Huawei APIG `SDK-HMAC-SHA256` through our own client-side signer. X-Sdk-Date
 * has one-second resolution, so a signed `x-bench-seq` header makes each
 * signature distinct, as a real client's differing requests would be.
 */
export function signHuawei (key: AccessKey, method: string, url: URL, body: string, projectId: string): Record<string, string> {
  return signHuaweiRequest(
    { method, url, headers: { 'content-type': 'application/json', 'x-project-id': projectId, 'x-bench-seq': String(++sequence) }, body },
    { accessKeyId: key.accessKeyId, secretAccessKey: key.secret }
  )
}

/** `size` header sets made now; `next()` hands them out once each, then signs on the spot. */
export function signedPool (size: number, sign: () => Record<string, string>): { next: () => Record<string, string>, used: () => number, signedLive: () => number } {
  const pool: Array<Record<string, string>> = []
  for (let i = 0; i < size; i++) pool.push(sign())
  let index = 0
  let live = 0
  return {
    next () {
      if (index < pool.length) return pool[index++] as Record<string, string>
      live++
      return sign()
    },
    used: () => index + live,
    signedLive: () => live
  }
}
