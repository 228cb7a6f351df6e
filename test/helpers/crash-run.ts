import type { Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { access, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { MasterKey } from '../../src/keys.js'
import { Store } from '../../src/store/store.js'

/**
 * Crash durability: a real `stsgate serve` process takes a stream of IoTDA
 * resetSecret calls and is killed with SIGKILL in the middle; restarted on
 * the same data, every reset that got a 200 is in force and none is
 * half-applied — each committed secret change has exactly its audit event and
 * no audit event lacks its change. The server runs from the TypeScript
 * sources through tap's own loader, so there is no build to be stale.
 */
const REPO = new URL('../../', import.meta.url).pathname
let built: Promise<string> | undefined

/**
 * Compiles the current sources once per test process, into node_modules/.cache
 * (inside the repository, so the output resolves node_modules): never a
 * stale dist/, and the server starts in a second or two, where running the
 * .ts through a loader takes tens of seconds per start on two cores.
 */
export function buildServer (): Promise<string> {
  built ??= (async () => {
    const outDir = join(REPO, 'node_modules', '.cache', `stsgate-crash-${process.pid}`)
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
    const child = spawn(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.json'), '--outDir', outDir, '--noEmitOnError', 'false'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (c: Buffer) => { out += c.toString() })
    await exited(child)
    const cli = join(outDir, 'src', 'cli.js')
    try {
      await access(cli)
    } catch {
      throw new Error(`tsc produced no ${cli}: ${out.slice(-2000)}`)
    }
    // tsc emits no static files: the server serves the operator console from
    // `console/` beside its routes/, as a packed installation has it.
    await symlink(join(REPO, 'console'), join(outDir, 'console'), 'dir')
    return cli
  })()
  return built
}

export const removeBuild = async (): Promise<void> => {
  if (built === undefined) return
  await rm(join(await built, '..', '..'), { recursive: true, force: true })
}
const ADMIN = 'crash-test-admin-token-0123456789abcdef'
const WORKERS = 4

interface Server { child: ChildProcess, url: string }

async function serve (env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [await buildServer(), 'serve'], {
    env: { PATH: process.env.PATH ?? '', STSGATE_PORT: '0', STSGATE_MQTT_PORT: '0', STSGATE_LOG_LEVEL: 'info', STSGATE_ADMIN_TOKEN: ADMIN, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (c: Buffer) => { err += c.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stsgate did not start within 60 s: ${err.slice(-2000)}`)), 60_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m !== null) { clearTimeout(timer); resolve(m[1]!) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`stsgate exited with ${code}: ${err.slice(-2000)}`)) })
  })
  return { child, url }
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))

async function call (url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(`${url}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

export async function crashRun (t: Test, env: Record<string, string>, openStore: (keys: MasterKey) => Promise<Store>): Promise<void> {
  const keys = new MasterKey(Buffer.from(env.STSGATE_MASTER_KEY!, 'base64'))
  const first = await serve(env)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const admin = { authorization: `Bearer ${ADMIN}` }
  const project = (await call(first.url, 'POST', '/admin/v1/projects', admin, { name: 'crash' })).json.project_id as string
  const token = (await call(first.url, 'POST', `/admin/v1/projects/${project}/tokens`, admin, {})).json.token as string
  const devices = Array.from({ length: WORKERS }, (_, i) => `crash-dev-${i}`)
  // Reset once after the restart, on a device no worker touches: its outcome tells nothing about the kill.
  const probe = 'crash-probe'
  for (const d of [...devices, probe]) t.equal((await call(first.url, 'POST', `/admin/v1/projects/${project}/devices`, admin, { device_id: d, secret: `initial_${d}` })).status, 201)

  // Each worker resets its own device in sequence: at most one reset per device is in flight at the kill.
  const acked = new Map<string, string[]>(devices.map((d) => [d, []]))
  const inflight = new Map<string, string | undefined>()
  let killed = false
  const worker = async (device: string): Promise<void> => {
    for (let n = 0; !killed; n++) {
      const secret = `s_${device.slice(-1)}_${n}_${randomBytes(4).toString('hex')}`.slice(0, 32)
      inflight.set(device, secret)
      try {
        const res = await call(first.url, 'POST', `/v5/iot/${project}/devices/${device}/action?action_id=resetSecret`, { 'x-auth-token': token }, { secret })
        if (res.status === 200) { acked.get(device)!.push(secret); inflight.set(device, undefined) } else if (!killed) throw new Error(`reset answered ${res.status}`)
      } catch (err) {
        if (!killed) throw err
        return // the connection died with the process: the outcome of this one is unknown
      }
    }
  }
  const running = Promise.all(devices.map(worker))
  await sleep(1_500)
  killed = true
  first.child.kill('SIGKILL')
  await running
  await exited(first.child)
  const acknowledged = [...acked.values()].reduce((n, list) => n + list.length, 0)
  t.ok(acknowledged > 0, `${acknowledged} resets acknowledged before the kill`)

  // Restart on the same data: it must come up and serve.
  const second = await serve(env)
  const after = await call(second.url, 'POST', `/v5/iot/${project}/devices/${probe}/action?action_id=resetSecret`, { 'x-auth-token': token }, { secret: 'after_restart_secret' })
  t.equal(after.status, 200, 'the restarted server serves resets')
  second.child.kill('SIGTERM')
  await exited(second.child)

  const store = await openStore(keys)
  t.teardown(() => store.close())
  let lost = 0
  for (const d of devices) {
    const list = acked.get(d)!
    const inForce = (await store.devices.findForLogin(d))?.primarySecret
    const expectedLast = list.at(-1) ?? `initial_${d}`
    const pending = inflight.get(d)
    // The one reset in flight at the kill may or may not have committed; any acknowledged one must have.
    const committedPending = pending !== undefined && inForce === pending
    if (!(inForce === expectedLast || committedPending)) lost++
    t.ok(inForce === expectedLast || committedPending, `${d}: the last acknowledged reset (of ${list.length}) is in force`)
    const audited = await store.db.query<{ n: string }>(
      "select count(*)::text as n from audit_events where action = 'device.reset_secret' and subject = $1", [d])
    const committed = list.length + (committedPending ? 1 : 0)
    t.equal(Number(audited[0]!.n), committed, `${d}: one audit event per committed reset, none without its change`)
  }
  t.equal((await store.devices.findForLogin(probe))?.primarySecret, 'after_restart_secret', 'the reset after the restart is in force')
  for (const r of await store.verifyAllAudit()) t.ok(r.ok, `audit chain ${r.chain} verifies (${r.events} events)`)
  t.equal(lost, 0, 'no acknowledged reset lost')
  t.comment(`acknowledged writes checked after kill -9: ${acknowledged}; lost: ${lost}`)
}

export const masterKey = (): string => randomBytes(32).toString('base64')
