import { mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, platform, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { startFakeAliyunSts } from '../test/fakes/aliyun-sts.js'
import { startFakeHuaweiIam } from '../test/fakes/huawei-iam.js'
import { SERVER_NODE_FLAGS, startServerChild, type ServerChild } from './child.js'
import { load, type HttpScenario, type LoadFigures } from './load.js'
import { measure, type RunFigures } from './measure.js'
import { closeDocks, connectDocks, runDocks, warmDocks, type DockFigures } from './mqtt-docks.js'
import { adminClient, createProject, createTarget, UPSTREAM_ALIYUN, UPSTREAM_HUAWEI, type BenchProject } from './setup.js'
import { signedPool, signHuawei, signRoa } from './signing.js'
import { printTable } from './table.js'
import { measureStarts } from './startup.js'
import { runShippedDefaults, shippedDefaultsEnv } from './shipped-defaults.js'
import { runOnPostgres } from './postgres-store.js'
import { freePort } from '../test/helpers/net.js'

/**
 * npm run bench: stsgate against a bare Fastify route, in one run, on loopback.
 * See docs/performance.md for what each figure means and the knobs below.
 */
const env = process.env
const num = (name: string, fallback: number): number => env[name] === undefined || env[name] === '' ? fallback : Number(env[name])
const DURATION = num('BENCH_DURATION', 5)
const CONNECTIONS = num('BENCH_CONNECTIONS', 20)
const LOG_LEVEL = env.BENCH_LOG_LEVEL ?? 'warn'
const DOCKS = num('BENCH_DOCKS', 50)
const DOCK_WINDOW = num('BENCH_DOCK_WINDOW', 4)
const LEAK_SECONDS = num('BENCH_LEAK_SECONDS', 30)
const SOAK_SECONDS = num('BENCH_SOAK_SECONDS', 60)
const PG_SOAK_SECONDS = num('BENCH_PG_SOAK_SECONDS', 20)
/** PostgreSQL server for the PostgreSQL phase (a database is created and dropped); unset: that phase is skipped. */
const DATABASE_URL = env.BENCH_DATABASE_URL === undefined || env.BENCH_DATABASE_URL === '' ? undefined : env.BENCH_DATABASE_URL
const LEAK_REQUESTS = env.BENCH_LEAK_REQUESTS === undefined ? undefined : Number(env.BENCH_LEAK_REQUESTS)
const STORMS = (env.BENCH_STORMS ?? '40,200').split(',').map(Number)
const CPU_PROF_DIR = env.BENCH_CPU_PROF === undefined || env.BENCH_CPU_PROF === '' ? undefined : env.BENCH_CPU_PROF
const ONLY = env.BENCH_ONLY === undefined ? undefined : new Set(env.BENCH_ONLY.split(','))
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789'
/** The per-project mint budget (20/s, burst 40 by default) caps how many cold scopes one project may mint at once. */
const MINT_BURST = 40

const log = (line: string): void => { process.stderr.write(`[bench] ${line}\n`) }
const MB = (bytes: number): number => Math.round(bytes / 1024 / 1024 * 10) / 10


const started = Date.now()
const workDir = mkdtempSync(join(tmpdir(), 'stsgate-bench-run-'))

// ---- 0: first start (initdb) and restart of the embedded store, on the shipped defaults ----
log('first start and restart (embedded store)')
const starts = await measureStarts(await shippedDefaultsEnv(ADMIN_TOKEN), workDir)
log(`first start ${(starts.first.ms / 1000).toFixed(1)} s, restart ${(starts.restart.ms / 1000).toFixed(1)} s`)
const sts = await startFakeAliyunSts(UPSTREAM_ALIYUN)
const iam = await startFakeHuaweiIam(UPSTREAM_HUAWEI)
// A real STS answers in tens of milliseconds: the storm's misses overlap for that long.
iam.setMode('ok', { delayMs: 50 })
sts.setMode('ok', { delayMs: 50 })

const mqttPort = await freePort()
const serverEnv = {
  STSGATE_ADMIN_TOKEN: ADMIN_TOKEN,
  STSGATE_LOG_LEVEL: LOG_LEVEL,
  STSGATE_MQTT_PORT: String(mqttPort),
  STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1',
  // The request rate limits (0 = off) would cap every scenario far below what the server can do: the bench measures the server.
  STSGATE_RATE_LIMIT_IP_PER_MINUTE: '0',
  STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE: '0',
  STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE: '0'
}
log(`stsgate child (log level ${LOG_LEVEL}, node ${SERVER_NODE_FLAGS.join(' ')})`)
const gate = await startServerChild('stsgate', { env: serverEnv, logFile: join(workDir, 'stsgate.log'), ...(CPU_PROF_DIR === undefined ? {} : { cpuProfDir: CPU_PROF_DIR }) })
const memoryAtStart = await gate.gcSample()
const admin = adminClient(gate.url, ADMIN_TOKEN)
const origin = new URL(gate.url)

// ---- the deployment -------------------------------------------------------------
const edasLocal = await createProject(admin, 'edas-local', { contract: 'edas', target: { provider: 'local' } })
const edasAliyun = await createProject(admin, 'edas-aliyun', { contract: 'edas', target: { provider: 'aliyun', stsUrl: sts.url } })
const wsLocal = await createProject(admin, 'ws-local', { contract: 'workspace', target: { provider: 'local' } })
const wsHuawei = await createProject(admin, 'ws-huawei', { contract: 'workspace', target: { provider: 'huawei', iamUrl: iam.url } })
const iot = await createProject(admin, 'iot')
const device = await admin('POST', `/projects/${iot.projectId}/devices`, { device_id: 'bench_device_1' })

const EDAS_PATH = '/pop/v5/package_storage_credential'
const authorizePath = (p: BenchProject): string => `/v1/${p.projectId}/app-warehouse/action/authorize`
const AUTHORIZE_BODY = JSON.stringify({ app_file_name: 'Postman.exe' })
const POOL_CAP = 400_000

function roaScenario (name: string, project: BenchProject): HttpScenario {
  let pool = signedPool(0, () => ({}))
  const sign = (): Record<string, string> => signRoa(project, EDAS_PATH, origin.host)
  return {
    name, method: 'GET', path: EDAS_PATH,
    prepare: (expected) => { pool = signedPool(Math.min(POOL_CAP, expected), sign) },
    headers: () => pool.next()
  }
}

function huaweiScenario (name: string, project: BenchProject): HttpScenario {
  let pool = signedPool(0, () => ({}))
  const url = new URL(authorizePath(project), gate.url)
  const sign = (): Record<string, string> => signHuawei(project, 'POST', url, AUTHORIZE_BODY, project.projectId)
  return {
    name, method: 'POST', path: url.pathname, body: AUTHORIZE_BODY,
    prepare: (expected) => { pool = signedPool(Math.min(POOL_CAP, expected), sign) },
    headers: () => pool.next()
  }
}

const tokenScenario = (name: string, project: BenchProject, path: string, body: string): HttpScenario => ({
  name, method: 'POST', path, body,
  headers: () => ({ 'content-type': 'application/json', 'x-auth-token': project.token })
})

const baselineScenario: HttpScenario = { name: 'baseline (bare Fastify)', method: 'GET', path: '/baseline', headers: () => ({}) }
const allScenarios: HttpScenario[] = [
  roaScenario('EDAS ROA-signed, local', edasLocal),
  roaScenario('EDAS ROA-signed, aliyun (fake STS)', edasAliyun),
  huaweiScenario('Workspace SDK-HMAC-SHA256, local', wsLocal),
  tokenScenario('Workspace X-Auth-Token, local', wsLocal, authorizePath(wsLocal), AUTHORIZE_BODY),
  tokenScenario('Workspace X-Auth-Token, huawei (fake IAM)', wsHuawei, authorizePath(wsHuawei), AUTHORIZE_BODY),
  tokenScenario('IoTDA resetSecret X-Auth-Token (store write)', iot, `/v5/iot/${iot.projectId}/devices/${device.device_id as string}/action?action_id=resetSecret`, '{}')
]
const scenarios = ONLY === undefined ? allScenarios : allScenarios.filter((s, i) => ONLY.has(String(i + 1)))

// One request each: fills the caches (a warm-cache benchmark) and proves the scenario answers 200.
async function once (scenario: HttpScenario): Promise<string> {
  scenario.prepare?.(1)
  const res = await request(new URL(scenario.path, gate.url), {
    method: scenario.method, headers: scenario.headers(), ...(scenario.body === undefined ? {} : { body: scenario.body })
  })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`${scenario.name}: HTTP ${res.statusCode} ${text}`)
  return text
}
const edasReply = await once(allScenarios[0] as HttpScenario)
for (const scenario of scenarios) await once(scenario)

