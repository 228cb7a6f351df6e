import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAdminCommand } from '../src/cli/admin-commands.js'
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'
import { freePort } from './helpers/net.js'

function cliFor (env: Record<string, string>) {
  return async (...argv: string[]): Promise<{ code: number, out: string, err: string }> => {
    let out = ''
    let err = ''
    const [command = 'help', ...rest] = argv
    const code = await runAdminCommand(command, rest, { stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } }, env })
    return { code, out, err }
  }
}


t.test('stsgate status reports version, store, cache, upstream and MQTT, as lines or --json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-status-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const mqttPort = await freePort()
  const server = await startServer(loadConfig({ STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: String(mqttPort), STSGATE_LOG_LEVEL: 'silent', STSGATE_MAX_EVENT_LOOP_DELAY_MS: '0' }))
  t.teardown(() => server.close())
  const cli = cliFor({ STSGATE_URL: server.url, STSGATE_DATA_DIR: dir })

  const fresh = await cli('status', '--json')
  t.equal(fresh.code, 0, fresh.err)
  t.match(JSON.parse(fresh.out), {
    version: String, uptime_seconds: Number, store: { kind: 'pglite', ready: true },
    cache: { entries: 0, hits: 0, misses: 0 }, upstream: {}, mqtt: { mode: 'embedded', connections: 0 }
  })

  // One EDAS-style vend through the local issuer, twice: a miss, then a hit.
  const p = JSON.parse((await cli('projects', 'create', 'status', '--json')).out).project_id
  const target = JSON.parse((await cli('targets', 'create', p, '--name', 'dev', '--provider', 'local', '--bucket', 'media-bucket',
    '--region', 'local', '--endpoint', 'oss-local.example.com', '--json')).out).target_id
  t.equal((await cli('bindings', 'set', p, '--workspace-target', target)).code, 0)
  const token = JSON.parse((await cli('tokens', 'create', p, '--json')).out).token
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${server.url}/v1/${p}/app-warehouse/action/authorize`, {
      method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: '{"app_file_name":"a.exe"}'
    })
    t.equal(res.status, 200)
  }

  const human = await cli('status')
  t.equal(human.code, 0, human.err)
  t.match(human.out, /^version: +\d+\.\d+\.\d+$/m)
  t.match(human.out, /^store: +pglite, ready$/m)
  t.match(human.out, /^cache: +1 entries, 1 hits, 1 misses \(hit rate 50%\)$/m)
  t.match(human.out, /^mqtt: +embedded, 0 connections$/m)
  t.match(human.out, /^upstream local: +ok, last success \d{4}-\d\d-\d\dT/m)
  const json = JSON.parse((await cli('status', '--json')).out)
  t.match(json.upstream.local, { consecutive_failures: 0, last_failure_code: null })

  t.match((await cli('help')).out, /^ {2}status +version, uptime/m, 'help lists it')
  const extra = await cli('status', 'now')
  t.equal(extra.code, 2)
  t.match(extra.err, /usage: stsgate status \(/)
})

t.test('stsgate status: a wrong admin token and an unreachable server each get one clear line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-status-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const server = await startServer(loadConfig({ STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: '0', STSGATE_LOG_LEVEL: 'silent', STSGATE_MAX_EVENT_LOOP_DELAY_MS: '0' }))
  t.teardown(() => server.close())

  const wrong = await cliFor({ STSGATE_URL: server.url, STSGATE_ADMIN_TOKEN: 'not-the-token-0123456789abcdef0123' })('status')
  t.equal(wrong.code, 1)
  t.equal(wrong.out, '')
  t.match(wrong.err, /^stsgate: the admin token was refused by http:\/\/127\.0\.0\.1:\d+ \(401\); pass --token/)
  t.equal(wrong.err.split('\n').filter(Boolean).length, 1)

  const port = await freePort()
  const down = await cliFor({ STSGATE_URL: `http://127.0.0.1:${port}`, STSGATE_ADMIN_TOKEN: 'any-token-0123456789abcdef0123456789' })('status')
  t.equal(down.code, 1)
  t.equal(down.err, `stsgate: cannot reach stsgate at http://127.0.0.1:${port} (connection refused)\n`)

  const off = JSON.parse((await cliFor({ STSGATE_URL: server.url, STSGATE_DATA_DIR: dir })('status', '--json')).out)
  t.same(off.mqtt, { mode: 'off', connections: null }, 'STSGATE_MQTT_PORT=0: no broker, no count')
})
