/**
 * Fake Alibaba Cloud STS for tests and benchmarks.
 *
 *   const sts = await startFakeAliyunSts({ accessKeyId: 'LTAI…', accessKeySecret: '…' })
 *   // point a target at it: sts_endpoint: sts.url (needs allowCustomUpstreams)
 *   sts.calls[0].policy          // the decoded session policy of the first AssumeRole
 *   sts.setMode('throttle')      // 'ok' | 'fail' | 'throttle' | 'deny' | 'hang' | 'garbage'
 *   sts.setMode('ok', { delayMs: 200 })
 *   await sts.close()
 *
 * It recomputes the ACS3-HMAC-SHA256 signature exactly as @alicloud/sts20150401
 * 1.x (via @alicloud/openapi-core) computes it — canonical request
 * `METHOD\nURI\nsorted query\nsigned headers (x-acs-*, host, content-type)\n
 * signed header names\nx-acs-content-sha256` — and refuses a request whose
 * signature, payload hash or signed-header set (host, x-acs-date, nonce,
 * content hash) is wrong, with Alibaba's JSON error (`SignatureDoesNotMatch`).
 * Answers are the real AssumeRole JSON shape.
 */
import { createHash, createHmac } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomToken, startFakeUpstream, type FakeUpstream } from './fake-upstream.js'

export interface AliyunStsCall {
  accessKeyId: string
  action: string
  roleArn: string | null
  roleSessionName: string | null
  durationSeconds: number | null
  externalId: string | null
  /** The session policy as sent (string) and parsed (object, or null when absent / not JSON). */
  policyText: string | null
  policy: unknown
  signatureValid: boolean
}

export type FakeAliyunSts = FakeUpstream<AliyunStsCall>

const encode = (s: string): string =>
  encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A')

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')

function verifyAcs3 (req: IncomingMessage, url: URL, body: Buffer, accessKeyId: string, secret: string): string | undefined {
  const auth = req.headers.authorization ?? ''
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth)
  if (m === null) return 'malformed Authorization'
  const [, ak, signedList, signature] = m as unknown as [string, string, string, string]
  if (ak !== accessKeyId) return 'unknown AccessKeyId'
  const signed = signedList.split(';')
  for (const required of ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
    if (!signed.includes(required)) return `${required} is not signed`
  }
  if (req.headers['x-acs-content-sha256'] !== sha256(body)) return 'payload hash mismatch'
  const keys = [...new Set(url.searchParams.keys())].sort()
  const query = keys.map((k) => `${k}=${encode(url.searchParams.get(k) ?? '')}`).join('&')
  const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('')
  const canonical = [req.method, url.pathname, query, headers, signed.join(';'), req.headers['x-acs-content-sha256']].join('\n')
  const stringToSign = `ACS3-HMAC-SHA256\n${sha256(canonical)}`
  const expected = createHmac('sha256', secret).update(stringToSign).digest('hex')
  return expected === signature ? undefined : 'signature mismatch'
}

function parsePolicy (text: string | null): unknown {
  if (text === null) return null
  try { return JSON.parse(text) } catch { return null }
}

const requestId = (): string => randomToken('', 8) + '-FAKE-' + randomToken('', 12)

function sendJson (res: ServerResponse, status: number, body: unknown): void {
  const id = requestId()
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': id })
  res.end(JSON.stringify({ RequestId: id, ...(body as object) }))
}

export async function startFakeAliyunSts (keys: { accessKeyId: string, accessKeySecret: string }): Promise<FakeAliyunSts> {
  return await startFakeUpstream<AliyunStsCall>({
    inspect (req, body) {
      const url = new URL(req.url ?? '/', 'http://fake')
      const error = verifyAcs3(req, url, body, keys.accessKeyId, keys.accessKeySecret)
      const q = url.searchParams
      const policyText = q.get('Policy')
      const duration = q.get('DurationSeconds')
      const call: AliyunStsCall = {
        accessKeyId: /Credential=([^,]+)/.exec(req.headers.authorization ?? '')?.[1] ?? '',
        action: String(req.headers['x-acs-action'] ?? ''),
        roleArn: q.get('RoleArn'),
        roleSessionName: q.get('RoleSessionName'),
        durationSeconds: duration === null ? null : Number(duration),
        externalId: q.get('ExternalId'),
        policyText,
        policy: parsePolicy(policyText),
        signatureValid: error === undefined,
      }
      return error === undefined ? { call } : { call, error }
    },
    success (res, call, seconds) {
      const expiration = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      sendJson(res, 200, {
        AssumedRoleUser: { Arn: `${call.roleArn ?? ''}/${call.roleSessionName ?? ''}`, AssumedRoleId: `3${randomToken('', 16)}:${call.roleSessionName ?? ''}` },
        Credentials: {
          AccessKeyId: randomToken('STS.', 24),
          AccessKeySecret: randomToken('', 44),
          SecurityToken: randomToken('CAIS', 200),
          Expiration: expiration,
        },
      })
    },
    failure (res, kind, message) {
      const host = 'sts.aliyuncs.com'
      switch (kind) {
        case 'throttle': return sendJson(res, 400, { HostId: host, Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' })
        case 'deny': return sendJson(res, 403, { HostId: host, Code: 'NoPermission', Message: 'You are not authorized to do this action. You should be authorized by RAM.' })
        case 'signature': return sendJson(res, 400, { HostId: host, Code: 'SignatureDoesNotMatch', Message: `Specified signature is not matched with our calculation (${message}).` })
        default: return sendJson(res, 500, { HostId: host, Code: 'InternalError', Message: 'The request processing has failed due to some unknown error.' })
      }
    },
  })
}
