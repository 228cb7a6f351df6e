import t from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAdminCommand } from '../src/cli/admin-commands.js'
import { answerTopLevel } from '../src/cli/top-level.js'
import { loadCliConfig, loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'

/** Runs one CLI command in-process, capturing what it prints. */
function cliFor (env: Record<string, string>) {
  return async (...argv: string[]): Promise<{ code: number, out: string, err: string }> => {
    let out = ''
    let err = ''
    const [command = 'help', ...rest] = argv
    const code = await runAdminCommand(command, rest, {
      stdout: { write: (s: string) => { out += s } },
      stderr: { write: (s: string) => { err += s } },
      env
    })
    return { code, out, err }
  }
}

const json = (r: { out: string }): any => JSON.parse(r.out)

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('the CLI drives a running server through the admin API', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // Load shedding off: a busy CI machine's event-loop lag must not turn this test's requests into 503s.
  const env = { STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: '0', STSGATE_LOG_LEVEL: 'silent', STSGATE_MAX_EVENT_LOOP_DELAY_MS: '0' }
  const server = await startServer(loadConfig(env))
  t.teardown(() => server.close())
  // No token given: the CLI finds the one the server generated in the data dir.
  const cli = cliFor({ STSGATE_URL: server.url, STSGATE_DATA_DIR: dir })

  const project = await cli('projects', 'create', 'acme', '--instance-id', 'inst-1', '--json')
  t.equal(project.code, 0, project.err)
  const p = json(project).project_id
  t.match(p, /^[0-9a-f]{32}$/)

  const humanProject = await cli('projects', 'show', p)
  t.match(humanProject.out, new RegExp(`^project_id: +${p}$`, 'm'), 'human output is key: value lines')
  t.match(humanProject.out, /^instance_id: +inst-1$/m)

  const ak = await cli('access-keys', 'create', p)
  t.equal(ak.code, 0, ak.err)
  t.match(ak.out, /^access_key_id: +SG[A-Z0-9]{18}$/m)
  t.match(ak.out, /^secret_access_key: +[A-Za-z0-9]{40}$/m)
  t.match(ak.out, /shown only once/)

  const token = json(await cli('tokens', 'create', p, '--ttl', '600', '--json'))
  t.match(token, { token_id: /^[0-9a-f]{16}$/, token: /^stsg\./ })

  const target = await cli('targets', 'create', p, '--name', 'dev', '--provider', 'local', '--bucket', 'media-bucket',
    '--region', 'local', '--endpoint', 'http://127.0.0.1:9000', '--json')
  t.equal(target.code, 0, target.err)
  const targetId = json(target).target_id

  const bindings = await cli('bindings', 'set', p, '--edas-target', targetId, '--workspace-target', targetId, '--workspace-directory', 'files/acme/')
  t.equal(bindings.code, 0, bindings.err)
  t.match(bindings.out, new RegExp(`^edas +${targetId} +release-pkg/${p}/$`, 'm'), 'the EDAS default prefix')
  t.match(bindings.out, new RegExp(`^workspace +${targetId} +files/acme/$`, 'm'))
  t.same(json(await cli('bindings', 'show', p, '--json')).workspace, { target_id: targetId, directory: 'files/acme/' })

  const device = json(await cli('devices', 'create', p, '--device-id', 'dev-1', '--json'))
  t.match(device, { device_id: 'dev-1', secret: /^[0-9a-f]{32}$/ })
  t.match((await cli('devices', 'show', p, 'dev-1')).out, /^has_secondary_secret: +false$/m)

  const gateway = json(await cli('gateways', 'create', p, '--sn', 'DOCK1', '--target', targetId, '--sub-device', 'AIR1', '--sub-device', 'AIR2', '--json'))
  t.match(gateway, { sn: 'DOCK1', username: 'DOCK1', object_key_prefix: 'media/DOCK1/', sub_devices: ['AIR1', 'AIR2'] })
  t.match(json(await cli('gateways', 'update', p, 'DOCK1', '--disable', '--json')), { disabled: true })

  t.test('listings: --json prints the API JSON, the default is an aligned table', async (t) => {
    const listed = json(await cli('projects', 'list', '--json'))
    t.same(listed.projects.map((x: any) => x.project_id), [p])
    const table = await cli('projects', 'list')
    const lines = table.out.trimEnd().split('\n')
    t.match(lines[0], /^PROJECT_ID +NAME +INSTANCE_ID +DISABLED +CREATED_AT$/)
    t.match(lines[1], new RegExp(`^${p} +acme +inst-1 +false +\\d{4}-`))
    t.equal(lines[0]!.indexOf('NAME'), lines[1]!.indexOf('acme'), 'columns line up')
    t.match((await cli('gateways', 'list', p)).out, /^DOCK1 +[0-9a-f]{16} +media\/DOCK1\/ +AIR1,AIR2 +true /m)
    t.match((await cli('targets', 'list', p)).out, /^[0-9a-f]{16} +dev +local +media-bucket +local +http:\/\/127\.0\.0\.1:9000$/m)
    t.match((await cli('tokens', 'list', p)).out, /^TOKEN_ID +EXPIRES_AT +REVOKED +LAST_USED_AT +CREATED_AT$/m)
    t.match((await cli('access-keys', 'list', p)).out, /^SG[A-Z0-9]{18} +false /m)
    t.match((await cli('devices', 'list', p)).out, /^dev-1 +false /m)
    t.equal((await cli('devices', 'list', json((await cli('projects', 'create', 'empty', '--json'))).project_id)).out, '(none)\n')
  })

  t.test('deletes and revokes answer one line', async (t) => {
    t.same(await cli('tokens', 'revoke', p, token.token_id), { code: 0, out: `revoked token ${token.token_id}\n`, err: '' })
    t.same(await cli('gateways', 'delete', p, 'DOCK1'), { code: 0, out: 'deleted gateway DOCK1\n', err: '' })
    t.same(await cli('devices', 'delete', p, 'dev-1'), { code: 0, out: 'deleted device dev-1\n', err: '' })
  })

  t.test('API errors print the error code and message and exit 1', async (t) => {
    const bound = await cli('targets', 'delete', p, targetId)
    t.equal(bound.code, 1)
    t.match(bound.err, /^stsgate: target_bound: .+ \(HTTP 409\)\n$/)
    const missing = await cli('projects', 'show', '0'.repeat(32))
    t.match(missing, { code: 1, err: /project_not_found/ })
    const invalid = await cli('targets', 'create', p, '--name', 'x', '--provider', 'gcs', '--bucket', 'b-1', '--region', 'r', '--endpoint', 'h')
    t.same(invalid, { code: 2, out: '', err: 'stsgate: --provider: expected one of local, aliyun, aws, huawei, got "gcs"\n' }, 'checked before sending')
    const refused = await cli('targets', 'create', p, '--name', 'x', '--provider', 'local', '--bucket', 'UPPER', '--region', 'r', '--endpoint', 'h')
    t.same(refused, { code: 2, out: '', err: 'stsgate: --bucket: has the wrong form (expected a bucket name: 3 to 63 of a-z 0-9 . -)\n' },
      'the API\'s refusal is told as the flag\'s, without the pattern')
    const upstream = await cli('targets', 'create', p, '--name', 'x', '--provider', 'aliyun', '--bucket', 'b-1', '--region', 'r', '--endpoint', 'h')
    t.match(upstream, { code: 2, err: /^stsgate: --upstream-json or --upstream-file: is required for provider aliyun \(expected JSON/ })
    const role = await cli('targets', 'create', p, '--name', 'x', '--provider', 'aliyun', '--bucket', 'b-1', '--region', 'r', '--endpoint', 'h',
      '--upstream-json', '{"role_arn":"nope","access_key_id":"a","access_key_secret":"b"}')
    t.match(role, { code: 2, err: /^stsgate: --upstream-json or --upstream-file: role_arn has the wrong form/ })
    t.notMatch(role.err, /pattern|body\//, 'no schema words')
  })

  t.test('the weekly jobs: by project name, rotate/enable/delete keys, unbind, read the logs, delete with --yes', async (t) => {
    t.match((await cli('projects', 'show', 'acme')).out, new RegExp(`^project_id: +${p}$`, 'm'), 'a project by its name')
    const key = json(await cli('access-keys', 'create', 'acme', '--json'))
    const rotated = await cli('access-keys', 'rotate', 'acme', key.access_key_id)
    t.equal(rotated.code, 0, rotated.err)
    t.match(rotated.out, /^secret_access_key: +[A-Za-z0-9]{40}$/m)
    t.match(rotated.out, new RegExp(`shown only once; ${key.access_key_id} is now disabled`))
    t.match((await cli('access-keys', 'list', p)).out, new RegExp(`^${key.access_key_id} +true +- `, 'm'), 'disabled, never used')
    t.same(await cli('access-keys', 'enable', p, key.access_key_id), { code: 0, out: `enabled access key ${key.access_key_id}\n`, err: '' })
    t.same(await cli('access-keys', 'delete', p, key.access_key_id), { code: 0, out: `deleted access key ${key.access_key_id}\n`, err: '' })
    t.match(await cli('access-keys', 'enable', p, key.access_key_id), { code: 1, err: /access_key_not_found/ })

    const unset = await cli('bindings', 'unset', 'acme', 'workspace')
    t.equal(unset.code, 0, unset.err)
    t.notMatch(unset.out, /^workspace/m)
    t.match(unset.out, /^edas /m, 'the bindings left')

    const log = await cli('audit', 'list', '--project', 'acme', '--limit', '3')
    t.match(log.out, /^AT +PROJECT_ID +PRINCIPAL +ACTION +SUBJECT +DETAIL$/m)
    t.match(log.out, /bindings\.delete/)
    t.match(log.out, /older events: add --cursor \d+/)
    const actions = json(await cli('audit', 'list', '--project', p, '--action', 'access_key.rotate', '--json')).events.map((e: any) => e.action)
    t.same(actions, ['access_key.rotate'])
    t.same(json(await cli('vends', 'list', '--project', 'acme', '--json')), { vends: [], next_cursor: null })

    const other = json(await cli('projects', 'create', 'scratch', '--json'))
    json(await cli('projects', 'create', 'twin', '--json'))
    json(await cli('projects', 'create', 'twin', '--json'))
    t.match(await cli('projects', 'show', 'twin'), { code: 1, err: /2 projects are named "twin"; give the id/ })
    t.match(await cli('projects', 'show', 'nobody'), { code: 1, err: /no project is named "nobody"/ })
    const refused = await cli('projects', 'delete', 'scratch')
    t.match(refused, { code: 2, err: new RegExp(`this deletes project "scratch" \\(${other.project_id}\\) .*add --yes`) })
    t.equal((await cli('projects', 'show', other.project_id)).code, 0, 'nothing was deleted without --yes')
    t.same(await cli('projects', 'delete', 'scratch', '--yes'), { code: 0, out: `deleted project "scratch" (${other.project_id})\n`, err: '' })
  })

  t.test('a wrong admin token gives one clear line', async (t) => {
    const res = await cli('projects', 'list', '--token', 'not-the-admin-token')
    t.equal(res.code, 1)
    t.match(res.err, /^stsgate: the admin token was refused by http:\/\/127\.0\.0\.1:\d+ \(401\)/)
    t.equal(res.err.split('\n').length, 2, 'one line')
    t.notOk(res.err.includes('not-the-admin-token'), 'the token is not echoed')
  })

  t.test('upstream configuration from a file, secrets not echoed', async (t) => {
    const file = join(dir, 'upstream.json')
    await writeFile(file, JSON.stringify({ role_arn: 'acs:ram::1:role/r', access_key_id: 'LTAIx', access_key_secret: 'file-SECRET-value' }))
    const res = await cli('targets', 'create', p, '--name', 'oss', '--provider', 'aliyun', '--bucket', 'oss-bucket', '--region', 'cn-hangzhou',
      '--endpoint', 'oss-cn-hangzhou.aliyuncs.com', '--upstream-file', file)
    t.equal(res.code, 0, res.err)
    t.match(res.out, /^upstream: +\{"role_arn":"acs:ram::1:role\/r","access_key_id":"LTAIx"\}$/m)
    t.notOk(res.out.includes('file-SECRET-value'))
    t.match(await cli('targets', 'create', p, '--name', 'o2', '--provider', 'aliyun', '--bucket', 'oss-bucket', '--region', 'r',
      '--endpoint', 'h', '--upstream-json', '{not json'), { code: 2, err: /not valid JSON/ })
    const token = await cliFor({ STSGATE_URL: server.url, STSGATE_ADMIN_TOKEN: 'y'.repeat(40), STSGATE_DATA_DIR: dir })('projects', 'list', '--json')
    t.match(token, { code: 1, err: /401/ }, 'STSGATE_ADMIN_TOKEN wins over the data dir file')
  })

  t.test('audit verify reads the same store as serve', async (t) => {
    // PGlite allows one process per data dir: stop the server first.
    await server.close()
    const ok = await cliFor(env)('audit', 'verify')
    t.equal(ok.code, 0, ok.err)
    t.match(ok.out, /^ok: \d+ events in the admin chain verify$/m)
    t.match(json(await cliFor(env)('audit', 'verify', '--json')), { ok: true, chains: [{ chain: 'admin', ok: true }] })
  })
})

t.test('an unreachable server: "cannot reach stsgate at URL"', async (t) => {
  const url = `http://127.0.0.1:${await closedPort()}`
  const res = await cliFor({ STSGATE_URL: url, STSGATE_ADMIN_TOKEN: 'x'.repeat(40) })('projects', 'list')
  t.same(res, { code: 1, out: '', err: `stsgate: cannot reach stsgate at ${url} (connection refused)\n` })
  const flag = await cliFor({ STSGATE_ADMIN_TOKEN: 'x'.repeat(40) })('projects', 'list', '--url', `${url}/`)
  t.match(flag.err, `cannot reach stsgate at ${url} (connection refused)`, '--url wins over the default')
})

t.test('command-line mistakes exit 2 with a usage line', async (t) => {
  const cli = cliFor({ STSGATE_ADMIN_TOKEN: 'x'.repeat(40) })
  t.match(await cli('frobnicate'), { code: 2, err: /unknown command frobnicate/ })
  t.match(await cli('projects'), { code: 2, err: /usage: stsgate projects list\|create\|show\|update\|delete/ })
  t.match(await cli('projects', 'show'), { code: 2, err: /usage: stsgate projects show <project>/ })
  t.match(await cli('projects', 'list', '--bogus'), { code: 2, err: /bogus/ })
  t.match(await cli('projects', 'update', '0'.repeat(32)), { code: 2, err: /nothing to change/ })
  t.match(await cli('targets', 'create', '0'.repeat(32), '--name', 'x'), { code: 2, err: /needs --provider/ })
  t.match(await cli('bindings', 'set', '0'.repeat(32), '--edas-prefix', 'a/'), { code: 2, err: /--edas-prefix needs --edas-target/ })
  t.same(await cli('tokens', 'create', '0'.repeat(32), '--ttl', 'soon'), { code: 2, out: '', err: 'stsgate: --ttl: expected a whole number of seconds from 60 to 31536000, got "soon"\n' })
  t.match(await cli('tokens', 'create', '0'.repeat(32), '--ttl', '5'), { code: 2, err: /--ttl: expected .* from 60/ })
  t.match(await cli('tokens', 'revoke', '0'.repeat(32), 'xyz'), { code: 2, err: /^stsgate: <token_id>: expected a token id \(16 hexadecimal characters\), got "xyz"/ })
  t.match(await cli('bindings', 'unset', '0'.repeat(32), 'ftp'), { code: 2, err: /<contract>: expected edas or workspace/ })
  t.match(await cli('audit', 'list', '--since', 'yesterday'), { code: 2, err: /--since: expected a date and time/ })
  t.match(await cli('vends', 'list', '--limit', '1000'), { code: 2, err: /--limit: expected a whole number of events from 1 to 500/ })
  t.match(await cliFor({ STSGATE_DATA_DIR: '/nonexistent-stsgate' })('projects', 'list'), { code: 2, err: /no admin token: .*\/nonexistent-stsgate\/admin-token/ })
  t.match(await cliFor({ STSGATE_URL: 'ftp://x' })('projects', 'list'), { code: 2, err: /STSGATE_URL: invalid value/ })
})

t.test('help lists every command', async (t) => {
  const res = await cliFor({})('help')
  t.equal(res.code, 0)
  for (const line of ['serve', 'audit verify', 'projects create <name>', 'access-keys disable <project> <access_key>', 'tokens revoke <project> <token_id>',
    'targets create <project>', 'bindings set <project>', 'devices show <project> <device_id>', 'gateways update <project> <sn>', '--json',
    'access-keys rotate <project> <access_key>', 'access-keys enable <project> <access_key>', 'access-keys delete <project> <access_key>',
    'bindings unset <project> <contract>', 'audit list', 'vends list', '--version']) {
    t.ok(res.out.includes(line), line)
  }
})

t.test('bare stsgate prints the help on stderr and exits 2; --version prints the package version', async (t) => {
  let out = ''
  let err = ''
  const io = { stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } } }
  t.equal(await answerTopLevel([], io), 2)
  t.equal(out, '')
  t.match(err, /^usage: stsgate <command>/)
  const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(await answerTopLevel(['--version'], io), 0)
  t.equal(out, `stsgate ${version}\n`)
  t.equal(await answerTopLevel(['projects', 'list'], io), undefined, 'a command is left to its runner')
})

t.test('loadCliConfig: defaults and overrides', async (t) => {
  t.same(loadCliConfig({}), { url: 'http://127.0.0.1:3000', adminToken: undefined, dataDir: './data' })
  t.same(loadCliConfig({ STSGATE_URL: 'https://sts.example.com/', STSGATE_ADMIN_TOKEN: 'tok', STSGATE_DATA_DIR: '/var/lib/stsgate' }),
    { url: 'https://sts.example.com', adminToken: 'tok', dataDir: '/var/lib/stsgate' })
})
