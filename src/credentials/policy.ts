import { DomainError, invalid } from '../errors.js'
import { actionBits, normalizeActions, resourceKey, type Scope, type ScopeResource, type StorageAction } from '../domain/scope.js'
import type { ProviderName } from '../domain/target.js'

/**
 * Session policies: the only place a name chosen by a caller reaches a policy
 * (docs/security.md rule 1). `policyResource` is the one function that renders a
 * resource; everything else goes through it.
 */
export type PolicyDialect = 'ram' | 'iam' | 'obs'

/** The local issuer records an IAM-dialect policy: the most widely understood, and S3-compatible stores use it. */
export const dialectFor = (provider: ProviderName): PolicyDialect =>
  provider === 'aliyun' ? 'ram' : provider === 'huawei' ? 'obs' : 'iam'

/**
 * Maximum policy length we send, checked before calling out.
 * - ram: AssumeRole `Policy` is limited to 1024 characters (Alibaba STS API reference).
 * - iam: AWS limits the plain-text session policy to 2048 characters (and a packed
 *   size we cannot compute locally; 2048 plain text is the documented bound).
 * - obs: Huawei IAM documents 6,144 characters per custom policy (IAM "Notes and
 *   Constraints", support.huaweicloud.com/productdesc-iam/iam_01_0305.html); a
 *   session policy is a custom policy document, so the same bound applies.
 */
export const POLICY_MAX_CHARS: Record<PolicyDialect, number> = { ram: 1024, iam: 2048, obs: 6144 }

/** S3, OSS and OBS all cap an object key at 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024

// `* ? $ { }` are policy wildcards / variables in at least one dialect; a backslash
// is normalised to '/' by some S3-compatible stores, so it could hide a segment.
const FORBIDDEN = /[*?${}\\]/u
// Control characters (C0, DEL, C1) and lone surrogates, which JSON would escape
// into something the upstream parser may read differently (a JSON "\ud800" escape
// parses into one). Contracts that check a caller's name early use it too.
export const CONTROL_OR_BROKEN = /[\p{Cc}\p{Cs}]/u

/**
 * Check a prefix or object key that is about to reach a policy. Throws
 * `invalid`/`invalid_object_name` with a message naming the rule broken
 * (never echoing the name itself back, which may hold control characters).
 */
export function validatePolicyPath (resource: ScopeResource): void {
  const path = resource.kind === 'prefix' ? resource.prefix : resource.key
  const reject = (why: string): never => { throw invalid('invalid_object_name', `the ${resource.kind === 'prefix' ? 'prefix' : 'object name'} ${why}`) }
  if (path.length === 0) reject('is empty')
  if (Buffer.byteLength(path, 'utf8') > MAX_KEY_BYTES) reject(`is longer than ${MAX_KEY_BYTES} bytes`)
  if (FORBIDDEN.test(path)) reject('contains one of * ? $ { } \\')
  if (CONTROL_OR_BROKEN.test(path)) reject('contains a control character')
  if (path.startsWith('/')) reject('starts with /')
  if (resource.kind === 'prefix' && !path.endsWith('/')) reject('must end with /')
  if (resource.kind === 'object' && path.endsWith('/')) reject('must not end with /')
  const segments = path.split('/')
  // A prefix ends in '/', so its last split element is the empty string after it.
  if (resource.kind === 'prefix') segments.pop()
  for (const segment of segments) {
    if (segment === '') reject('contains an empty segment (//)')
    if (segment === '.' || segment === '..') reject('contains a . or .. segment')
  }
}

/** Bucket names are operator configuration, but they reach the policy too. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * The one renderer of policy resources. A prefix gets exactly one trailing
 * `*` right after its final `/`; an object gets none.
 */
export function policyResource (dialect: PolicyDialect, bucket: string, resource: ScopeResource): string {
  if (!BUCKET.test(bucket)) throw new DomainError('invalid_bucket')
  validatePolicyPath(resource)
  const path = resource.kind === 'prefix' ? `${resource.prefix}*` : resource.key
  switch (dialect) {
    case 'ram': return `acs:oss:*:*:${bucket}/${path}`
    case 'iam': return `arn:aws:s3:::${bucket}/${path}`
    case 'obs': return `obs:*:*:object:${bucket}/${path}`
  }
}

