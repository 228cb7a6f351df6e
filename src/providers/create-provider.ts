import type { MasterKey } from '../keys.js'
import type { CredentialProvider } from '../domain/provider.js'
import type { StorageTarget } from '../domain/target.js'
import { DomainError } from '../errors.js'
import { createAliyunProvider } from './aliyun.js'
import { createAwsProvider } from './aws.js'
import { createHuaweiProvider } from './huawei.js'
import { createLocalProvider } from './local.js'
import type { ProviderOptions } from './provider.js'

export interface ProviderDeps extends ProviderOptions {
  /** Signs the local issuer's tokens. */
  masterKey: MasterKey
  /** The local issuer's clock. Real upstreams sign with the wall clock: a skewed date would be refused. */
  now?: () => number
}

/** The provider for a target; upstream fields were validated by the admin API, checked again here. */
export function createProvider (target: StorageTarget, deps: ProviderDeps): CredentialProvider {
  const options: ProviderOptions = {
    ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    ...(deps.allowCustomUpstreams !== undefined ? { allowCustomUpstreams: deps.allowCustomUpstreams } : {}),
    ...(deps.resolve !== undefined ? { resolve: deps.resolve } : {}),
  }
  const missing = (): never => { throw new DomainError('upstream_missing', `target ${target.id} has no upstream configuration`) }
  switch (target.provider) {
    case 'local':
      return createLocalProvider({ masterKey: deps.masterKey, ...(deps.now !== undefined ? { now: deps.now } : {}) })
    case 'aliyun':
      return createAliyunProvider(target.upstream ?? missing(), options)
    case 'aws':
      return createAwsProvider(target.upstream ?? missing(), target.region, options)
    case 'huawei':
      return createHuaweiProvider(target.upstream ?? missing(), options)
  }
}
