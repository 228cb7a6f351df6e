import type { Scope } from '../domain/scope.js'
import type { CredentialService, VendedCredential } from './service.js'
import type { VendRecord } from './vend-audit.js'

/** Who asked, through which contract: what the vend audit log records beside the scope. */
export interface VendContext {
  /** `ak:<id>`, `token:<id>`, `gateway:<sn>`. */
  principal: string
  /** `edas`, `workspace`, `dji`. */
  contract: string
  /** Serve only a credential with at least this many seconds left (DJI: margin + cache floor). */
  minRemainingSeconds?: number
}

export interface VendRecorder {
  record (entry: VendRecord): void
}

/**
 * The one seam every contract vends through: a credential from the credential
 * service, then one vend audit record naming the caller and the contract. The
 * credential service itself knows nothing of callers.
 */
export class RecordedVending {
  constructor (private readonly credentials: CredentialService, private readonly audit: VendRecorder) {}

  async vend (scope: Scope, context: VendContext): Promise<VendedCredential> {
    const credential = await this.credentials.vend(scope, context.minRemainingSeconds === undefined ? {} : { minRemainingSeconds: context.minRemainingSeconds })
    this.audit.record({
      scope,
      scopeKey: credential.scopeKey,
      principal: context.principal,
      contract: context.contract,
      expiresAt: credential.expiresAt,
      fromCache: credential.fromCache
    })
    return credential
  }

  /** The credential service's cache floor, for contracts that add their own margin to it. */
  cacheFloorSeconds (durationSeconds: number): number {
    return this.credentials.cacheFloorSeconds(durationSeconds)
  }
}
