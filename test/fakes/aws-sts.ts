/**
 * Fake AWS STS (also standing in for MinIO / Ceph RGW STS) for tests and benchmarks.
 *
 *   const sts = await startFakeAwsSts({ accessKeyId: 'AKIA…', secretAccessKey: '…' })
 *   // target upstream: sts_endpoint: sts.url, sts_region: 'us-east-1' (needs allowCustomUpstreams)
 *   sts.calls[0].policy          // decoded session policy
 *   sts.setMode('throttle')      // 'ok' | 'fail' | 'throttle' | 'deny' | 'hang' | 'garbage'
 *   await sts.close()
 *
 * It recomputes the SigV4 signature (AWS4-HMAC-SHA256, scope
 * `date/region/sts/aws4_request`) from the request as received, checks the
 * payload hash and that `host` and `x-amz-date` are signed, and answers with
 * the real query-API XML (`text/xml`), errors as `<ErrorResponse>`.
 */
import { createHash, createHmac } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomToken, startFakeUpstream, type FakeUpstream } from './fake-upstream.js'

export interface AwsStsCall {
  accessKeyId: string
  region: string
  action: string | null
  roleArn: string | null
  roleSessionName: string | null
  durationSeconds: number | null
  externalId: string | null
  policyText: string | null
  policy: unknown
  signatureValid: boolean
}

export type FakeAwsSts = FakeUpstream<AwsStsCall>

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest()
const uriEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function verifySigV4 (req: IncomingMessage, body: Buffer, accessKeyId: string, secret: string): { error?: string, region: string } {
  const auth = req.headers.authorization ?? ''
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth)
  if (m === null) return { error: 'malformed Authorization', region: '' }
  const [, ak, date, region, service, signedList, signature] = m as unknown as string[] as [string, string, string, string, string, string, string]
  if (ak !== accessKeyId) return { error: 'unknown access key', region }
  if (service !== 'sts') return { error: 'wrong service in credential scope', region }
  const signed = signedList.split(';')
  if (!signed.includes('host') || !signed.includes('x-amz-date')) return { error: 'host or x-amz-date not signed', region }
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  if (!amzDate.startsWith(date)) return { error: 'date mismatch', region }
  const payloadHash = sha256(body)
  const claimed = req.headers['x-amz-content-sha256']
  if (claimed !== undefined && claimed !== payloadHash) return { error: 'payload hash mismatch', region }
  const url = new URL(req.url ?? '/', 'http://fake')
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join('&')
  const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  const canonical = [req.method, url.pathname, query, headers, signed.join(';'), payloadHash].join('\n')
  const scope = `${date}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request')
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex')
  return expected === signature ? { region } : { error: 'signature mismatch', region }
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function sendXml (res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomToken('', 32) })
  res.end(xml)
}

function sendError (res: ServerResponse, status: number, type: string, code: string, message: string): void {
  sendXml(res, status, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomToken('', 32)}</RequestId></ErrorResponse>`)
}

export async function startFakeAwsSts (keys: { accessKeyId: string, secretAccessKey: string }): Promise<FakeAwsSts> {
  return await startFakeUpstream<AwsStsCall>({
    inspect (req, body) {
      const { error, region } = verifySigV4(req, body, keys.accessKeyId, keys.secretAccessKey)
      const form = new URLSearchParams(body.toString('utf8'))
      const policyText = form.get('Policy')
      let policy: unknown = null
      try { policy = policyText === null ? null : JSON.parse(policyText) } catch { policy = null }
      const duration = form.get('DurationSeconds')
      const call: AwsStsCall = {
        accessKeyId: /Credential=([^/]+)/.exec(req.headers.authorization ?? '')?.[1] ?? '',
        region,
        action: form.get('Action'),
        roleArn: form.get('RoleArn'),
        roleSessionName: form.get('RoleSessionName'),
        durationSeconds: duration === null ? null : Number(duration),
        externalId: form.get('ExternalId'),
        policyText,
        policy,
        signatureValid: error === undefined,
      }
      return error === undefined ? { call } : { call, error }
    },
    success (res, call, seconds) {
      const expiration = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      sendXml(res, 200, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROA${randomToken('', 17)}:${xmlEscape(call.roleSessionName ?? '')}</AssumedRoleId>
      <Arn>${xmlEscape(call.roleArn ?? '')}/${xmlEscape(call.roleSessionName ?? '')}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIA${randomToken('', 16)}</AccessKeyId>
      <SecretAccessKey>${randomToken('', 40)}</SecretAccessKey>
      <SessionToken>${randomToken('FwoGZXIvYXdzE', 200)}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${randomToken('', 32)}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`)
    },
    failure (res, kind, message) {
      switch (kind) {
        case 'throttle': return sendError(res, 400, 'Sender', 'Throttling', 'Rate exceeded')
        case 'deny': return sendError(res, 403, 'Sender', 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole')
        case 'signature': return sendError(res, 403, 'Sender', 'SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided (${message}).`)
        default: return sendError(res, 500, 'Receiver', 'InternalFailure', 'An internal error occurred.')
      }
    },
  })
}