/**
 * Vendor actions per dialect. In all three, `PutObject` also authorises
 * InitiateMultipartUpload, UploadPart and CompleteMultipartUpload (OSS RAM,
 * S3 IAM and OBS action references); multipart adds only abort and list-parts,
 * and implies put because a multipart upload is a put.
 */
const ACTIONS: Record<PolicyDialect, Record<StorageAction, readonly string[]>> = {
  ram: {
    put: ['oss:PutObject'],
    get: ['oss:GetObject'],
    delete: ['oss:DeleteObject'],
    multipart: ['oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'],
  },
  iam: {
    put: ['s3:PutObject'],
    get: ['s3:GetObject'],
    delete: ['s3:DeleteObject'],
    multipart: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
  },
  obs: {
    put: ['obs:object:PutObject'],
    get: ['obs:object:GetObject'],
    delete: ['obs:object:DeleteObject'],
    multipart: ['obs:object:PutObject', 'obs:object:AbortMultipartUpload', 'obs:object:ListMultipartUploadParts'],
  },
}

const VERSION: Record<PolicyDialect, string> = { ram: '1', iam: '2012-10-17', obs: '1.1' }

export function policyActions (dialect: PolicyDialect, actions: readonly StorageAction[]): string[] {
  const normalized = normalizeActions(actions)
  if (normalized.length === 0) throw invalid('no_actions')
  return [...new Set(normalized.flatMap((a) => ACTIONS[dialect][a]))]
}

export interface PolicyDocument {
  Version: string
  Statement: Array<{ Effect: 'Allow', Action: string[], Resource: string[] }>
}

export function policyDocument (scope: Scope, dialect: PolicyDialect = dialectFor(scope.target.provider)): PolicyDocument {
  return {
    Version: VERSION[dialect],
    Statement: [{
      Effect: 'Allow',
      Action: policyActions(dialect, scope.actions),
      Resource: [policyResource(dialect, scope.target.bucket, scope.resource)],
    }],
  }
}

/**
 * The session policy as sent upstream (compact JSON), refused with
 * `misconfigured`/`policy_too_large` when the vendor would reject its length.
 */
export function renderPolicy (scope: Scope, dialect: PolicyDialect = dialectFor(scope.target.provider)): string {
  const json = JSON.stringify(policyDocument(scope, dialect))
  if (json.length > POLICY_MAX_CHARS[dialect]) {
    throw new DomainError('policy_too_large',
      `the session policy for this scope is ${json.length} characters; the ${dialect} limit is ${POLICY_MAX_CHARS[dialect]}`)
  }
  return json
}

/** Workspace's `policy` response field: OBS dialect, lower-camel actions, `statement` an object. */
export interface PolicyDescription {
  version: '1.1'
  statement: { effect: 'Allow', action: string[], resource: string[] }
}

/** Descriptions are asked for on every Workspace call; a few thousand distinct ones cover any live set. */
const DESCRIPTIONS_KEPT = 4096
const descriptions = new Map<string, PolicyDescription>()

/** The same description for the same grant, built once (callers must not mutate it). */
export function describePolicy (scope: Scope): PolicyDescription {
  // As scopeKey (src/domain/scope.ts): the bucket length-prefixed, the resource last.
  const bucket = scope.target.bucket
  const key = `${bucket.length}:${bucket}${actionBits(scope.actions)}|${resourceKey(scope.resource)}`
  let description = descriptions.get(key)
  if (description === undefined) {
    if (descriptions.size >= DESCRIPTIONS_KEPT) descriptions.clear()
    description = buildDescription(scope)
    descriptions.set(key, description)
  }
  return description
}

function buildDescription (scope: Scope): PolicyDescription {
  const doc = policyDocument(scope, 'obs')
  const statement = doc.Statement[0]!
  return {
    version: '1.1',
    statement: {
      effect: 'Allow',
      // obs:object:PutObject → obs:object:putObject, as the vendor page shows.
      action: statement.Action.map((a) => a.replace(/:([A-Z])([^:]*)$/, (_m, first: string, rest: string) => `:${first.toLowerCase()}${rest}`)),
      resource: statement.Resource,
    },
  }
}