log(`baseline child (same flags; answers a ${Buffer.byteLength(edasReply)}-byte JSON object, the size of an EDAS reply)`)
const base = await startServerChild('baseline', { env: { STSGATE_LOG_LEVEL: LOG_LEVEL, BENCH_BASELINE_BODY: edasReply }, logFile: join(workDir, 'baseline.log') })

const run = (child: ServerChild, scenario: HttpScenario, options: { duration?: number, overallRate?: number, expectedRps: number }): Promise<RunFigures> =>
  measure(child, scenario, { connections: CONNECTIONS, duration: options.duration ?? DURATION, expectedRps: options.expectedRps, log, ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }) })

// ---- 1 + 2: warm throughput, interleaved with the baseline ---------------------------
log('JIT warm-up, 1 s each')
let guess = (await run(base, baselineScenario, { duration: 1, expectedRps: 0 })).requestsPerSecond
for (const scenario of scenarios) await run(gate, scenario, { duration: 1, expectedRps: guess })

interface ScenarioResult {
  name: string
  max: RunFigures
  baselineRps: number
  ratio: number
  /** Baseline server CPU per request ÷ this scenario's: the throughput ratio a CPU-bound server would see. */
  cpuRatio?: number
  half?: LoadFigures & { targetRate: number }
}
const baselineRuns: LoadFigures[] = []
const results: ScenarioResult[] = []
let before: RunFigures = await run(base, baselineScenario, { expectedRps: guess })
baselineRuns.push(before)
log(`baseline ${before.requestsPerSecond.toFixed(0)} req/s`)
for (const scenario of scenarios) {
  const max = await run(gate, scenario, { expectedRps: before.requestsPerSecond })
  const after = await run(base, baselineScenario, { expectedRps: guess })
  baselineRuns.push(after)
  // The baseline runs just before and just after: both saw the same machine load as this scenario.
  const baselineRps = (before.requestsPerSecond + after.requestsPerSecond) / 2
  const baselineCpu = [before.serverCpuUsPerRequest, after.serverCpuUsPerRequest].filter((x): x is number => x !== undefined)
  const cpuRatio = baselineCpu.length === 0 || max.serverCpuUsPerRequest === undefined
    ? undefined
    : (baselineCpu.reduce((a, b) => a + b, 0) / baselineCpu.length) / max.serverCpuUsPerRequest
  results.push({ name: scenario.name, max, baselineRps, ratio: max.requestsPerSecond / baselineRps, ...(cpuRatio === undefined ? {} : { cpuRatio }) })
  log(`${scenario.name}: ${max.requestsPerSecond.toFixed(0)} req/s = ${(max.requestsPerSecond / baselineRps).toFixed(2)}× baseline (${baselineRps.toFixed(0)})`)
  before = after
  guess = after.requestsPerSecond
}
const baselineRps = baselineRuns.reduce((sum, r) => sum + r.requestsPerSecond, 0) / baselineRuns.length

