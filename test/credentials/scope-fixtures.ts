import type { Scope } from '../../src/domain/scope.js'
import type { StorageTarget } from '../../src/domain/target.js'

/** Test fixtures: a target and a scope with sensible defaults (any provider/upstream pairing a test asks for). */
export function makeTarget (overrides: Partial<StorageTarget> = {}): StorageTarget {
  return {
    id: 'tgt-1',
    projectId: 'proj-1',
    version: 1,
    name: 'test target',
    provider: 'local',
    bucket: 'test-bucket',
    region: 'cn-beijing',
    endpoint: 'oss-cn-beijing.aliyuncs.com',
    internalEndpoint: null,
    vpcEndpoint: null,
    durationSeconds: 3600,
    upstream: null,
    ...overrides,
  } as StorageTarget
}

export function makeScope (overrides: Partial<Scope> = {}): Scope {
  const target = overrides.target ?? makeTarget()
  return {
    target,
    resource: { kind: 'prefix', prefix: 'uploads/' },
    actions: ['put'],
    durationSeconds: target.durationSeconds,
    projectId: target.projectId,
    ...overrides,
  }
}
