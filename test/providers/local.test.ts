import t from 'tap'
import { createLocalProvider, introspectLocalCredential } from '../../src/providers/local.js'
import { MasterKey } from '../../src/keys.js'
import { renderPolicy } from '../../src/credentials/policy.js'
import { makeScope } from '../credentials/scope-fixtures.js'

const masterKey = new MasterKey(Buffer.alloc(32, 1))
const now = Date.parse('2026-03-01T00:00:00Z')

t.test('mints a self-describing credential that introspection accepts until it expires', async (t) => {
  const provider = createLocalProvider({ masterKey, now: () => now })
  const scope = makeScope({ durationSeconds: 900 })
  const policy = renderPolicy(scope)
  const cred = await provider.mint(scope, policy)
  t.match(cred.accessKeyId, /^STS\./)
  t.equal(cred.expiresAt.getTime(), now + 900_000)
  const seen = introspectLocalCredential(masterKey, cred.accessKeyId, cred.securityToken, now + 1000)
  t.same(seen, { active: true, expiresAt: cred.expiresAt, policy, projectId: 'proj-1', targetId: 'tgt-1' })
  t.not(cred.securityToken.includes(cred.secret), true, 'the secret is not in the token')
  t.same(introspectLocalCredential(masterKey, cred.accessKeyId, cred.securityToken, now + 900_000), { active: false, expiresAt: cred.expiresAt })
})

t.test('forged, foreign and mismatched tokens are inactive', async (t) => {
  const provider = createLocalProvider({ masterKey })
  const cred = await provider.mint(makeScope(), '{}')
  const other = await provider.mint(makeScope(), '{}')
  const [body, mac] = cred.securityToken.split('.') as [string, string]
  const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), policy: '{"all":true}' })).toString('base64url')
  t.same(introspectLocalCredential(masterKey, cred.accessKeyId, `${tampered}.${mac}`), { active: false })
  t.same(introspectLocalCredential(masterKey, other.accessKeyId, cred.securityToken), { active: false }, 'bound to its access key id')
  t.same(introspectLocalCredential(new MasterKey(Buffer.alloc(32, 2)), cred.accessKeyId, cred.securityToken), { active: false })
  for (const junk of ['', 'abc', 'a.b.c', '.x', `${body}.`]) t.same(introspectLocalCredential(masterKey, cred.accessKeyId, junk), { active: false })
  const notJson = Buffer.from('not json').toString('base64url')
  t.same(introspectLocalCredential(masterKey, 'x', `${notJson}.${masterKey.mac('local-sts:v1', notJson).toString('base64url')}`), { active: false })
})

t.test('durations outside 900–86400 s are refused', async (t) => {
  const provider = createLocalProvider({ masterKey })
  await t.rejects(provider.mint(makeScope({ durationSeconds: 60 }), '{}'), { kind: 'misconfigured', code: 'invalid_duration' })
})
