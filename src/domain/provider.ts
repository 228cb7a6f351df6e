import type { Scope } from './scope.js'

/**
 * One interface for every upstream (DESIGN.md): mint a temporary credential
 * narrowed by a session policy. Providers never cache; the credential service does.
 */
export interface MintedCredential {
  accessKeyId: string
  secret: string
  securityToken: string
  expiresAt: Date
}

export interface CredentialProvider {
  readonly name: string
  /** `policyJson` is the session policy already rendered in this provider's dialect. */
  mint (scope: Scope, policyJson: string): Promise<MintedCredential>
}
