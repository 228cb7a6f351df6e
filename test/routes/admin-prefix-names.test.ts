import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { validatePolicyPath } from '../../src/credentials/policy.js'

/**
 * A prefix the admin API accepts is one the vend accepts: the same name rules
 * (no control characters — C0, DEL, C1 such as U+0085 — no lone surrogates,
 * no `* ? $ { }`, no `.`/`..` or empty segments), refused when the operator
 * sets it, with 400 naming the field, instead of failing every later vend
 * with a message blaming the caller's valid file name.
 */
const BAD = ['a\u0085/', 'a\u0080/', 'a\u009f/', 'a\u0007/', 'a\u007f/', 'a\ud800/', 'a\udfff/', 'a*/', 'a/../', '//', 'a//b/']

t.test('the admin API refuses prefixes the vend would refuse, for every prefix field', async (t) => {
  const app = await buildTestApp(t)
  const { project_id: p } = (await app.admin('POST', '/projects', { name: 'names' })).body
  const { target_id: target } = (await app.admin('POST', `/projects/${p}/targets`, { name: 'l', provider: 'local', bucket: 'media-bucket', region: 'local', endpoint: 'http://127.0.0.1:9000' })).body
  await app.admin('POST', `/projects/${p}/gateways`, { sn: 'DOCKN', target_id: target })
  for (const prefix of BAD) {
    t.throws(() => validatePolicyPath({ kind: 'prefix', prefix }), { code: 'invalid_object_name' }, `the vend refuses ${JSON.stringify(prefix)}`)
    const attempts: Array<[string, string, string, object]> = [
      ['edas key_prefix', 'PUT', `/projects/${p}/bindings`, { edas: { target_id: target, key_prefix: prefix } }],
      ['workspace directory', 'PUT', `/projects/${p}/bindings`, { workspace: { target_id: target, directory: prefix } }],
      ['gateway object_key_prefix (create)', 'POST', `/projects/${p}/gateways`, { sn: 'DOCKX', target_id: target, object_key_prefix: prefix }],
      ['gateway object_key_prefix (update)', 'PATCH', `/projects/${p}/gateways/DOCKN`, { object_key_prefix: prefix }]
    ]
    for (const [what, method, path, body] of attempts) {
      const res = await app.admin(method, path, body)
      t.equal(res.status, 400, `${what} ${JSON.stringify(prefix)}`)
      t.equal(res.body.error, 'validation')
      t.match(res.body.message, /key_prefix|directory|object_key_prefix/, 'the message names the field')
    }
  }
  t.same((await app.admin('GET', `/projects/${p}/bindings`)).body, {}, 'no binding was made')
  t.same((await app.admin('GET', `/projects/${p}/gateways`)).body.gateways.map((g: any) => g.sn), ['DOCKN'], 'no gateway was made')
  const good = await app.admin('PUT', `/projects/${p}/bindings`, { workspace: { target_id: target, directory: 'files/\u00e9t\u00e9/' } })
  t.equal(good.status, 200, 'printable non-ASCII is still fine')
})