log('p99 at half of each one\'s max throughput')
const baselineHalfRate = Math.max(1, Math.round(baselineRps / 2))
const baselineHalf = { ...(await run(base, baselineScenario, { overallRate: baselineHalfRate, expectedRps: baselineHalfRate })), targetRate: baselineHalfRate }
for (const result of results) {
  const scenario = scenarios.find((s) => s.name === result.name) as HttpScenario
  const rate = Math.max(1, Math.round(result.max.requestsPerSecond / 2))
  result.half = { ...(await run(gate, scenario, { overallRate: rate, expectedRps: rate })), targetRate: rate }
}
const warmPhasePeakRss = gate.peakRss
const memoryAfterWarm = await gate.gcSample()

// ---- 3: cold-scope storm ---------------------------------------------------------
interface StormResult { scopes: number, requests: number, projects: number, upstreamCalls: number, fakeIamCalls: number, ok: number, failed: number, statuses: Record<string, number>, seconds: number }
const storms: StormResult[] = []
for (const scopes of STORMS.filter((n) => n > 0)) {
  const projects: BenchProject[] = []
  for (let i = 0; i < Math.ceil(scopes / MINT_BURST); i++) {
    projects.push(await createProject(admin, `storm-${scopes}-${i}`, { contract: 'workspace', target: { provider: 'huawei', iamUrl: iam.url } }))
  }
  const requests = scopes * 10
  const agent = new Agent({ connections: requests, pipelining: 1 })
  const callsBefore = (await gate.counters()).credentials.upstreamCalls.huawei as number
  const iamBefore = iam.calls.length
  const t0 = Date.now()
  const statuses = await Promise.all(Array.from({ length: requests }, async (_, i) => {
    const scope = i % scopes
    const project = projects[Math.floor(scope / MINT_BURST)] as BenchProject
    const res = await request(new URL(authorizePath(project), gate.url), {
      method: 'POST', dispatcher: agent,
      headers: { 'content-type': 'application/json', 'x-auth-token': project.token },
      body: JSON.stringify({ app_file_name: `cold-${scope}.exe` })
    })
    await res.body.dump()
    return res.statusCode
  }))
  const seconds = (Date.now() - t0) / 1000
  await agent.close()
  const callsAfter = (await gate.counters()).credentials.upstreamCalls.huawei as number
  const ok = statuses.filter((s) => s === 200).length
  // What the others got (the overload guard's 503, a budget's 429…): a refusal is a figure too.
  const byStatus: Record<string, number> = {}
  for (const status of statuses) byStatus[status] = (byStatus[status] ?? 0) + 1
  storms.push({ scopes, requests, projects: projects.length, upstreamCalls: callsAfter - callsBefore, fakeIamCalls: iam.calls.length - iamBefore, ok, failed: requests - ok, statuses: byStatus, seconds })
  log(`storm: ${requests} concurrent requests, ${scopes} cold scopes → ${callsAfter - callsBefore} upstream calls (statuses ${JSON.stringify(byStatus)})`)
}

