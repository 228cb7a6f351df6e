import type { AwsUpstream } from '../domain/target.js'
import type { Scope } from '../domain/scope.js'
import type { CredentialProvider, MintedCredential } from '../domain/provider.js'
import { isDomainError } from '../errors.js'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { guardedLookup } from './address-guard.js'
import { checkUpstreamEndpoint } from './endpoint.js'
import {
  checkDuration, DEFAULT_TIMEOUT_MS, loadOnce, parseExpiry, requireString, sessionName, withDeadline,
  type ProviderOptions,
} from './provider.js'
import { classifyUpstreamStatus, safeCode, upstreamUnavailable } from './upstream-failure.js'

/**
 * AWS STS (and S3-compatible STS: MinIO, Ceph RGW) AssumeRole through the
 * official SDK, SigV4. One attempt only: the credential service already
 * de-duplicates and negative-caches, and a retry storm against a throttling
 * STS is exactly what the per-project budget is there to prevent. The SDK's
 * node HTTP handler does not follow redirects.
 */
export function awsDefaultEndpoint (region: string): string {
  return region.startsWith('cn-') ? `https://sts.${region}.amazonaws.com.cn` : `https://sts.${region}.amazonaws.com`
}

const loadSdk = loadOnce(async () => await import('@aws-sdk/client-sts'))

export function createAwsProvider (upstream: AwsUpstream, targetRegion: string, options: ProviderOptions = {}): CredentialProvider {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const region = upstream.sts_region ?? targetRegion
  const endpoint = checkUpstreamEndpoint(upstream.sts_endpoint ?? awsDefaultEndpoint(region),
    { allowCustom: options.allowCustomUpstreams ?? false })
  // Made at the first mint, with the SDK.
  const client = loadOnce(async () => {
    const { STSClient, AssumeRoleCommand } = await loadSdk()
    return { AssumeRoleCommand, sts: new STSClient({
    region,
    endpoint: endpoint.toString(),
    credentials: { accessKeyId: upstream.access_key_id, secretAccessKey: upstream.secret_access_key },
    maxAttempts: 1,
    // The SDK's node handler connects through these agents: every resolved address is checked at connect time.
    requestHandler: {
      connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true,
      httpAgent: new HttpAgent({ keepAlive: true, lookup: guardedLookup(options.resolve) as never }),
      httpsAgent: new HttpsAgent({ keepAlive: true, lookup: guardedLookup(options.resolve) as never }),
    },
    }) }
  })

  return {
    name: 'aws',
    async mint (scope: Scope, policyJson: string): Promise<MintedCredential> {
      // AWS: 900 s up to the role's maximum session duration (at most 12 h).
      checkDuration('aws', scope, 900, 43_200)
      const { sts, AssumeRoleCommand } = await client()
      const command = new AssumeRoleCommand({
        RoleArn: upstream.role_arn,
        RoleSessionName: sessionName(scope),
        DurationSeconds: scope.durationSeconds,
        Policy: policyJson,
        ...(upstream.external_id !== undefined && upstream.external_id !== '' ? { ExternalId: upstream.external_id } : {}),
      })
      const abort = new AbortController()
      let credentials
      try {
        const response = await withDeadline('aws', timeoutMs + 500, sts.send(command, { abortSignal: abort.signal }))
        credentials = response.Credentials
      } catch (err) {
        abort.abort()
        throw classifyAwsFailure(err)
      }
      if (credentials === undefined) throw upstreamUnavailable('aws', 'no Credentials in the response')
      return {
        accessKeyId: requireString('aws', credentials.AccessKeyId, 'AccessKeyId'),
        secret: requireString('aws', credentials.SecretAccessKey, 'SecretAccessKey'),
        securityToken: requireString('aws', credentials.SessionToken, 'SessionToken'),
        expiresAt: parseExpiry('aws', credentials.Expiration),
      }
    },
  }
}

/** Service errors carry `name` (the STS error code) and `$metadata.httpStatusCode`; network errors carry neither. */
function classifyAwsFailure (err: unknown): Error {
  if (isDomainError(err)) return err
  const e = err as { name?: unknown, code?: unknown, $metadata?: { httpStatusCode?: unknown } }
  const status = e.$metadata?.httpStatusCode
  const code = safeCode(e.name)
  if (typeof status === 'number' && status >= 400) return classifyUpstreamStatus('aws', status, code)
  return upstreamUnavailable('aws', safeCode(e.code) || code || 'request failed')
}
