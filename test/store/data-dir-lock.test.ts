import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAdminCommand } from '../../src/cli/admin-commands.js'
import { loadConfig } from '../../src/config.js'
import { startServer } from '../../src/server.js'

/** One process per embedded store: a second server or a direct store opener is refused with the holder's pid. */

function cliFor (env: Record<string, string>) {
  return async (...argv: string[]): Promise<{ code: number, out: string, err: string }> => {
    let out = ''
    let err = ''
    const [command = 'help', ...rest] = argv
    const code = await runAdminCommand(command, rest, { stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } }, env })
    return { code, out, err }
  }
}

/** Another process holding the lock through the real module (tap's TypeScript loader, nothing else). */
async function holder (pgliteDir: string): Promise<ChildProcess> {
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'))
  const child = spawn(process.execPath, [...loader, new URL('../helpers/hold-data-dir-lock.ts', import.meta.url).pathname, pgliteDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('locked\n')) resolve() })
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)))
  })
  return child
}

const killed = async (child: ChildProcess): Promise<void> => {
  const exit = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exit
}

t.test('the embedded store is locked to one process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-lock-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = { STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: '0', STSGATE_LOG_LEVEL: 'silent' }
  const pgliteDir = join(dir, 'pglite')
  const lockFile = `${pgliteDir}.lock`

  await t.test('while a server runs: a second one is refused, audit verify asks the running one', async (t) => {
    const server = await startServer(loadConfig(env))
    t.teardown(() => server.close())
    t.equal((await readFile(lockFile, 'utf8')).trim(), String(process.pid), 'the lock file names the server process')
    await t.rejects(startServer(loadConfig(env)), { message: `the embedded store ${pgliteDir} is in use by process ${process.pid}; stop it first (one process per embedded store)` })

    const cli = cliFor({ ...env, STSGATE_URL: server.url })
    const verified = await cli('audit', 'verify', '--json')
    t.equal(verified.code, 0, verified.err)
    t.match(JSON.parse(verified.out), { ok: true, chains: [{ chain: 'admin', ok: true }] }, 'answered by the server through GET /admin/v1/audit/verify')
    const human = await cli('audit', 'verify')
    t.match(human.out, /^ok: \d+ events in the admin chain verify$/m)

    await server.close()
    await t.rejects(access(lockFile), { code: 'ENOENT' }, 'closing releases the lock')
  })

  await t.test('another live process holds it: serve and audit verify name its pid', async (t) => {
    const child = await holder(pgliteDir)
    t.teardown(() => killed(child))
    await t.rejects(startServer(loadConfig(env)), { message: `the embedded store ${pgliteDir} is in use by process ${child.pid}; stop it first (one process per embedded store)` })
    // Nothing answers at the configured address: one line, naming the holder.
    const res = await cliFor({ ...env, STSGATE_URL: 'http://127.0.0.1:9', STSGATE_ADMIN_TOKEN: 'x'.repeat(40) })('audit', 'verify')
    t.equal(res.code, 1)
    t.match(res.err, new RegExp(`^stsgate: the embedded store ${pgliteDir} is in use by process ${child.pid}, which must be asked instead: cannot reach stsgate at http://127\\.0\\.0\\.1:9 .*\\(pass --url\\)\\n$`))
  })

  await t.test('a lock left by a killed process is taken over', async (t) => {
    const child = await holder(pgliteDir)
    await killed(child)
    t.equal((await readFile(lockFile, 'utf8')).trim(), String(child.pid), 'SIGKILL left the lock file behind')
    const verified = await cliFor(env)('audit', 'verify')
    t.equal(verified.code, 0, verified.err)
    t.match(verified.out, /^ok: \d+ events in the admin chain verify$/m, 'read from the store directly')
    const server = await startServer(loadConfig(env))
    t.teardown(() => server.close())
    t.equal((await readFile(lockFile, 'utf8')).trim(), String(process.pid))
  })
})
