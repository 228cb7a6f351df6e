/**
 * A storage target: where vended credentials point and how they are minted
 * (../shared/specs/upstream.md, "Target configuration"). Upstream secrets are
 * already decrypted here; the store seals them at rest.
 */
export type ProviderName = 'local' | 'aliyun' | 'aws' | 'huawei'

export interface AliyunUpstream {
  role_arn: string
  access_key_id: string
  access_key_secret: string
  sts_endpoint?: string
  role_session_name?: string
  external_id?: string
}

export interface AwsUpstream {
  role_arn: string
  access_key_id: string
  secret_access_key: string
  sts_endpoint?: string
  sts_region?: string
  external_id?: string
}

export interface HuaweiUpstream {
  agency_name: string
  domain_name?: string
  domain_id?: string
  access_key_id: string
  secret_access_key: string
  iam_endpoint?: string
}

export type Upstream = AliyunUpstream | AwsUpstream | HuaweiUpstream

export interface StorageTarget {
  id: string
  projectId: string
  /** Bumped on every change, so cached credentials of an older version are never served. */
  version: number
  name: string
  provider: ProviderName
  bucket: string
  region: string
  /** As configured: a bare host or an https:// URL. Each contract renders its own form. */
  endpoint: string
  internalEndpoint: string | null
  vpcEndpoint: string | null
  /** Requested lifetime of minted credentials. */
  durationSeconds: number
  /** null for `local`. */
  upstream: Upstream | null
}
