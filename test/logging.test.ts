import t from 'tap'
import { ADMIN_TOKEN, buildTestApp, redactedNamesIn } from './helpers/app.js'
import { SECRET_CONTAINERS, SECRET_FIELDS } from '../src/app.js'

t.test('no secret, token or password reaches the log, even at trace level', async (t) => {
  const app = await buildTestApp(t, { env: { STSGATE_LOG_LEVEL: 'trace' } })
  const secrets: string[] = [ADMIN_TOKEN]
  const inject = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    app.app.inject({ method: method as 'GET', url, headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' }, payload: payload === undefined ? undefined : JSON.stringify(payload) })

  const project = (await app.admin('POST', '/projects', { name: 'logged' })).body.project_id
  const ak = await app.admin('POST', `/projects/${project}/access-keys`)
  secrets.push(ak.body.secret_access_key)
  const token = await app.admin('POST', `/projects/${project}/tokens`, { ttl_seconds: 600 })
  secrets.push(token.body.token)
  const device = await app.admin('POST', `/projects/${project}/devices`, { device_id: 'dev-log', secret: 'chosenDeviceSecret1', secondary_secret: 'chosenDeviceSecret2' })
  secrets.push('chosenDeviceSecret1', 'chosenDeviceSecret2')
  t.equal(device.status, 201)
  const generated = await app.admin('POST', `/projects/${project}/devices`)
  secrets.push(generated.body.secret)
  const target = await app.admin('POST', `/projects/${project}/targets`, {
    name: 'oss', provider: 'aliyun', bucket: 'oss-bucket', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com',
    upstream: { role_arn: 'acs:ram::1:role/r', access_key_id: 'LTAIlogged', access_key_secret: 'upstreamSecretForLogs' }
  })
  secrets.push('upstreamSecretForLogs')
  const local = await app.admin('POST', `/projects/${project}/targets`, { name: 'l', provider: 'local', bucket: 'media-bucket', region: 'local', endpoint: '127.0.0.1' })
  t.equal(target.status, 201)
  const gateway = await app.admin('POST', `/projects/${project}/gateways`, { sn: 'DOCKLOG', target_id: local.body.target_id, password: 'chosenDockPassword' })
  t.equal(gateway.status, 201)
  secrets.push('chosenDockPassword')

  // Secrets in headers and bodies of failing requests: wrong tokens, invalid and malformed bodies.
  await inject('GET', '/admin/v1/projects', { authorization: 'Bearer wrongButSecretAdminToken' })
  secrets.push('wrongButSecretAdminToken')
  await inject('GET', '/admin/v1/projects', { 'x-auth-token': token.body.token, 'x-security-token': 'securityTokenInHeader' })
  secrets.push('securityTokenInHeader')
  await inject('POST', `/admin/v1/projects/${project}/devices`, { authorization: `Bearer ${ADMIN_TOKEN}` }, { device_id: 'dev-bad', secret: 'badSecret!!with-bang' })
  secrets.push('badSecret!!with-bang')
  await app.app.inject({ method: 'POST', url: `/admin/v1/projects/${project}/gateways`, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, payload: '{"password":"malformedBodyPassword",' })
  secrets.push('malformedBodyPassword')
  await inject('POST', `/admin/v1/projects/${project}/targets`, { authorization: `Bearer ${ADMIN_TOKEN}` },
    { name: 'bad', provider: 'aws', bucket: 'b-1', region: 'r', endpoint: 'h', upstream: { role_arn: 'nope', access_key_id: 'x', secret_access_key: 'rejectedUpstreamSecret' } })
  secrets.push('rejectedUpstreamSecret')

  const text = app.logText()
  t.equal(app.logs.filter((l) => typeof l.statusCode === 'number').length, 13, 'every request was logged, one line each')
  t.ok(app.logs.some((l) => l.reqId !== undefined), 'log lines carry the request id')
  for (const secret of secrets) t.notOk(text.includes(secret), `the log does not contain ${secret.slice(0, 6)}…`)
})

t.test('redaction covers secret-bearing fields wherever a log call puts them', async (t) => {
  const app = await buildTestApp(t, { env: { STSGATE_LOG_LEVEL: 'info' } })
  app.app.log.info({
    req: { headers: { authorization: 'Bearer loggedAuthHeader', 'x-auth-token': 'loggedAuthToken', 'x-security-token': 'loggedSecurityToken' } },
    credential: { sk: 'loggedSk', secret: 'loggedSecret', security_token: 'loggedSt', securityToken: 'loggedSt2', AccessKeySecret: 'loggedAks' },
    gateway: { password: 'loggedPassword' },
    result: { token: 'loggedToken', secret_access_key: 'loggedSak' }
  }, 'a log call with secrets in it')
  const text = app.logText()
  t.match(text, /a log call with secrets in it/)
  for (const secret of ['loggedAuthHeader', 'loggedAuthToken', 'loggedSecurityToken', 'loggedSk', 'loggedSecret', 'loggedSt', 'loggedAks', 'loggedPassword', 'loggedToken', 'loggedSak']) {
    t.notOk(text.includes(secret), `${secret} is redacted`)
  }
  t.match(text, /\[redacted\]/)
})

t.test('every secret field is redacted at the top level and under every container the paths name', async (t) => {
  const app = await buildTestApp(t, { env: { STSGATE_LOG_LEVEL: 'info' } })
  const planted: string[] = []
  const plant = (where: string): string => { const value = `planted-${where}-${planted.length}`; planted.push(value); return value }
  const line: Record<string, unknown> = {}
  for (const field of SECRET_FIELDS) line[field] = plant(field)
  for (const container of SECRET_CONTAINERS) {
    line[container] = Object.fromEntries(SECRET_FIELDS.map((field) => [field, plant(`${container}.${field}`)]))
  }
  app.app.log.info(line, 'every secret field in every container')
  // Through a request's child logger too, as routes log.
  const res = await app.app.inject({ method: 'GET', url: '/healthz' })
  t.equal(res.statusCode, 200)
  const text = app.logText()
  t.match(text, /every secret field in every container/)
  t.equal(planted.length, SECRET_FIELDS.length * (SECRET_CONTAINERS.length + 1))
  for (const value of planted) t.notOk(text.includes(value), `${value} is redacted`)
})

t.test('one line per vend at info: the request line carries the vend, with no headers in it', async (t) => {
  const app = await buildTestApp(t, { env: { STSGATE_LOG_LEVEL: 'info' } })
  const project = (await app.admin('POST', '/projects', { name: 'one-line' })).body.project_id
  const token = (await app.admin('POST', `/projects/${project}/tokens`, { ttl_seconds: 600 })).body.token as string
  const target = (await app.admin('POST', `/projects/${project}/targets`, { name: 'l', provider: 'local', bucket: 'one-line-bucket', region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com' })).body
  t.equal((await app.admin('PUT', `/projects/${project}/bindings`, { workspace: { target_id: target.target_id } })).status, 200)
  const before = app.logs.length
  const res = await app.app.inject({
    method: 'POST', url: `/v1/${project}/app-warehouse/action/authorize`,
    headers: { 'x-auth-token': token, 'content-type': 'application/json' }, payload: JSON.stringify({ app_file_name: 'one.exe' })
  })
  t.equal(res.statusCode, 200)
  const lines = app.logs.slice(before)
  t.equal(lines.length, 1, 'exactly one line for the vend')
  t.match(lines[0], { msg: 'workspace credential vended', method: 'POST', statusCode: 200, project, from_cache: false, reqId: String })
  t.same(redactedNamesIn(lines[0]!), [], 'no field the redaction watches: the line is written without it')
  t.notOk(app.logText().includes(token), 'the token is not in the log')
  t.notOk(app.logText().includes(res.json().sk), 'the vended secret is not in the log')
})
