import t from 'tap'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'
import { freePort } from './helpers/net.js'

function captureLog () {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done() } })
  return { stream, text: () => lines.join('\n'), lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

t.test('first start generates the secrets, a restart reuses them; health answers; close is graceful', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-server-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const config = loadConfig({ STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: '0' })

  const firstLog = captureLog()
  const first = await startServer(config, { logStream: firstLog.stream })
  const tokenPath = join(dir, 'admin-token')
  const keyPath = join(dir, 'master-key')
  const token = (await readFile(tokenPath, 'utf8')).trim()
  const masterKey = (await readFile(keyPath, 'utf8')).trim()
  t.match(token, /^[A-Za-z0-9_-]{43}$/, '256-bit token')
  t.equal(Buffer.from(masterKey, 'base64').length, 32, '32-byte master key')
  t.equal((await stat(tokenPath)).mode & 0o777, 0o600, 'admin-token is 0600')
  t.equal((await stat(keyPath)).mode & 0o777, 0o600, 'master-key is 0600')

  const generatedPaths = firstLog.lines().filter((l) => l.msg === 'generated a secret into the data directory (mode 0600)').map((l) => l.path)
  t.same(generatedPaths.sort(), [tokenPath, keyPath].sort(), 'the log names both generated files')
  t.ok(firstLog.lines().some((l) => l.path === tokenPath && l.msg === 'the admin token is in this file'), 'the log says where the token is')
  t.notOk(firstLog.text().includes(token), 'the log never shows the token')
  t.notOk(firstLog.text().includes(masterKey), 'the log never shows the master key')

  t.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.same(await (await fetch(`${first.url}/healthz`)).json(), { status: 'ok' })
  t.same(await (await fetch(`${first.url}/readyz`)).json(), { status: 'ready' })
  const created = await fetch(`${first.url}/admin/v1/projects`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'survives' })
  })
  t.equal(created.status, 201, 'the generated token opens the admin API')

  // An in-flight request finishes while the server closes. Close only once the server has it:
  // a request still on its way when closing starts is not in flight, and may meet a closed socket.
  const arrived = new Promise((resolve) => first.app.server.once('request', resolve))
  const inFlight = fetch(`${first.url}/admin/v1/projects`, { headers: { authorization: `Bearer ${token}` } })
  await arrived
  await first.close()
  t.equal((await inFlight).status, 200, 'the in-flight request was answered')
  await t.rejects(fetch(`${first.url}/healthz`), 'no longer accepting connections')
  await t.rejects(first.app.store.ping(), 'the store is closed')

  // The HTTP port taken: one line naming the variable, and the store (and its lock) closed again.
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  const takenPort = (taken.address() as AddressInfo).port
  await t.rejects(startServer(loadConfig({ STSGATE_DATA_DIR: dir, STSGATE_PORT: String(takenPort), STSGATE_MQTT_PORT: '0' }), { logStream: captureLog().stream }),
    { message: `HTTP port ${takenPort} on 127.0.0.1 is already in use (is another stsgate running?): set STSGATE_PORT to a free port` })
  await new Promise((resolve) => taken.close(resolve))

  const secondLog = captureLog()
  const mqttPort = await freePort()
  const second = await startServer(loadConfig({ STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: String(mqttPort) }), { logStream: secondLog.stream })
  t.teardown(() => second.close())
  const messages = secondLog.lines().map((l) => String(l.msg))
  t.same(messages.filter((m, i) => messages.indexOf(m) !== i), [], `each start-up line once (${messages.join(' | ')})`)
  t.ok(secondLog.lines().some((l) => l.msg === 'embedded MQTT broker listening' && l.url === `mqtt://127.0.0.1:${mqttPort}`), 'the broker line names its address')
  t.equal((await readFile(tokenPath, 'utf8')).trim(), token, 'the token file is unchanged')
  t.equal((await readFile(keyPath, 'utf8')).trim(), masterKey, 'the master key file is unchanged')
  t.notOk(secondLog.lines().some((l) => l.msg === 'generated a secret into the data directory (mode 0600)'), 'nothing generated on restart')
  const list = await fetch(`${second.url}/admin/v1/projects`, { headers: { authorization: `Bearer ${token}` } })
  t.same((await list.json() as { projects: Array<{ name: string }> }).projects.map((p) => p.name), ['survives'], 'same token, same data')
  t.same(await (await fetch(`${second.url}/readyz`)).json(), { status: 'ready' })
})

t.test('a configured admin token is used and no file is written for it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-server-env-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const adminToken = 'configured-admin-token-0123456789abcdef'
  const log = captureLog()
  const server = await startServer(loadConfig({ STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: '0', STSGATE_ADMIN_TOKEN: adminToken }), { logStream: log.stream })
  t.teardown(() => server.close())
  await t.rejects(stat(join(dir, 'admin-token')), { code: 'ENOENT' })
  t.equal((await fetch(`${server.url}/admin/v1/projects`, { headers: { authorization: `Bearer ${adminToken}` } })).status, 200)
  t.notOk(log.text().includes(adminToken))
})
