import type { HuaweiUpstream } from '../domain/target.js'
import type { Scope } from '../domain/scope.js'
import type { CredentialProvider, MintedCredential } from '../domain/provider.js'
import { isDomainError } from '../errors.js'
import { guardedLookup } from './address-guard.js'
import { checkUpstreamEndpoint } from './endpoint.js'
import { signHuaweiRequest } from '../signing/huawei-apig.js'
import {
  checkDuration, DEFAULT_TIMEOUT_MS, loadOnce, parseExpiry, requireString, withDeadline,
  type ProviderOptions,
} from './provider.js'
import { classifyUpstreamStatus, safeCode, upstreamUnavailable } from './upstream-failure.js'

/**
 * Huawei Cloud IAM: temporary AK/SK through an agency
 * (`POST /v3.0/OS-CREDENTIAL/securitytokens`, method `assume_role`), signed
 * with the account's AK/SK (SDK-HMAC-SHA256). undici's `request` never follows
 * redirects (that needs an explicit interceptor), so a 3xx is a failure.
 */
export const HUAWEI_DEFAULT_ENDPOINT = 'https://iam.myhuaweicloud.com'
const TOKEN_PATH = '/v3.0/OS-CREDENTIAL/securitytokens'
/** Responses are small JSON documents; anything bigger is not IAM. */
const MAX_RESPONSE_BYTES = 64 * 1024

export function createHuaweiProvider (upstream: HuaweiUpstream, options: ProviderOptions & { now?: () => number } = {}): CredentialProvider {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const now = options.now ?? Date.now
  const endpoint = checkUpstreamEndpoint(upstream.iam_endpoint ?? HUAWEI_DEFAULT_ENDPOINT,
    { allowCustom: options.allowCustomUpstreams ?? false })
  const url = new URL(endpoint.pathname.replace(/\/$/, '') + TOKEN_PATH, endpoint)
  // undici is loaded at the first mint, by deployments with a Huawei target.
  const client = loadOnce(async () => {
    const { Agent, request } = await import('undici')
    const dispatcher = new Agent({
      // Every resolved address is checked at connect time: a vendor-looking name cannot lead to a metadata address.
      connect: { timeout: timeoutMs, lookup: guardedLookup(options.resolve) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    return { dispatcher, request }
  })

  return {
    name: 'huawei',
    async mint (scope: Scope, policyJson: string): Promise<MintedCredential> {
      // Huawei IAM: agency credentials last 900–43200 s (tokens allow up to 86400).
      checkDuration('huawei', scope, 900, 43_200)
      const assumeRole: Record<string, unknown> = {
        agency_name: upstream.agency_name,
        duration_seconds: scope.durationSeconds,
        ...(upstream.domain_id !== undefined && upstream.domain_id !== ''
          ? { domain_id: upstream.domain_id }
          : { domain_name: upstream.domain_name }),
      }
      const body = JSON.stringify({
        auth: { identity: { methods: ['assume_role'], assume_role: assumeRole, policy: JSON.parse(policyJson) as unknown } },
      })
      const headers = signHuaweiRequest({ method: 'POST', url, headers: { 'content-type': 'application/json;charset=utf8' }, body },
        { accessKeyId: upstream.access_key_id, secretAccessKey: upstream.secret_access_key }, new Date(now()))

      let status: number
      let text: string
      try {
        const { request, dispatcher } = await client()
        const response = await withDeadline('huawei', timeoutMs + 500, request(url, { method: 'POST', headers, body, dispatcher }))
        status = response.statusCode
        text = await readLimited(response.body)
      } catch (err) {
        if (isDomainError(err)) throw err
        const e = err as { code?: unknown, name?: unknown }
        throw upstreamUnavailable('huawei', safeCode(e.code) || safeCode(e.name) || 'request failed')
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      if (status !== 201 && status !== 200) throw classifyUpstreamStatus('huawei', status, huaweiErrorCode(parsed))
      const credential = (parsed as { credential?: Record<string, unknown> } | undefined)?.credential
      if (credential === undefined || credential === null || typeof credential !== 'object') {
        throw upstreamUnavailable('huawei', 'no credential in the response')
      }
      return {
        accessKeyId: requireString('huawei', credential.access, 'access'),
        secret: requireString('huawei', credential.secret, 'secret'),
        securityToken: requireString('huawei', credential.securitytoken, 'securitytoken'),
        expiresAt: parseExpiry('huawei', credential.expires_at),
      }
    },
  }
}

async function readLimited (body: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buf.length
    if (size > MAX_RESPONSE_BYTES) throw upstreamUnavailable('huawei', 'response too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** IAM answers `{"error":{"code":…,"title":…}}` (Keystone style) or `{"error_code":…}` (API Gateway). */
function huaweiErrorCode (parsed: unknown): string {
  if (parsed === null || typeof parsed !== 'object') return ''
  const p = parsed as { error_code?: unknown, error?: { title?: unknown, code?: unknown } }
  return safeCode(p.error_code) || safeCode(p.error?.title) || ''
}
