import { join } from 'node:path'
import { request } from 'undici'
import { startServerChild, type ServerChild } from './child.js'
import { load, type HttpScenario } from './load.js'
import { meanOf, measure, type RunFigures } from './measure.js'
import { adminClient, createProject, type BenchProject } from './setup.js'
import { signedPool, signHuawei, signRoa } from './signing.js'
import { freePort } from '../test/helpers/net.js'

/**
 * stsgate as `npm start` runs it, against bare Fastify at the same settings:
 * log level info (stsgate's default; Fastify's own request logging on both
 * sides), rate limits on, embedded PGlite and MQTT broker. The rate limits
 * run on every request but are set to their maximum (10,000,000 a minute),
 * because their default 600 a minute per address would answer 429 after 600
 * requests from the one loopback address: the bench measures what the limiter
 * costs, not what it refuses.
 *
 * Like-for-like baselines: EDAS (GET) against a GET answering an object of the
 * EDAS reply's size; Workspace (POST, same JSON body) against a POST with
 * Workspace's body and reply schemas answering an object of the Workspace
 * reply's size.
 *
 * Then a signed-request soak (unique SDK-HMAC-SHA256 signatures, each
 * remembered by the replay window for 15 minutes): the window's entries and
 * bytes from /metrics, heap and RSS before and after, the peak RSS.
 */

export interface DefaultsOptions {
  adminToken: string
  workDir: string
  duration: number
  connections: number
  soakSeconds: number
  log: (line: string) => void
}

export interface DefaultsScenario {
  name: string
  max: RunFigures
  baselineName: string
  baselineRps: number
  ratio: number
  cpuRatio?: number
  /**
   * Both servers held at one request rate (80 % of the scenario's maximum)
   * and the ratio of their CPU per request. At full speed a faster server
   * also pays less per request in the kernel (a busier peer, more batching on
   * loopback), which the max-throughput CPU ratio charges to the slower one;
   * at one rate the two compare the work their code does.
   */
  equalRate?: { requestsPerSecond: number, baselineCpuUsPerRequest?: number, cpuUsPerRequest?: number, cpuRatio?: number }
}

export interface SoakFigures {
  seconds: number
  requests: number
  requestsPerSecond: number
  non2xx: number
  replayEntriesBefore: number | null
  replayEntriesAfter: number | null
  replayBytesAfter: number | null
  /** Bytes of the replay window per request it remembered in the soak. */
  replayBytesPerEntry: number | null
  heapBeforeMb: number
  heapAfterMb: number
  rssBeforeMb: number
  rssAfterMb: number
}

export interface DefaultsFigures {
  settings: Record<string, string>
  rssAtRestAfterProvisioningMb: number
  baselines: { get: RunFigures[], post: RunFigures[] }
  scenarios: DefaultsScenario[]
  soak: SoakFigures
  /** The kernel's high-water mark of the stsgate process (VmHWM) at the end: its peak over the whole phase. */
  peakRssMb: number
}

export const MB = (bytes: number): number => Math.round(bytes / 1024 / 1024 * 10) / 10
const MAX_PER_MINUTE = '10000000'
const AUTHORIZE_BODY = JSON.stringify({ app_file_name: 'Postman.exe' })
const EDAS_PATH = '/pop/v5/package_storage_credential'

/** stsgate's own defaults, apart from ports and the rate limits' ceiling (see above). */
export async function shippedDefaultsEnv (adminToken: string): Promise<Record<string, string>> {
  return {
    STSGATE_ADMIN_TOKEN: adminToken,
    STSGATE_MQTT_PORT: String(await freePort()),
    STSGATE_RATE_LIMIT_IP_PER_MINUTE: MAX_PER_MINUTE,
    STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE: MAX_PER_MINUTE,
    STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE: MAX_PER_MINUTE
  }
}

/** The replay window's gauges, from the admin-protected /metrics; null where the server has none. */
export async function replayWindow (child: ServerChild, adminToken: string): Promise<{ entries: number | null, bytes: number | null }> {
  const res = await request(new URL('/metrics', child.url), { headers: { authorization: `Bearer ${adminToken}` } })
  const text = await res.body.text()
  const value = (name: string): number | null => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
    return match === null ? null : Number(match[1])
  }
  return { entries: value('stsgate_replay_window_entries'), bytes: value('stsgate_replay_window_bytes') }
}

