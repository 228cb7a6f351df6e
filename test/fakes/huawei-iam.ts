/**
 * Fake Huawei Cloud IAM (`POST /v3.0/OS-CREDENTIAL/securitytokens`) for tests and benchmarks.
 *
 *   const iam = await startFakeHuaweiIam({ accessKeyId: 'HPUA…', secretAccessKey: '…' })
 *   // target upstream: iam_endpoint: iam.url (needs allowCustomUpstreams)
 *   iam.calls[0].policy          // the session policy from auth.identity.policy
 *   iam.setMode('throttle')      // 'ok' | 'fail' | 'throttle' | 'deny' | 'hang' | 'garbage'
 *   await iam.close()
 *
 * It re-signs the request as received with the vendor SDK's own signer
 * (`@huaweicloud/huaweicloud-sdk-core` AKSKSigner: the signed headers with
 * their values, the received X-Sdk-Date, path, query and JSON body) and
 * requires the very same Authorization header, so a bug shared by our signer
 * and our verifier cannot pass here. It requires `host` and `x-sdk-date` to be
 * signed, and answers 201 `{credential:{access, secret, securitytoken, expires_at}}`.
 * Errors use the Keystone shape `{"error":{"code","title","message"}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { randomToken, startFakeUpstream, type FakeUpstream } from './fake-upstream.js'

const require = createRequire(import.meta.url)
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: { sign (request: object, credential: object): { Authorization: string } }
}

/**
 * The Authorization the SDK would send for this request. The SDK signs every
 * header it is given plus `host`, takes the date from `X-Sdk-Date` (that exact
 * key) and hashes `JSON.stringify(data)`, so a body it could not have produced
 * gets no signature at all.
 */
function sdkAuthorization (req: IncomingMessage, url: URL, body: Buffer, signed: string[], keys: { accessKeyId: string, secretAccessKey: string }): string | undefined {
  const text = body.toString('utf8')
  let data: unknown
  try { data = text === '' ? undefined : JSON.parse(text) } catch { return undefined }
  if (data !== undefined && JSON.stringify(data) !== text) return undefined
  const headers: Record<string, string> = {}
  for (const name of signed) headers[name === 'x-sdk-date' ? 'X-Sdk-Date' : name] = String(req.headers[name] ?? '')
  const queryParams: Record<string, string | string[]> = {}
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key)
    queryParams[key] = values.length === 1 ? values[0]! : values
  }
  return AKSKSigner.sign(
    { method: req.method ?? 'POST', endpoint: `http://${req.headers.host ?? ''}${url.pathname}`, headers, queryParams, data },
    { getAk: () => keys.accessKeyId, getSk: () => keys.secretAccessKey }
  ).Authorization
}

export interface HuaweiIamCall {
  accessKeyId: string
  path: string
  methods: unknown
  agencyName: string | null
  domainName: string | null
  domainId: string | null
  durationSeconds: number | null
  policy: unknown
  signatureValid: boolean
}

export type FakeHuaweiIam = FakeUpstream<HuaweiIamCall>

function sendJson (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'x-request-id': randomToken('', 32) })
  res.end(JSON.stringify(body))
}

const sendError = (res: ServerResponse, status: number, title: string, message: string): void =>
  sendJson(res, status, { error: { code: status, title, message } })

export async function startFakeHuaweiIam (keys: { accessKeyId: string, secretAccessKey: string }): Promise<FakeHuaweiIam> {
  return await startFakeUpstream<HuaweiIamCall>({
    inspect (req, body) {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'fake'}`)
      let parsed: { auth?: { identity?: { methods?: unknown, policy?: unknown, assume_role?: Record<string, unknown> } } } = {}
      try { parsed = JSON.parse(body.toString('utf8')) } catch { parsed = {} }
      const identity = parsed.auth?.identity
      const role = identity?.assume_role ?? {}
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

      let error: string | undefined
      const authorization = req.headers.authorization ?? ''
      const m = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization)
      if (m === null) error = 'malformed Authorization'
      else if (m[1] !== keys.accessKeyId) error = 'unknown access key'
      else {
        const signed = m[2]!.split(';')
        if (!signed.includes('host') || !signed.includes('x-sdk-date')) error = 'host or x-sdk-date not signed'
        else if (sdkAuthorization(req, url, body, signed, keys) !== authorization) error = 'signature mismatch'
      }
      if (error === undefined && url.pathname !== '/v3.0/OS-CREDENTIAL/securitytokens') error = 'not found'
      const call: HuaweiIamCall = {
        accessKeyId: m?.[1] ?? '',
        path: url.pathname,
        methods: identity?.methods ?? null,
        agencyName: str(role.agency_name),
        domainName: str(role.domain_name),
        domainId: str(role.domain_id),
        durationSeconds: typeof role.duration_seconds === 'number' ? role.duration_seconds : null,
        policy: identity?.policy ?? null,
        signatureValid: error === undefined,
      }
      return error === undefined ? { call } : { call, error }
    },
    success (res, call, seconds) {
      // IAM's own format: microseconds, 'Z'.
      const expires = new Date(Date.now() + seconds * 1000).toISOString().replace(/Z$/, '000Z')
      sendJson(res, 201, {
        credential: {
          access: randomToken('', 20).toUpperCase(),
          secret: randomToken('', 40),
          securitytoken: randomToken('gQpjbi1ub3J0aC00', 300),
          expires_at: expires,
        },
      })
      void call
    },
    failure (res, kind, message) {
      switch (kind) {
        case 'throttle': return sendError(res, 429, 'Too Many Requests', 'The throttling threshold has been reached')
        case 'deny': return sendError(res, 403, 'Forbidden', 'You are not authorized to perform the requested action')
        case 'signature': return sendError(res, 401, 'Unauthorized', `The request you have made requires authentication (${message}).`)
        default: return sendError(res, 500, 'Internal Server Error', 'An unexpected error prevented the server from fulfilling your request.')
      }
    },
  })
}