// ---- 4: MQTT storage_config_get ---------------------------------------------------
let mqttFigures: DockFigures | undefined
if (DOCKS > 0) {
  const dockProject = await createProject(admin, 'docks')
  const targetId = await createTarget(admin, dockProject.projectId, { provider: 'local' })
  const logins = []
  for (let i = 0; i < DOCKS; i++) {
    const sn = `BENCHDOCK${String(i).padStart(4, '0')}`
    const gw = await admin('POST', `/projects/${dockProject.projectId}/gateways`, { sn, target_id: targetId })
    logins.push({ sn, username: gw.username as string, password: gw.password as string })
  }
  // A broker that refuses the docks (e.g. its login limits) fails this phase, not the whole run.
  try {
    const docks = await connectDocks(`mqtt://127.0.0.1:${mqttPort}`, logins)
    await warmDocks(docks)
    await runDocks(docks, { seconds: 1, window: DOCK_WINDOW })
    mqttFigures = await runDocks(docks, { seconds: DURATION * 2, window: DOCK_WINDOW })
    await closeDocks(docks)
    log(`mqtt: ${mqttFigures.repliesPerSecond.toFixed(0)} replies/s, p99 ${mqttFigures.p99Ms.toFixed(1)} ms`)
  } catch (err) {
    log(`  ! mqtt phase failed: ${(err as Error).message}`)
  }
}

// ---- 5: memory under a long run (leak check) -----------------------------------------
const leakScenario = tokenScenario('Workspace X-Auth-Token, local', wsLocal, authorizePath(wsLocal), AUTHORIZE_BODY)
const leakBefore = await gate.gcSample()
gate.resetPeak()
log(LEAK_REQUESTS === undefined ? `leak check: ${LEAK_SECONDS} s of warm vends` : `leak check: ${LEAK_REQUESTS} warm vends`)
const leakRun = await load(gate.url, leakScenario, {
  connections: CONNECTIONS, duration: LEAK_SECONDS, expected: 0, ...(LEAK_REQUESTS === undefined ? {} : { amount: LEAK_REQUESTS })
})
const leakPeakRss = gate.peakRss
const leakAfter = await gate.gcSample()
await new Promise((resolve) => setTimeout(resolve, 2000))
const leakSettled = await gate.gcSample()
const perMillion = (delta: number): number => leakRun.requests === 0 ? 0 : delta * 1_000_000 / leakRun.requests

