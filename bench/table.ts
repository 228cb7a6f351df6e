/** Prints bench/results.json as tables (stdout), with the issue's targets beside the figures. */

const f0 = (n: number): string => Number.isFinite(n) ? n.toFixed(0) : '–'
const f1 = (n: number): string => Number.isFinite(n) ? n.toFixed(1) : '–'
const f2 = (n: number): string => Number.isFinite(n) ? n.toFixed(2) : '–'
const mean = (xs: Array<number | undefined>): number => {
  const known = xs.filter((x): x is number => typeof x === 'number')
  return known.length === 0 ? NaN : known.reduce((a, b) => a + b, 0) / known.length
}

function table (head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

export function printTable (r: any): void {
  const out: string[] = []
  const m = r.machine
  out.push(`Machine: ${m.os}, ${m.cpu} × ${m.cores}, ${m.memoryGb} GB, Node ${m.node}, ${m.date}`)
  out.push(`Settings: ${r.settings.durationSeconds} s per run, ${r.settings.connections} connections, log level ${r.settings.logLevel}, server flags ${r.settings.serverNodeFlags.join(' ')}`)
  out.push('')
  out.push(table(
    ['scenario', 'req/s', '× baseline', 'server µs CPU/req', '× baseline (CPU)', 'p50 ms', 'p99 ms', 'p99 @ ½ max (rate)', 'non-2xx'],
    [
      ['baseline (bare Fastify, mean of runs)', f0(r.baseline.requestsPerSecondMean), '1.00',
        f1(mean(r.baseline.runs.map((x: any) => x.serverCpuUsPerRequest))), '1.00', f1(r.baseline.runs[0].p50Ms), f1(r.baseline.runs[0].p99Ms),
        `${f1(r.baseline.half.p99Ms)} (${f0(r.baseline.half.targetRate)}/s)`, String(r.baseline.runs.reduce((s: number, x: any) => s + x.non2xx, 0))],
      ...r.scenarios.map((s: any) => [s.name, f0(s.max.requestsPerSecond), f2(s.ratio), f1(s.max.serverCpuUsPerRequest ?? NaN), f2(s.cpuRatio ?? NaN),
        f1(s.max.p50Ms), f1(s.max.p99Ms), s.half === undefined ? '–' : `${f1(s.half.p99Ms)} (${f0(s.half.targetRate)}/s)`, String(s.max.non2xx)])
    ]))
  out.push('× baseline (CPU): the baseline\'s server CPU per request ÷ the scenario\'s — the throughput ratio when the server alone is CPU-bound (robust on a shared machine)')
  out.push('targets: warm vend ≥ 0.90× baseline; p99 ≤ 10 ms at half of max throughput')
  out.push('')
  if (r.storms.length > 0) {
    out.push(table(['cold-scope storm', 'scopes M', 'requests N', 'upstream calls', 'fake IAM calls', '200s', 'others', 'seconds'],
      r.storms.map((s: any) => [`${s.projects} project(s)`, String(s.scopes), String(s.requests), String(s.upstreamCalls), String(s.fakeIamCalls), String(s.ok), Object.entries(s.statuses ?? {}).filter(([k]) => k !== '200').map(([k, n]) => `${String(n)} × ${k}`).join(', ') || '–', f2(s.seconds)])))
    out.push('target: upstream calls = M exactly')
    out.push('')
  }
  if (r.mqtt !== null) {
    out.push(table(['MQTT storage_config_get', 'docks', 'window', 'replies/s', 'p50 ms', 'p99 ms', 'failed'],
      [['embedded broker, QoS 1', String(r.mqtt.docks), String(r.mqtt.window), f0(r.mqtt.repliesPerSecond), f1(r.mqtt.p50Ms), f1(r.mqtt.p99Ms), String(r.mqtt.failedReplies)]]))
    out.push('target: ≥ 5,000 replies/s on 2 cores')
    out.push('')
  }
  const mem = r.memory
  const leak = mem.leak
  out.push(table(['memory (server child)', 'RSS MB', 'heap used MB'], [
    ['at start (after gc)', f1(mem.rssAtStartMb), '–'],
    ['peak, warm scenarios', f1(mem.peakRssWarmPhaseMb), '–'],
    ['after warm scenarios (gc)', f1(mem.rssAfterWarmPhaseMb), f1(mem.heapAfterWarmPhaseMb)],
    ['peak, whole run', f1(mem.peakRssMb), '–'],
    [`leak check: before (${leak.requests} requests at ${f0(leak.requestsPerSecond)}/s)`, f1(leak.before.rssMb), f1(leak.before.heapUsedMb)],
    ['leak check: peak', f1(leak.peakRssMb), '–'],
    ['leak check: after (gc, +2 s)', f1(leak.settled.rssMb), f1(leak.settled.heapUsedMb)],
    [`growth per 1M requests${leak.extrapolated === true ? ' (extrapolated)' : ''}`, f1(leak.rssGrowthPerMillionMb), f1(leak.heapGrowthPerMillionMb)]
  ]))
  out.push('target: RSS ≤ 150 MB under load, flat after')
  out.push('')
  printIssueTargets(r, out)
  process.stdout.write(out.join('\n') + '\n')
}

/** The shipped defaults, the signed soak, memory and start times: what the README's Performance table shows. */
function printIssueTargets (r: any, out: string[]): void {
  const d = r.shippedDefaults
  if (d !== undefined && d !== null) {
    out.push('Shipped defaults (log level info, rate limits on), each against a bare Fastify route at the same level, same method, body and reply size:')
    out.push(table(['scenario', 'req/s', 'baseline', 'baseline req/s', '× baseline', 'server µs CPU/req', '× baseline (CPU)', 'p99 ms', 'non-2xx'],
      d.scenarios.map((s: any) => [s.name, f0(s.max.requestsPerSecond), s.baselineName.startsWith('baseline GET') ? 'GET' : 'POST', f0(s.baselineRps), f2(s.ratio),
        f1(s.max.serverCpuUsPerRequest ?? NaN), f2(s.cpuRatio ?? NaN), f1(s.max.p99Ms), String(s.max.non2xx)])))
    out.push(`baseline server µs CPU/req: GET ${f1(mean(d.baselines.get.map((x: any) => x.serverCpuUsPerRequest)))}, POST ${f1(mean(d.baselines.post.map((x: any) => x.serverCpuUsPerRequest)))}`)
    out.push(table(['same scenarios, both servers held at one rate', 'req/s', 'baseline µs CPU/req', 'stsgate µs CPU/req', '× baseline (CPU, equal rate)'],
      d.scenarios.filter((s: any) => s.equalRate !== undefined).map((s: any) => [s.name, f0(s.equalRate.requestsPerSecond),
        f1(s.equalRate.baselineCpuUsPerRequest ?? NaN), f1(s.equalRate.cpuUsPerRequest ?? NaN), f2(s.equalRate.cpuRatio ?? NaN)])))
    out.push('targets: Workspace token ≥ 0.85× POST; EDAS ROA ≥ 0.7× GET; Workspace SDK-HMAC ≥ 0.6× POST')
    out.push('')
    const s = d.soak
    out.push(table(['signed soak (SDK-HMAC, shipped defaults)', 'value'], [
      ['requests (rate)', `${s.requests} (${f0(s.requestsPerSecond)}/s, ${s.non2xx} non-2xx)`],
      ['replay window entries before → after', `${s.replayEntriesBefore ?? '–'} → ${s.replayEntriesAfter ?? '–'}`],
      ['replay window bytes per entry', s.replayBytesPerEntry === null ? '–' : f1(s.replayBytesPerEntry)],
      ['heap used MB before → after (gc)', `${f1(s.heapBeforeMb)} → ${f1(s.heapAfterMb)}`],
      ['RSS MB before → after (gc)', `${f1(s.rssBeforeMb)} → ${f1(s.rssAfterMb)}`]
    ]))
    out.push('target: replay memory ≤ 16 B per remembered nonce')
    out.push('')
  }
  const st = r.starts
  const pg = r.postgres
  const rows: string[][] = []
  if (d !== undefined && d !== null) {
    rows.push(['embedded PGlite: RSS at rest after provisioning (gc)', `${f1(d.rssAtRestAfterProvisioningMb)} MB`, '≤ 160 MB'])
    rows.push(['embedded PGlite: peak RSS, whole phase incl. soak (VmHWM)', `${f1(d.peakRssMb)} MB`, '≤ 200 MB'])
  }
  if (pg !== undefined && pg !== null) {
    rows.push(['PostgreSQL: RSS at rest after provisioning (gc)', `${f1(pg.rssAtRestAfterProvisioningMb)} MB`, '≤ 130 MB'])
    rows.push([`PostgreSQL: peak RSS incl. ${f0(pg.soakSeconds)} s signed soak (VmHWM)`, `${f1(pg.peakRssMb)} MB`, '–'])
    rows.push(['PostgreSQL: start (fork → listening)', `${f2(pg.startMs / 1000)} s`, '–'])
  }
  if (st !== undefined && st !== null) {
    rows.push(['first start, empty data dir (fork → listening)', `${f2(st.first.ms / 1000)} s`, '≤ 4 s'])
    rows.push(['  initdb child peak RSS', `${f1(st.first.childPeakRssMb)} MB`, '–'])
    rows.push(['  RSS at rest after first start (gc)', `${f1(st.first.rssAtRestMb)} MB`, '–'])
    rows.push(['restart (fork → listening)', `${f2(st.restart.ms / 1000)} s`, '≤ 1.5 s'])
    rows.push(['  RSS at rest after restart (gc)', `${f1(st.restart.rssAtRestMb)} MB`, '–'])
  }
  if (rows.length > 0) out.push(table(['memory and start', 'measured', 'target'], rows))
}
