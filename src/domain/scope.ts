import type { StorageTarget } from './target.js'

/**
 * What a caller may do with a vended credential: one storage target, one
 * prefix or one object, a set of actions, a lifetime. Route plugins build a
 * scope; the credential service turns it into a session policy and a credential.
 */
export type StorageAction = 'put' | 'get' | 'delete' | 'multipart'

export type ScopeResource =
  | { kind: 'prefix', prefix: string }   // must end in '/'; the policy adds the single trailing '*'
  | { kind: 'object', key: string }      // exactly one object, no wildcard

export interface Scope {
  target: StorageTarget
  resource: ScopeResource
  actions: readonly StorageAction[]
  durationSeconds: number
  /** The project the credential is vended for: budgets and cache shares are counted per project. */
  projectId: string
}

/** Where a contract's grants live: a target and the key prefix bound for this caller. */
export interface Binding {
  target: StorageTarget
  prefix: string
}

/** What one request asks for under its binding: the whole prefix, or one object below it. */
export interface GrantRequest {
  projectId: string
  actions: readonly StorageAction[]
  /** Omitted: the whole prefix. Given: exactly `prefix + object`. */
  object?: string
}

/** The one way a contract turns its binding and a request into a scope; the lifetime is the target's. */
export function scopeFor (binding: Binding, request: GrantRequest): Scope {
  return {
    target: binding.target,
    resource: request.object === undefined
      ? { kind: 'prefix', prefix: binding.prefix }
      : { kind: 'object', key: `${binding.prefix}${request.object}` },
    actions: request.actions,
    durationSeconds: binding.target.durationSeconds,
    projectId: request.projectId
  }
}

const ACTION_ORDER: readonly StorageAction[] = ['put', 'get', 'delete', 'multipart']

/** Actions deduplicated in a fixed order, so `['get','put']` and `['put','get','put']` mean the same scope. */
export const normalizeActions = (actions: readonly StorageAction[]): StorageAction[] =>
  ACTION_ORDER.filter((a) => actions.includes(a))

const ACTION_BITS: Readonly<Record<StorageAction, number>> = { put: 1, get: 2, delete: 4, multipart: 8 }

/**
 * Stable cache key of a scope, built on every vend: plain concatenation, no
 * JSON.stringify and no intermediate arrays. The ids are length-prefixed, the
 * numbers end at a `|`, and the path comes last, so a key is unambiguous
 * whatever characters an id or a prefix holds. It carries the target
 * version, so a changed target never serves a credential minted under its old
 * configuration (docs/upstream.md, "Reuse"). The actions are a bit set, so
 * `['get','put']` and `['put','get','put']` give one key.
 */
export function scopeKey (scope: Scope): string {
  const { projectId, target, resource } = scope
  return `${projectId.length}:${projectId}${target.id.length}:${target.id}${target.version}|${actionBits(scope.actions)}|${scope.durationSeconds}|${resourceKey(resource)}`
}

/** The actions as a bit set: order and repeats do not matter. */
export function actionBits (actions: readonly StorageAction[]): number {
  let bits = 0
  for (const action of actions) bits |= ACTION_BITS[action]
  return bits
}

/** The resource's kind and path in one string (`p<prefix>` or `o<key>`); unambiguous only as the last part of a key. */
export const resourceKey = (resource: ScopeResource): string => resource.kind === 'prefix' ? `p${resource.prefix}` : `o${resource.key}`
