import { DomainError } from '../errors.js'
import { isForbiddenAddress } from './address-guard.js'

/**
 * Upstream endpoint policy (docs/security.md rule 5,
 * "Configuration is no way to SSRF"). Used when a target is created (admin API) and again before
 * every call, so a target stored under looser settings cannot be used later.
 *
 * - `https://` and a vendor STS/IAM host, unless custom upstreams are allowed
 *   (tests, MinIO, Ceph on a private network), which also permits `http://`;
 * - never link-local (169.254.0.0/16, fe80::/10) or a cloud metadata address,
 *   whatever the setting;
 * - no user-info, query or fragment: an endpoint is an origin (plus a path for
 *   S3-compatible STS behind a path prefix).
 *
 * Redirects are never followed by any of our clients (see each provider).
 * An address is judged in every spelling (address-guard.ts); a hostname is
 * judged here as written, and by every address it resolves to when a provider
 * connects (each provider's client resolves through guardedLookup).
 */
const VENDOR_HOSTS = [/\.aliyuncs\.com$/, /\.amazonaws\.com$/, /\.amazonaws\.com\.cn$/, /\.myhuaweicloud\.com$/]

const METADATA_HOSTS = new Set([
  'metadata', 'metadata.google.internal', 'metadata.tencentyun.com',
  '100.100.100.200', // Alibaba ECS metadata service
  '169.254.169.254', // AWS, Huawei, OpenStack (also covered by the link-local rule)
  'fd00:ec2::254',   // AWS IMDS over IPv6
])

export interface EndpointPolicy { allowCustom: boolean }

const refuse = (why: string): never => {
  throw new DomainError('upstream_endpoint_refused', `upstream endpoint refused: ${why}`)
}

export function checkUpstreamEndpoint (url: string, { allowCustom }: EndpointPolicy): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return refuse('not a URL')
  }
  if (parsed.protocol !== 'https:' && !(allowCustom && parsed.protocol === 'http:')) {
    refuse(allowCustom ? 'only http:// and https:// are allowed' : 'only https:// is allowed')
  }
  if (parsed.username !== '' || parsed.password !== '') refuse('credentials in the URL')
  if (parsed.search !== '' || parsed.hash !== '') refuse('query or fragment in the URL')
  // WHATWG URL normalises 0xA9FEA9FE and friends to dotted decimal and wraps IPv6 in [].
  const host = parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  if (METADATA_HOSTS.has(host) || isForbiddenAddress(host)) refuse('link-local or metadata address')
  if (!allowCustom && !VENDOR_HOSTS.some((re) => re.test(host))) refuse('not a known vendor host')
  return parsed
}