export function edasScenario (name: string, child: ServerChild, project: BenchProject): HttpScenario {
  let pool = signedPool(0, () => ({}))
  const host = new URL(child.url).host
  return {
    name, method: 'GET', path: EDAS_PATH,
    prepare: (expected) => { pool = signedPool(Math.min(400_000, expected), () => signRoa(project, EDAS_PATH, host)) },
    headers: () => pool.next()
  }
}

export function hmacScenario (name: string, child: ServerChild, project: BenchProject): HttpScenario {
  let pool = signedPool(0, () => ({}))
  const url = new URL(`/v1/${project.projectId}/app-warehouse/action/authorize`, child.url)
  return {
    name, method: 'POST', path: url.pathname, body: AUTHORIZE_BODY,
    prepare: (expected) => { pool = signedPool(Math.min(400_000, expected), () => signHuawei(project, 'POST', url, AUTHORIZE_BODY, project.projectId)) },
    headers: () => pool.next()
  }
}

export const tokenScenario = (name: string, project: BenchProject): HttpScenario => ({
  name, method: 'POST', path: `/v1/${project.projectId}/app-warehouse/action/authorize`, body: AUTHORIZE_BODY,
  headers: () => ({ 'content-type': 'application/json', 'x-auth-token': project.token })
})

async function answer (child: ServerChild, scenario: HttpScenario): Promise<string> {
  scenario.prepare?.(1)
  const res = await request(new URL(scenario.path, child.url), {
    method: scenario.method, headers: scenario.headers(), ...(scenario.body === undefined ? {} : { body: scenario.body })
  })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`${scenario.name}: HTTP ${res.statusCode} ${text}`)
  return text
}

