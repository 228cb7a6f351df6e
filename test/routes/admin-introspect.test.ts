import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('introspection tells a genuine local credential from a forged or foreign one', async (t) => {
  const { admin, app } = await buildTestApp(t)
  const project = (await admin('POST', '/projects', { name: 'p' })).body
  const target = (await admin('POST', `/projects/${project.project_id}/targets`, {
    name: 'dev', provider: 'local', bucket: 'dev-bucket', region: 'local', endpoint: 'oss-local.example.com'
  })).body
  await admin('PUT', `/projects/${project.project_id}/bindings`, { edas: { target_id: target.target_id } })
  const binding = await app.bindings.resolve(project.project_id, 'edas')
  const credential = await app.credentials.vend({
    target: binding!.target, projectId: project.project_id, resource: { kind: 'prefix', prefix: binding!.prefix },
    actions: ['put', 'get'], durationSeconds: 3600
  })

  const genuine = await admin('POST', '/credentials/introspect', { access_key_id: credential.accessKeyId, security_token: credential.securityToken })
  t.equal(genuine.status, 200)
  t.equal(genuine.body.active, true)
  t.equal(genuine.body.project_id, project.project_id)
  t.equal(genuine.body.target_id, target.target_id)
  t.equal(genuine.body.expires_at, credential.expiresAt.toISOString())
  t.same(genuine.body.policy.Statement[0].Resource, [`arn:aws:s3:::dev-bucket/release-pkg/${project.project_id}/*`])

  const otherKey = await admin('POST', '/credentials/introspect', { access_key_id: 'STS.someone-else', security_token: credential.securityToken })
  t.same(otherKey.body, { active: false }, 'a token presented with another access key id is not genuine')
  const [body, mac] = credential.securityToken.split('.')
  const forged = await admin('POST', '/credentials/introspect', {
    access_key_id: credential.accessKeyId, security_token: `${body}x.${mac}`
  })
  t.same(forged.body, { active: false }, 'a changed token is not genuine and says nothing more')
  const garbage = await admin('POST', '/credentials/introspect', { access_key_id: 'a', security_token: 'not-a-token' })
  t.same(garbage.body, { active: false })

  const unauthenticated = await app.inject({ method: 'POST', url: '/admin/v1/credentials/introspect', payload: { access_key_id: 'a', security_token: 'b' } })
  t.equal(unauthenticated.statusCode, 401)
  const invalid = await admin('POST', '/credentials/introspect', { access_key_id: 'a' })
  t.equal(invalid.status, 400)
  t.equal(invalid.body.error, 'validation')
})
