import t from 'tap'
import fc from 'fast-check'
import {
  describePolicy, dialectFor, policyActions, policyResource, renderPolicy, validatePolicyPath, type PolicyDialect,
} from '../../src/credentials/policy.js'
import { scopeKey, type StorageAction } from '../../src/domain/scope.js'
import { makeScope, makeTarget } from './scope-fixtures.js'

const PREFIX: Record<PolicyDialect, string> = { ram: 'acs:oss:*:*:', iam: 'arn:aws:s3:::', obs: 'obs:*:*:object:' }
const dialects: PolicyDialect[] = ['ram', 'iam', 'obs']

t.test('renders each vendor dialect exactly', async (t) => {
  const aliyun = makeScope({ target: makeTarget({ provider: 'aliyun', bucket: 'edas-bj' }), resource: { kind: 'prefix', prefix: 'release-pkg/p1/' }, actions: ['put'] })
  t.equal(renderPolicy(aliyun), '{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:edas-bj/release-pkg/p1/*"]}]}')
  const aws = makeScope({ target: makeTarget({ provider: 'aws', bucket: 'media' }), resource: { kind: 'prefix', prefix: 'a/' }, actions: ['get', 'put'] })
  t.equal(renderPolicy(aws), '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::media/a/*"]}]}')
  const obs = makeScope({ target: makeTarget({ provider: 'huawei', bucket: 'wks-app' }), resource: { kind: 'object', key: 'file/p/Postman.exe' }, actions: ['put', 'delete'] })
  t.equal(renderPolicy(obs), '{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["obs:object:PutObject","obs:object:DeleteObject"],"Resource":["obs:*:*:object:wks-app/file/p/Postman.exe"]}]}')
  t.equal(dialectFor('local'), 'iam')
})

