import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt from 'mqtt'
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'
import { ADMIN_TOKEN } from './helpers/app.js'
import { postJson, startWorld } from './routes/workspace-world.js'
import { LOCAL_TARGET, randomSn, VENDOR_EXAMPLE_REQUEST } from './mqtt/storage-config-world.js'
import { freePort } from './helpers/net.js'

/** `name{labels} value` lines of a text exposition, as a map from series to value. */
function series (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

/** Every label value in the exposition. */
const labelValues = (text: string): string[] => [...text.matchAll(/[a-z_]+="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!)

t.test('after vends and a failing upstream the exposition counts requests, cache and upstream per provider', async (t) => {
  const world = await startWorld(t, { provider: 'huawei' })
  const authorize = (projectId: string, token: string) =>
    postJson(world, world.authorizePath(projectId), { body: JSON.stringify({ app_file_name: 'Postman.exe' }), headers: { 'x-auth-token': token } })

  t.equal((await authorize(world.projectId, world.token)).status, 200, 'first vend mints')
  t.equal((await authorize(world.projectId, world.token)).status, 200, 'second vend is a cache hit')
  const other = await world.addProject('failing')
  await world.bindWorkspace(other.projectId)
  world.iam!.setMode('fail')
  t.ok((await authorize(other.projectId, other.token)).status >= 500, 'the failing upstream answers 5xx')
  t.ok((await authorize(other.projectId, other.token)).status >= 500, 'and again, from the negative cache')

  const res = await fetch(`${world.endpoint}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await res.text()
  const s = series(text)
  const route = '/v1/:project_id/app-warehouse/action/authorize'
  t.equal(s.get(`stsgate_http_requests_total{method="POST",route="${route}",status_code="200"}`), 2, 'two answered 200, counted under the route template')
  t.ok((s.get(`stsgate_http_request_duration_seconds_count{method="POST",route="${route}",status_code="200"}`) ?? 0) === 2, 'latency histogram per route and status')
  t.equal(s.get('stsgate_credential_cache_hits_total'), 1)
  t.equal(s.get('stsgate_credential_cache_misses_total'), 3, 'one mint, one failure, one answered from the negative cache')
  t.equal(s.get('stsgate_upstream_calls_total{provider="huawei"}'), 2)
  t.equal(s.get('stsgate_upstream_failures_total{provider="huawei"}'), 1)
  t.equal(s.get('stsgate_upstream_calls_total{provider="aliyun"}'), 0, 'every provider has a series, even when never called')
  t.equal(s.get('stsgate_credential_negative_cache_hits_total'), 1)
  t.equal(s.get('stsgate_upstream_duration_seconds_count{provider="huawei",outcome="success"}'), 1)
  t.equal(s.get('stsgate_upstream_duration_seconds_count{provider="huawei",outcome="failure"}'), 1)
  t.equal(s.get('stsgate_credential_cache_entries'), 1)
  t.equal(s.get('stsgate_mqtt_connections'), 0, 'MQTT is off in a bare app')

  const values = labelValues(text)
  t.ok(values.length > 20)
  for (const secret of [world.projectId, other.projectId, world.token, other.token, world.sk, world.ak, ADMIN_TOKEN]) {
    t.notOk(values.some((v) => v.includes(secret)), 'no label value holds a project id, token or key')
    t.notOk(text.includes(secret), 'nor does any other part of the exposition')
  }
})

t.test('GET /metrics without the admin token is 401 in the operator dialect', async (t) => {
  const world = await startWorld(t)
  for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: ADMIN_TOKEN }] as Array<Record<string, string>>) {
    const res = await world.test.app.inject({ method: 'GET', url: '/metrics', headers })
    t.equal(res.statusCode, 401)
    t.match(res.json(), { error: 'unauthenticated' })
    t.notOk(res.body.includes('stsgate_'), 'no metric leaks')
  }
  const unmatched = await world.test.app.inject({ method: 'GET', url: `/nowhere/${world.projectId}` })
  t.equal(unmatched.statusCode, 404)
  const text = (await world.test.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body
  t.match(text, /stsgate_http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1/, 'unrouted requests share one label value')
  t.match(text, /stsgate_http_requests_total\{method="GET",route="\/metrics",status_code="401"\} 3/)
  t.notOk(text.includes(world.projectId))
})

t.test('two apps in one process keep separate registries', async (t) => {
  const a = await startWorld(t)
  const b = await startWorld(t)
  await postJson(a, a.authorizePath(), { body: JSON.stringify({ app_file_name: 'a.exe' }), headers: { 'x-auth-token': a.token } })
  const metricsOf = async (w: typeof a) => series((await w.test.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body)
  t.equal((await metricsOf(a)).get('stsgate_credential_cache_misses_total'), 1)
  t.equal((await metricsOf(b)).get('stsgate_credential_cache_misses_total'), 0)
})


t.test('a running server reports MQTT connections, dock logins by kind and storage_config_get replies by result', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-metrics-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const adminToken = 'configured-admin-token-0123456789abcdef'
  const mqttPort = await freePort()
  const server = await startServer(loadConfig({
    STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: String(mqttPort), STSGATE_ADMIN_TOKEN: adminToken, STSGATE_LOG_LEVEL: 'warn'
  }), { logStream: new Writable({ write (_c, _e, done) { done() } }) })
  t.teardown(() => server.close())
  const admin = async (path: string, body: unknown): Promise<any> => (await fetch(`${server.url}/admin/v1${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
  })).json()
  const { project_id: projectId } = await admin('/projects', { name: 'docks' })
  const { target_id: targetId } = await admin(`/projects/${projectId}/targets`, LOCAL_TARGET)
  const sn = randomSn()
  const gw = await admin(`/projects/${projectId}/gateways`, { sn, target_id: targetId })
  const url = `mqtt://127.0.0.1:${mqttPort}`

  await t.rejects(mqtt.connectAsync(url, { clientId: sn, username: sn, password: 'wrong-password', reconnectPeriod: 0 }), 'a wrong dock password is refused')
  const dock = await mqtt.connectAsync(url, { clientId: sn, username: gw.username, password: gw.password, reconnectPeriod: 0, protocolVersion: 4 })
  t.teardown(() => dock.endAsync(true))
  const reply = new Promise<void>((resolve) => dock.once('message', () => resolve()))
  await dock.subscribeAsync(`thing/product/${sn}/requests_reply`, { qos: 1 })
  await dock.publishAsync(`thing/product/${sn}/requests`, VENDOR_EXAMPLE_REQUEST, { qos: 1 })
  await reply

  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text()
  const s = series(text)
  t.equal(s.get('stsgate_mqtt_connections'), 1)
  t.equal(s.get('stsgate_mqtt_logins_total{kind="gateway",result="accepted"}'), 1)
  t.equal(s.get('stsgate_mqtt_logins_total{kind="gateway",result="refused"}'), 1)
  t.equal(s.get('stsgate_dji_storage_config_replies_total{result="0"}'), 1)
  t.equal(s.get('stsgate_dji_storage_config_requests_total{outcome="received"}'), 1)
  t.equal(s.get('stsgate_upstream_calls_total{provider="local"}'), 1)
  for (const secret of [sn, projectId, gw.password]) t.notOk(text.includes(secret), 'no serial number, project id or password anywhere')
})
