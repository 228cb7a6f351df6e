import { isIP } from 'node:net'
import { DomainError } from '../errors.js'

/**
 * Upstream endpoint policy (security.md rule 5, "No SSRF through
 * configuration"). Used when a target is created (admin API) and again before
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
 * Hostnames are checked as written; DNS answers are not (see huawei.ts for the
 * client where we control connect-time lookups).
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
  if (METADATA_HOSTS.has(host) || isLinkLocalOrMetadata(host)) refuse('link-local or metadata address')
  if (!allowCustom && !VENDOR_HOSTS.some((re) => re.test(host))) refuse('not a known vendor host')
  return parsed
}

/** 169.254.0.0/16, fe80::/10, and either of those wrapped in an IPv4-mapped IPv6 address. */
export function isLinkLocalOrMetadata (address: string): boolean {
  const host = address.toLowerCase()
  const kind = isIP(host)
  if (kind === 4) return host.startsWith('169.254.') || host === '0.0.0.0' || host === '100.100.100.200'
  if (kind === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)
    if (mapped !== null) return isLinkLocalOrMetadata(mapped[1]!)
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host)
    if (hexMapped !== null) {
      const hi = parseInt(hexMapped[1]!, 16)
      return (hi >> 8) === 169 && (hi & 0xff) === 254
    }
    // fe80::/10 covers fe80 … febf.
    return /^fe[89ab][0-9a-f]:/.test(host) || host === 'fd00:ec2::254'
  }
  return false
}
