/**
 * A storage target: where vended credentials point and how they are minted
 * (docs/upstream.md, "Target configuration"). Upstream secrets are
 * already decrypted here; the store seals them at rest.
 */
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

/** Each provider's upstream configuration; `local` mints itself and has none. */
export interface UpstreamOf {
  local: null
  aliyun: AliyunUpstream
  aws: AwsUpstream
  huawei: HuaweiUpstream
}

export type ProviderName = keyof UpstreamOf

export type Upstream = UpstreamOf[Exclude<ProviderName, 'local'>]

interface TargetFields {
  id: string
  projectId: string
  /** Bumped on every change, so cached credentials of an older version are never served. */
  version: number
  name: string
  bucket: string
  region: string
  /** As configured: a bare host or an https:// URL. Each contract renders its own form (endpoint.ts). */
  endpoint: string
  internalEndpoint: string | null
  vpcEndpoint: string | null
  /** Requested lifetime of minted credentials. */
  durationSeconds: number
}

/**
 * A target of one provider carries that provider's upstream (null when a row
 * lacks it: the provider factory refuses such a target), so narrowing on
 * `provider` types `upstream` without a cast.
 */
export type StorageTarget = {
  [P in ProviderName]: TargetFields & { provider: P, upstream: UpstreamOf[P] | null }
}[ProviderName]
