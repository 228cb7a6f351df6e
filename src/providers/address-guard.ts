import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/**
 * Every address form is one address (docs/operations.md "Upstream
 * addresses"): an IPv6 address that carries an IPv4 address — IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`,
 * 6to4 `2002:aabb:ccdd::` — is judged as that IPv4 address, in whichever
 * spelling (dotted or hex) it was written.
 */

/** Link-local, metadata and "this host" addresses: never an upstream, whatever the settings. */
const FORBIDDEN = new BlockList()
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4')   // link-local; AWS, Azure, GCP, Huawei, OpenStack, Oracle metadata at .169.254
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4')        // "this network": 0.0.0.0 reaches the local host
FORBIDDEN.addAddress('100.100.100.200', 'ipv4')  // Alibaba Cloud ECS metadata
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6')        // link-local
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6')    // AWS IMDS over IPv6
FORBIDDEN.addAddress('::', 'ipv6')               // unspecified

/** The 16 bytes of an IPv6 address (any valid spelling, with or without a zone), or undefined. */
function ipv6Bytes (address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '')
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted !== null) {
    if (isIP(dotted[1]!) !== 4) return undefined
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (part: string | undefined): string[] => part === undefined || part === '' ? [] : part.split(':')
  const head = groups(halves[0])
  const tail = groups(halves[1])
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail]
  const bytes: number[] = []
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined
    const n = parseInt(group, 16)
    bytes.push(n >> 8, n & 0xff)
  }
  return bytes
}

const zeros = (bytes: number[], from: number, to: number): boolean => bytes.slice(from, to).every((b) => b === 0)
const dotted = (bytes: number[], at: number): string => bytes.slice(at, at + 4).join('.')

/** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), or undefined. */
export function embeddedIpv4 (address: string): string | undefined {
  const b = ipv6Bytes(address)
  if (b === undefined) return undefined
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return dotted(b, 12)                 // ::ffff:0:0/96
  if (zeros(b, 0, 12) && !zeros(b, 12, 15)) return dotted(b, 12)                                  // ::/96 (not :: or ::1)
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(b, 4, 12)) return dotted(b, 12) // 64:ff9b::/96
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0 && b[5] === 1) return dotted(b, 6) // 64:ff9b:1::/48 (RFC 8215, /48 layout)
  if (b[0] === 0x20 && b[1] === 0x02) return dotted(b, 2)                                          // 2002::/16
  return undefined
}

/**
 * Is this IP address (any spelling) a link-local, metadata or unspecified
 * address? Hostnames answer false: they are judged by what they resolve to
 * (guardedLookup).
 */
export function isForbiddenAddress (address: string): boolean {
  const host = address.toLowerCase().replace(/^\[|\]$/g, '')
  const kind = isIP(host.replace(/%.*$/, ''))
  if (kind === 4) return FORBIDDEN.check(host, 'ipv4')
  if (kind !== 6) return false
  const v4 = embeddedIpv4(host)
  if (v4 !== undefined) return FORBIDDEN.check(v4, 'ipv4')
  return FORBIDDEN.check(host.replace(/%.*$/, ''), 'ipv6')
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
/** `dns.lookup`'s shape, as `net.connect`, http(s) agents and undici call it. */
export type Lookup = (hostname: string, options: object, callback: LookupCallback) => void

const systemLookup: Lookup = (hostname, options, callback) => { dnsLookup(hostname, { ...options, all: true }, callback as never) }

/**
 * A `lookup` for sockets to upstreams: resolves through `resolve` (the system
 * resolver by default) and refuses the connection when any answer is a
 * forbidden address, so a name cannot point a vendor SDK at a metadata service
 * (nor flip to one between the admin check and the call: every connection
 * resolves, and is checked, anew).
 */
export function guardedLookup (resolve: Lookup = systemLookup): Lookup {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) return callback(err, [])
      const list = Array.isArray(addresses) ? addresses : [{ address: addresses, family: isIP(addresses) }]
      const bad = list.find((a) => isForbiddenAddress(a.address))
      if (bad !== undefined || list.length === 0) {
        return callback(Object.assign(new Error(`upstream ${hostname} resolves to a link-local or metadata address`), { code: 'EADDRNOTALLOWED' }), [])
      }
      if ((options as { all?: boolean }).all === true) return callback(null, list)
      callback(null, list[0]!.address, list[0]!.family)
    })
  }
}