export async function runShippedDefaults (options: DefaultsOptions): Promise<DefaultsFigures> {
  const { log } = options
  const env = await shippedDefaultsEnv(options.adminToken)
  log('shipped defaults: stsgate child (log level info, rate limits on)')
  const cpuProfDir = process.env.BENCH_CPU_PROF
  const gate = await startServerChild('stsgate', { env, logFile: join(options.workDir, 'stsgate-defaults.log'), ...(cpuProfDir === undefined || cpuProfDir === '' ? {} : { cpuProfDir }) })
  const admin = adminClient(gate.url, options.adminToken)
  const edas = await createProject(admin, 'defaults-edas', { contract: 'edas', target: { provider: 'local' } })
  const ws = await createProject(admin, 'defaults-ws', { contract: 'workspace', target: { provider: 'local' } })
  const scenarios = [
    edasScenario('EDAS ROA-signed, local (shipped defaults)', gate, edas),
    tokenScenario('Workspace X-Auth-Token, local (shipped defaults)', ws),
    hmacScenario('Workspace SDK-HMAC-SHA256, local (shipped defaults)', gate, ws)
  ]
  const edasReply = await answer(gate, scenarios[0] as HttpScenario)
  const wsReply = await answer(gate, scenarios[1] as HttpScenario)
  await answer(gate, scenarios[2] as HttpScenario)
  const rest = await gate.gcSample()

  const base = await startServerChild('baseline', {
    env: { BENCH_BASELINE_BODY: edasReply, BENCH_BASELINE_POST_BODY: wsReply },
    logFile: join(options.workDir, 'baseline-defaults.log')
  })
  const baselineGet: HttpScenario = { name: 'baseline GET (bare Fastify, info)', method: 'GET', path: '/baseline', headers: () => ({}) }
  const baselinePost: HttpScenario = {
    name: 'baseline POST (bare Fastify, info, Workspace schemas)', method: 'POST', path: '/baseline', body: AUTHORIZE_BODY,
    headers: () => ({ 'content-type': 'application/json' })
  }
  const baselineOf = (s: HttpScenario): HttpScenario => s.method === 'GET' ? baselineGet : baselinePost
  const run = (child: ServerChild, scenario: HttpScenario, seconds = options.duration, expectedRps = 20_000, overallRate?: number): Promise<RunFigures> =>
    measure(child, scenario, { connections: options.connections, duration: seconds, expectedRps, log, ...(overallRate === undefined ? {} : { overallRate }) })

  try {
    log('shipped defaults: JIT warm-up, 1 s each')
    await run(base, baselineGet, 1)
    await run(base, baselinePost, 1)
    for (const scenario of scenarios) await run(gate, scenario, 1)
    const baselines = { get: [] as RunFigures[], post: [] as RunFigures[] }
    const results: DefaultsScenario[] = []
    for (const scenario of scenarios) {
      // Baseline just before and just after: both saw the machine as the scenario did.
      const baseline = baselineOf(scenario)
      const before = await run(base, baseline)
      const max = await run(gate, scenario, options.duration, before.requestsPerSecond)
      const after = await run(base, baseline)
      ;(scenario.method === 'GET' ? baselines.get : baselines.post).push(before, after)
      const baselineRps = (before.requestsPerSecond + after.requestsPerSecond) / 2
      const baselineCpu = meanOf([before.serverCpuUsPerRequest, after.serverCpuUsPerRequest])
      const rate = Math.floor(max.requestsPerSecond * 0.8)
      const held = await run(gate, scenario, options.duration, rate, rate)
      const heldBaseline = await run(base, baseline, options.duration, rate, rate)
      results.push({
        name: scenario.name, max, baselineName: baseline.name, baselineRps, ratio: max.requestsPerSecond / baselineRps,
        ...(baselineCpu === undefined || max.serverCpuUsPerRequest === undefined ? {} : { cpuRatio: baselineCpu / max.serverCpuUsPerRequest }),
        equalRate: {
          requestsPerSecond: rate,
          ...(heldBaseline.serverCpuUsPerRequest === undefined ? {} : { baselineCpuUsPerRequest: heldBaseline.serverCpuUsPerRequest }),
          ...(held.serverCpuUsPerRequest === undefined ? {} : { cpuUsPerRequest: held.serverCpuUsPerRequest }),
          ...(heldBaseline.serverCpuUsPerRequest === undefined || held.serverCpuUsPerRequest === undefined ? {} : { cpuRatio: heldBaseline.serverCpuUsPerRequest / held.serverCpuUsPerRequest })
        }
      })
      log(`${scenario.name}: ${max.requestsPerSecond.toFixed(0)} req/s = ${(max.requestsPerSecond / baselineRps).toFixed(2)}× ${baseline.name}`)
    }
    await base.stop()

    log(`shipped defaults: signed-request soak, ${options.soakSeconds} s`)
    const soakScenario = hmacScenario('soak', gate, ws)
    const windowBefore = await replayWindow(gate, options.adminToken)
    const memBefore = await gate.gcSample()
    // Signed ahead (as far as the pool cap allows), at the rate the HMAC scenario reached.
    const expected = Math.ceil((results[2]?.max.requestsPerSecond ?? 1000) * options.soakSeconds * 1.2)
    const soak = await load(gate.url, soakScenario, { connections: options.connections, duration: options.soakSeconds, expected })
    const memAfter = await gate.gcSample()
    const windowAfter = await replayWindow(gate, options.adminToken)
    return {
      settings: env,
      rssAtRestAfterProvisioningMb: MB(rest.rss),
      baselines,
      scenarios: results,
      soak: {
        seconds: soak.durationSeconds,
        requests: soak.requests,
        requestsPerSecond: soak.requestsPerSecond,
        non2xx: soak.non2xx,
        replayEntriesBefore: windowBefore.entries,
        replayEntriesAfter: windowAfter.entries,
        replayBytesAfter: windowAfter.bytes,
        replayBytesPerEntry: windowAfter.bytes !== null && windowAfter.entries !== null && windowAfter.entries > 0 ? windowAfter.bytes / windowAfter.entries : null,
        heapBeforeMb: MB(memBefore.heapUsed),
        heapAfterMb: MB(memAfter.heapUsed),
        rssBeforeMb: MB(memBefore.rss),
        rssAfterMb: MB(memAfter.rss)
      },
      peakRssMb: MB(gate.highWaterRss())
    }
  } finally {
    await base.stop()
    await gate.stop()
  }
}

// Alone: node --expose-gc dist-bench/bench/shipped-defaults.js (prints the figures as JSON).
if (process.argv[1]?.endsWith('shipped-defaults.js') === true) {
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const num = (name: string, fallback: number): number => process.env[name] === undefined || process.env[name] === '' ? fallback : Number(process.env[name])
  const figures = await runShippedDefaults({
    adminToken: 'bench-admin-token-0123456789abcdef0123456789',
    workDir: mkdtempSync(join(tmpdir(), 'stsgate-bench-defaults-')),
    duration: num('BENCH_DURATION', 5),
    connections: num('BENCH_CONNECTIONS', 20),
    soakSeconds: num('BENCH_SOAK_SECONDS', 10),
    log: (line) => { process.stderr.write(`[bench] ${line}\n`) }
  })
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n')
}