t.test('multipart adds abort and list-parts per dialect, and implies put', async (t) => {
  t.same(policyActions('ram', ['multipart']), ['oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'])
  t.same(policyActions('iam', ['put', 'multipart']), ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'])
  t.same(policyActions('obs', ['multipart', 'get']), ['obs:object:GetObject', 'obs:object:PutObject', 'obs:object:AbortMultipartUpload', 'obs:object:ListMultipartUploadParts'])
  t.throws(() => policyActions('ram', []), { code: 'no_actions' })
})

t.test('Workspace description: OBS dialect, lower-camel actions, statement as an object', async (t) => {
  const scope = makeScope({ target: makeTarget({ provider: 'huawei', bucket: 'wks-app-test123456' }), resource: { kind: 'object', key: 'file/Postman.exe' }, actions: ['put', 'delete'] })
  t.same(describePolicy(scope), {
    version: '1.1',
    statement: { effect: 'Allow', action: ['obs:object:putObject', 'obs:object:deleteObject'], resource: ['obs:*:*:object:wks-app-test123456/file/Postman.exe'] },
  })
})

t.test('names that could widen a policy are refused', async (t) => {
  const bad = [
    'a/*/', 'a?/', 'a$/', 'a{x}/', 'a}/', 'a\\b/', 'a\u0000/', 'a\n/', 'a\u007f/', 'a\u0085/', 'a\ud800/',
    '/a/', 'a//b/', './', 'a/../', 'a/./', 'a', '', 'a/..',
  ]
  for (const prefix of bad) t.throws(() => validatePolicyPath({ kind: 'prefix', prefix }), { code: 'invalid_object_name' }, JSON.stringify(prefix))
  for (const key of ['a/', '..', 'a/../b', 'x*', '/x', 'a//b', '']) {
    t.throws(() => validatePolicyPath({ kind: 'object', key }), { code: 'invalid_object_name' }, JSON.stringify(key))
  }
  t.throws(() => validatePolicyPath({ kind: 'object', key: 'x'.repeat(1025) }), { code: 'invalid_object_name' })
  t.doesNotThrow(() => validatePolicyPath({ kind: 'object', key: 'file/p/Setup 安装程序 (1).exe' }))
  t.doesNotThrow(() => validatePolicyPath({ kind: 'prefix', prefix: 'a.b/..c/d-e_f/' }))
  t.throws(() => policyResource('ram', 'Bad_Bucket', { kind: 'prefix', prefix: 'a/' }), { kind: 'misconfigured', code: 'invalid_bucket' })
})

t.test('policies over the vendor limit are refused as misconfigured before calling out', async (t) => {
  const longPrefix = `${'k'.repeat(200)}/`.repeat(5)
  const aliyun = makeScope({ target: makeTarget({ provider: 'aliyun' }), resource: { kind: 'prefix', prefix: longPrefix } })
  t.throws(() => renderPolicy(aliyun), { kind: 'misconfigured', code: 'policy_too_large' })
  const aws = makeScope({ target: makeTarget({ provider: 'aws' }), resource: { kind: 'prefix', prefix: longPrefix } })
  t.doesNotThrow(() => renderPolicy(aws), 'the same scope fits the 2048-character AWS limit')
})

t.test('property: no input escapes its prefix', async (t) => {
  // Names drawn from a hostile alphabet: wildcards, variables, dots, slashes, controls, unicode.
  const hostile = fc.array(fc.constantFrom('a', 'Z', '0', '.', '..', '/', '//', '*', '?', '$', '{', '}', '\\', '\u0000', '\n', ' ', 'é', '\u202e', '%2F', '-'), { maxLength: 12 })
    .map((parts) => parts.join(''))
  fc.assert(fc.property(fc.constantFrom(...dialects), hostile, fc.boolean(), (dialect, name, asPrefix) => {
    const resource = asPrefix ? { kind: 'prefix' as const, prefix: name } : { kind: 'object' as const, key: name }
    let rendered: string
    try {
      rendered = policyResource(dialect, 'bkt', resource)
    } catch (err) {
      return (err as { code?: string }).code === 'invalid_object_name'
    }
    const head = `${PREFIX[dialect]}bkt/`
    if (!rendered.startsWith(head)) return false
    const path = rendered.slice(head.length)
    const stars = [...path].filter((c) => c === '*').length
    if (asPrefix) {
      // Exactly one '*', last, right after a '/', and the rest is the name verbatim.
      if (stars !== 1 || !path.endsWith('/*') || path.slice(0, -1) !== name) return false
    } else if (stars !== 0 || path !== name) return false
    const segments = path.replace(/\*$/, '').split('/')
    if (asPrefix) segments.pop()
    return segments.every((s) => s !== '' && s !== '.' && s !== '..') && !/[?${}\\\p{Cc}]/u.test(path)
  }), { numRuns: 5000 })
})

t.test('property: rendered policies parse back and carry only the scope\'s resource', async (t) => {
  const segment = fc.stringMatching(/^[A-Za-z0-9 ._-]{1,8}$/).filter((s) => s !== '.' && s !== '..')
  fc.assert(fc.property(fc.constantFrom('aliyun', 'aws', 'huawei', 'local' as const), fc.array(segment, { minLength: 1, maxLength: 4 }), (provider, segs) => {
    const scope = makeScope({ target: makeTarget({ provider }), resource: { kind: 'prefix', prefix: `${segs.join('/')}/` } })
    const doc = JSON.parse(renderPolicy(scope)) as { Statement: Array<{ Resource: string[] }> }
    return doc.Statement.length === 1 && doc.Statement[0]!.Resource.length === 1 &&
      doc.Statement[0]!.Resource[0]!.endsWith(`test-bucket/${segs.join('/')}/*`)
  }), { numRuns: 500 })
})

t.test('scope keys are stable across action order and distinguish every part', async (t) => {
  const base = makeScope({ actions: ['get', 'put'] })
  t.equal(scopeKey(base), scopeKey(makeScope({ actions: ['put', 'get', 'put'] })))
  const variants = [
    makeScope({ actions: ['put'] }),
    makeScope({ actions: ['get', 'put'], durationSeconds: 900 }),
    makeScope({ actions: ['get', 'put'], resource: { kind: 'object', key: 'uploads/' .slice(0, -1) } }),
    makeScope({ actions: ['get', 'put'], resource: { kind: 'prefix', prefix: 'other/' } }),
    makeScope({ actions: ['get', 'put'], target: makeTarget({ version: 2 }) }),
    makeScope({ actions: ['get', 'put'], target: makeTarget({ id: 'tgt-9' }) }),
    makeScope({ actions: ['get', 'put'], projectId: 'proj-9' }),
  ]
  const keys = new Set([scopeKey(base), ...variants.map(scopeKey)])
  t.equal(keys.size, variants.length + 1)
})

t.test('two scopes share a key exactly when they are the same grant, whatever characters ids and paths hold', async () => {
  // Characters the key itself uses as framing (digits, `:`, `|`, the kind letters), to provoke a collision.
  const text = fc.string({ unit: fc.constantFrom('1', '2', ':', '|', 'p', 'o', '/'), maxLength: 6 })
  const actions = fc.subarray(['put', 'get', 'delete', 'multipart'] as const, { minLength: 1 })
  const scope = fc.record({
    projectId: text, targetId: text, version: fc.integer({ min: 1, max: 12 }), kind: fc.constantFrom('prefix', 'object'),
    path: text, actions, duration: fc.constantFrom(900, 3600, 36000)
  })
  const build = (s: { projectId: string, targetId: string, version: number, kind: string, path: string, actions: readonly StorageAction[], duration: number }) =>
    makeScope({
      projectId: s.projectId, target: makeTarget({ id: s.targetId, version: s.version }), actions: s.actions, durationSeconds: s.duration,
      resource: s.kind === 'prefix' ? { kind: 'prefix', prefix: s.path } : { kind: 'object', key: s.path }
    })
  const identity = (s: { actions: readonly StorageAction[] } & Record<string, unknown>) => JSON.stringify({ ...s, actions: [...new Set(s.actions)].sort() })
  fc.assert(fc.property(scope, scope, (a, b) => (scopeKey(build(a)) === scopeKey(build(b))) === (identity(a) === identity(b))), { numRuns: 5000 })
})
