import { createHash, randomBytes } from 'node:crypto'
import { safeEqual, type MasterKey } from '../keys.js'
import type { Scope } from '../domain/scope.js'
import type { CredentialProvider, MintedCredential } from '../domain/provider.js'
import { checkDuration } from './provider.js'

/**
 * The local issuer (development, tests, the embedded default). It mints
 * credentials nobody else can check, so the security token is self-describing:
 * `base64url(JSON claims) + '.' + base64url(HMAC)` under the master key's
 * `local-sts:v1` sub-key. The admin introspection endpoint verifies it and
 * returns the recorded policy.
 */
const MAC_PURPOSE = 'local-sts:v1'

interface LocalClaims {
  v: 1
  ak: string
  /** SHA-256 of the secret: binds the token to its secret without revealing it. */
  skh: string
  /** Expiry, Unix seconds. */
  exp: number
  policy: string
  project: string
  target: string
}

export interface LocalProviderOptions {
  masterKey: MasterKey
  now?: () => number
}

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('base64url')

export function createLocalProvider ({ masterKey, now = Date.now }: LocalProviderOptions): CredentialProvider {
  return {
    name: 'local',
    async mint (scope: Scope, policyJson: string): Promise<MintedCredential> {
      // Same bounds as the strictest real upstream we imitate (Huawei tokens allow up to 86400).
      checkDuration('local', scope, 900, 86_400)
      const accessKeyId = `STS.${randomBytes(15).toString('base64url')}`
      const secret = randomBytes(30).toString('base64url')
      const exp = Math.floor(now() / 1000) + scope.durationSeconds
      const claims: LocalClaims = {
        v: 1, ak: accessKeyId, skh: hashSecret(secret), exp, policy: policyJson,
        project: scope.projectId, target: scope.target.id,
      }
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url')
      const mac = masterKey.mac(MAC_PURPOSE, body).toString('base64url')
      return { accessKeyId, secret, securityToken: `${body}.${mac}`, expiresAt: new Date(exp * 1000) }
    },
  }
}

export interface LocalIntrospection {
  active: boolean
  expiresAt?: Date
  policy?: string
  projectId?: string
  targetId?: string
}

/**
 * Check a local credential: the token's MAC (constant time), that it belongs to
 * this access key id, and that it has not expired. Inactive answers say nothing
 * more, so introspection cannot be used to learn about forged tokens.
 */
export function introspectLocalCredential (
  masterKey: MasterKey, accessKeyId: string, securityToken: string, now: number = Date.now()
): LocalIntrospection {
  const inactive = { active: false }
  const dot = securityToken.indexOf('.')
  if (dot <= 0 || dot !== securityToken.lastIndexOf('.')) return inactive
  const body = securityToken.slice(0, dot)
  const mac = securityToken.slice(dot + 1)
  if (!safeEqual(masterKey.mac(MAC_PURPOSE, body).toString('base64url'), mac)) return inactive
  let claims: LocalClaims
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LocalClaims
  } catch {
    return inactive
  }
  if (claims.v !== 1 || !safeEqual(claims.ak, accessKeyId)) return inactive
  const expiresAt = new Date(claims.exp * 1000)
  if (expiresAt.getTime() <= now) return { active: false, expiresAt }
  return { active: true, expiresAt, policy: claims.policy, projectId: claims.project, targetId: claims.target }
}
