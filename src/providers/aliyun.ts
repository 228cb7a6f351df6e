import type StsPackage from '@alicloud/sts20150401'
import type { AliyunUpstream } from '../domain/target.js'
import type { Scope } from '../domain/scope.js'
import type { CredentialProvider, MintedCredential } from '../domain/provider.js'
import { isDomainError } from '../errors.js'
import { withGuardedConnections } from './aliyun-connect-guard.js'
import { checkUpstreamEndpoint } from './endpoint.js'
import {
  checkDuration, DEFAULT_TIMEOUT_MS, loadOnce, parseExpiry, requireString, sessionName, withDeadline,
  type ProviderOptions,
} from './provider.js'
import { classifyUpstreamStatus, safeCode, upstreamUnavailable } from './upstream-failure.js'

/**
 * Alibaba Cloud STS AssumeRole through the official SDK (ACS3-HMAC-SHA256).
 * The SDK sends every parameter in the query string of a POST and does not
 * retry unless `retryOptions` is set, so one mint is one upstream request.
 * Its HTTP layer does not follow redirects: a 3xx surfaces as an error.
 * Every address its connections resolve to is checked (aliyun-connect-guard.ts).
 */
const loadSdk = loadOnce(async () => (await import('@alicloud/sts20150401')).default)

export const ALIYUN_DEFAULT_ENDPOINT = 'https://sts.aliyuncs.com'

type SdkConfig = ConstructorParameters<typeof StsPackage.default>[0]

export function createAliyunProvider (upstream: AliyunUpstream, options: ProviderOptions = {}): CredentialProvider {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const endpoint = checkUpstreamEndpoint(upstream.sts_endpoint ?? ALIYUN_DEFAULT_ENDPOINT,
    { allowCustom: options.allowCustomUpstreams ?? false })
  // A plain object is what the SDK's Config model holds; the SDK only reads its fields.
  const config = {
    accessKeyId: upstream.access_key_id,
    accessKeySecret: upstream.access_key_secret,
    endpoint: endpoint.host,
    protocol: endpoint.protocol.slice(0, -1),
    connectTimeout: timeoutMs,
    readTimeout: timeoutMs,
  } as unknown as SdkConfig
  // Made at the first mint, with the SDK.
  const client = loadOnce(async () => {
    const sdk = await loadSdk()
    return { sts: new sdk.default(config), AssumeRoleRequest: sdk.AssumeRoleRequest }
  })

  return {
    name: 'aliyun',
    async mint (scope: Scope, policyJson: string): Promise<MintedCredential> {
      // Alibaba STS: 900 s up to the role's maximum session duration (at most 12 h).
      checkDuration('aliyun', scope, 900, 43_200)
      const { sts, AssumeRoleRequest } = await client()
      const request = new AssumeRoleRequest({
        roleArn: upstream.role_arn,
        roleSessionName: sessionName(scope, upstream.role_session_name),
        durationSeconds: scope.durationSeconds,
        policy: policyJson,
        ...(upstream.external_id !== undefined && upstream.external_id !== '' ? { externalId: upstream.external_id } : {}),
      })
      let credentials: Record<string, unknown> | undefined
      try {
        const response = await withDeadline('aliyun', timeoutMs + 500, withGuardedConnections(options.resolve, () => sts.assumeRole(request)))
        credentials = response.body?.credentials as Record<string, unknown> | undefined
      } catch (err) {
        throw classifyAliyunFailure(err)
      }
      if (credentials === undefined || credentials === null) throw upstreamUnavailable('aliyun', 'no Credentials in the response')
      return {
        accessKeyId: requireString('aliyun', credentials.accessKeyId, 'AccessKeyId'),
        secret: requireString('aliyun', credentials.accessKeySecret, 'AccessKeySecret'),
        securityToken: requireString('aliyun', credentials.securityToken, 'SecurityToken'),
        expiresAt: parseExpiry('aliyun', credentials.expiration),
      }
    },
  }
}

/** SDK errors (ThrottlingError, ClientError, ServerError) carry `statusCode` and `code`; network errors do not. */
function classifyAliyunFailure (err: unknown): Error {
  if (isDomainError(err)) return err
  const e = err as { statusCode?: unknown, code?: unknown, name?: unknown }
  if (typeof e.statusCode === 'number') return classifyUpstreamStatus('aliyun', e.statusCode, safeCode(e.code))
  const what = safeCode(e.code) || safeCode(e.name) || 'request failed'
  return upstreamUnavailable('aliyun', what)
}