const finalCounters = await gate.counters()
const peakRss = Math.max(...gate.samples.map((s) => s.rss))
await base.stop()
await gate.stop()
await sts.close()
await iam.close()

// ---- 6: the shipped defaults (info logs, rate limits on) against like-for-like baselines; signed soak ----
const shippedDefaults = await runShippedDefaults({ adminToken: ADMIN_TOKEN, workDir, duration: DURATION, connections: CONNECTIONS, soakSeconds: SOAK_SECONDS, log })

// ---- 7: the same on PostgreSQL ------------------------------------------------------------
const postgres = DATABASE_URL === undefined
  ? null
  : await runOnPostgres({ databaseUrl: DATABASE_URL, adminToken: ADMIN_TOKEN, workDir, connections: CONNECTIONS, soakSeconds: PG_SOAK_SECONDS, log })
if (postgres === null) log('PostgreSQL phase skipped (set BENCH_DATABASE_URL)')

// ---- report --------------------------------------------------------------------------
const cpu = cpus()
const resultsJson = {
  machine: {
    os: `${platform()} ${release()}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 1024 ** 3 * 10) / 10,
    node: process.version,
    date: new Date().toISOString(),
    note: 'shared machine: other test suites were running; compare ratios, not absolute figures'
  },
  settings: {
    durationSeconds: DURATION, connections: CONNECTIONS, logLevel: LOG_LEVEL, serverNodeFlags: SERVER_NODE_FLAGS,
    docks: DOCKS, dockWindow: DOCK_WINDOW, leakSeconds: LEAK_REQUESTS === undefined ? LEAK_SECONDS : null, leakRequests: LEAK_REQUESTS ?? null,
    upstreamDelayMs: 50, cpuProfile: CPU_PROF_DIR ?? null, soakSeconds: SOAK_SECONDS, postgresSoakSeconds: DATABASE_URL === undefined ? null : PG_SOAK_SECONDS
  },
  baseline: { requestsPerSecondMean: baselineRps, runs: baselineRuns, half: baselineHalf, replyBytes: Buffer.byteLength(edasReply) },
  scenarios: results,
  storms,
  mqtt: mqttFigures ?? null,
  memory: {
    rssAtStartMb: MB(memoryAtStart.rss),
    peakRssWarmPhaseMb: MB(warmPhasePeakRss),
    heapAfterWarmPhaseMb: MB(memoryAfterWarm.heapUsed),
    rssAfterWarmPhaseMb: MB(memoryAfterWarm.rss),
    peakRssMb: MB(peakRss),
    leak: {
      requests: leakRun.requests,
      requestsPerSecond: leakRun.requestsPerSecond,
      non2xx: leakRun.non2xx,
      extrapolated: LEAK_REQUESTS === undefined || leakRun.requests < 1_000_000,
      before: { rssMb: MB(leakBefore.rss), heapUsedMb: MB(leakBefore.heapUsed) },
      peakRssMb: MB(leakPeakRss),
      after: { rssMb: MB(leakAfter.rss), heapUsedMb: MB(leakAfter.heapUsed) },
      settled: { rssMb: MB(leakSettled.rss), heapUsedMb: MB(leakSettled.heapUsed) },
      heapGrowthPerMillionMb: MB(perMillion(leakSettled.heapUsed - leakBefore.heapUsed)),
      rssGrowthPerMillionMb: MB(perMillion(leakSettled.rss - leakBefore.rss))
    }
  },
  counters: finalCounters,
  starts,
  shippedDefaults,
  postgres,
  totalSeconds: (Date.now() - started) / 1000
}
await writeFile(new URL('../../bench/results.json', import.meta.url), JSON.stringify(resultsJson, null, 2) + '\n')
printTable(resultsJson)
log(`done in ${resultsJson.totalSeconds.toFixed(0)} s; bench/results.json written; server logs in ${workDir}`)
// Whatever a failed phase left open (an MQTT client, a socket), the run ends here.
process.exit(0)
