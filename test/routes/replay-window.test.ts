import t from 'tap'
import { MemoryReplayGuard } from '../../src/auth/replay.js'
import { FingerprintTable } from '../../src/auth/fingerprint-table.js'
import { ADMIN_TOKEN, buildTestApp } from '../helpers/app.js'
import { handSign } from '../auth/huawei-fixtures.js'
import { createEdasProject, handSignRoa } from './edas-fixtures.js'

/**
 * The in-memory replay window at its memory budget, through the routes: a
 * signed request that cannot be remembered is refused with the contract's
 * 503 (never let through unrecorded), the refusal is counted in /metrics,
 * and token requests, which keep no replay state, still work.
 */

// The smallest budget: one full first table, then nothing more fits. One
// bucket for every request of the test (a bucket ending in 2033), so a slow run
// that crosses a minute boundary does not open a second table and fill early.
const replay = new MemoryReplayGuard(Date.now, { budgetBytes: FingerprintTable.INITIAL_SLOTS * 8, bucketMs: 1e12 })
const h = await buildTestApp(t, { replay })
const project = await createEdasProject(h)

const edas = async (): Promise<{ status: number, body: any }> => {
  const signed = handSignRoa(project)
  const res = await h.app.inject({ method: 'GET', url: signed.url, headers: signed.headers })
  return { status: res.statusCode, body: res.json() }
}

t.test('EDAS: 200 while there is room, then 503 ServiceUnavailable; a replay is still caught', async (t) => {
  const first = handSignRoa(project)
  t.equal((await h.app.inject({ method: 'GET', url: first.url, headers: first.headers })).statusCode, 200)
  let answer = await edas()
  while (answer.status === 200) answer = await edas()
  t.equal(answer.status, 503)
  t.match(answer.body, { Code: 'ServiceUnavailable', RequestId: String })
  t.same(Object.keys(answer.body).sort(), ['Code', 'HostId', 'Message', 'RequestId'])
  t.equal(replay.entries, Math.floor(FingerprintTable.INITIAL_SLOTS * FingerprintTable.MAX_LOAD), 'the window is full')
  const again = await h.app.inject({ method: 'GET', url: first.url, headers: first.headers })
  t.equal(again.statusCode, 400, 'the first request, sent again, is still refused as a replay')
  t.equal(again.json().Code, 'SignatureNonceUsed')
  t.ok(h.logs.some((line) => line.code === 'replay_window_full' || JSON.stringify(line).includes('replay_window_full')), 'the refusal is logged with its code')
})

t.test('Workspace (SDK-HMAC-SHA256): the contract\'s 503; X-Auth-Token still vends', async (t) => {
  const key = (await h.admin('POST', `/projects/${project.projectId}/access-keys`)).body
  const token = (await h.admin('POST', `/projects/${project.projectId}/tokens`, { ttl_seconds: 600 })).body.token
  const target = (await h.admin('POST', `/projects/${project.projectId}/targets`, {
    name: 'wks', provider: 'local', bucket: 'wks-replay-window', region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com'
  })).body
  t.equal((await h.admin('PUT', `/projects/${project.projectId}/bindings`, { workspace: { target_id: target.target_id } })).status, 200)
  const url = `/v1/${project.projectId}/app-warehouse/action/authorize`
  const body = JSON.stringify({ app_file_name: 'Postman.exe' })
  const signed = handSign({ url, host: 'localhost:80', body, ak: key.access_key_id, sk: key.secret_access_key })
  const res = await h.app.inject({ method: 'POST', url, headers: signed.headers, payload: signed.body })
  t.equal(res.statusCode, 503)
  t.same(res.json(), { error_code: 'WKS.00503002', error_msg: 'Service unavailable: too many signed requests are being remembered; retry in a minute' })
  const viaToken = await h.app.inject({ method: 'POST', url, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, payload: body })
  t.equal(viaToken.statusCode, 200, 'a token request keeps no replay state and is served')
})

t.test('/metrics reports the window and its refusals', async (t) => {
  const text = (await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  t.equal(value('stsgate_replay_window_entries'), replay.entries)
  t.equal(value('stsgate_replay_window_bytes'), FingerprintTable.INITIAL_SLOTS * 8)
  t.equal(value('stsgate_replay_window_budget_bytes'), FingerprintTable.INITIAL_SLOTS * 8)
  t.equal(value('stsgate_replay_window_refusals_total'), replay.refusals)
  t.ok(replay.refusals >= 2, 'both refusals counted')
})
