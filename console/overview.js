import { api } from './api.js'
import { h, table, when } from './dom.js'

// Overview: this instance's last hour, one point every 10 s, plus upstream health.
const PROVIDER_COLOURS = { local: '#2457c5', aliyun: '#e8710a', aws: '#7a3fb8', huawei: '#c0262d' }

function chart (el, title, series, data, opts = {}) {
  const width = Math.max(320, el.clientWidth - 8)
  const plot = new window.uPlot({
    width,
    height: 180,
    scales: { x: { time: true }, y: opts.range === undefined ? {} : { range: opts.range } },
    axes: [{}, { size: 50 }],
    legend: { show: true },
    series: [{}, ...series]
  }, data, el)
  el.dataset.points = String(data[0].length)
  el.dataset.last = String(data[1]?.at(-1) ?? '')
  return plot
}

export async function renderOverview (main, signal) {
  const [status, series] = await Promise.all([api('GET', '/status'), api('GET', '/series')])
  if (signal.aborted) return
  const points = series.points
  const x = points.map((p) => Date.parse(p.at) / 1000)
  const providers = Object.keys(points.at(-1)?.upstream ?? {}).filter((p) => points.some((pt) => pt.upstream[p].calls > 0))
  const charts = h('div', { class: 'grid' })
  const box = (id, title) => { const el = h('section', { class: 'card chart', id }, h('h3', {}, title)); charts.append(el); return el }
  main.replaceChildren(
    h('h1', {}, 'Overview'),
    h('p', { class: 'note' }, `Instance ${series.instance}, version ${status.version}, up ${status.uptime_seconds} s. ` +
      `Charts cover the last hour of this instance only (one point every ${series.interval_seconds} s, kept in memory; the last point is the interval still open). ` +
      'Behind a load balancer, each refresh may show another instance.'),
    charts,
    h('section', { class: 'card' }, h('h2', {}, 'Upstream health'), upstreamTable(status.upstream)),
    h('section', { class: 'card' }, h('h2', {}, 'This instance'),
      h('p', {}, `Store ${status.store.kind}: `, h('span', { class: status.store.ready ? 'ok' : 'bad' }, status.store.ready ? 'ready' : 'not reachable'),
        `. Credential cache: ${status.cache.entries} entries. MQTT: ${status.mqtt.mode}${status.mqtt.connections === null ? '' : `, ${status.mqtt.connections} sessions`}.`))
  )
  chart(box('chart-vends', 'Vends per minute'), '', [{ label: 'vends/min', stroke: '#2457c5', width: 2 }], [x, points.map((p) => p.vends_per_minute)])
  chart(box('chart-hits', 'Cache hit ratio (%)'), '', [{ label: 'hit %', stroke: '#067647', width: 2 }],
    [x, points.map((p) => p.cache_hit_ratio === null ? null : Math.round(p.cache_hit_ratio * 1000) / 10)], { range: [0, 100] })
  const upstreamSeries = providers.flatMap((p) => [
    { label: `${p} calls`, stroke: PROVIDER_COLOURS[p], width: 2 },
    { label: `${p} failures`, stroke: PROVIDER_COLOURS[p], dash: [4, 4], width: 2 }
  ])
  chart(box('chart-upstream', 'Upstream calls and failures per provider'), '',
    upstreamSeries.length === 0 ? [{ label: 'calls', stroke: '#98a2b3' }] : upstreamSeries,
    [x, ...(providers.length === 0 ? [points.map(() => 0)] : providers.flatMap((p) => [points.map((pt) => pt.upstream[p].calls), points.map((pt) => pt.upstream[p].failures)]))])
  const mqtt = box('chart-mqtt', 'MQTT sessions')
  if (points.every((p) => p.mqtt_sessions === null)) mqtt.append(h('p', { class: 'note' }, `No embedded broker on this instance (MQTT ${status.mqtt.mode}): sessions are counted by the broker itself.`))
  else chart(mqtt, '', [{ label: 'sessions', stroke: '#7a3fb8', width: 2 }], [x, points.map((p) => p.mqtt_sessions)])
}

function upstreamTable (upstream) {
  const rows = Object.entries(upstream).map(([provider, u]) => ({ provider, ...u }))
  return table([
    { label: 'Provider', cell: (r) => r.provider },
    { label: 'State', cell: (r) => h('span', { class: r.consecutive_failures === 0 ? 'ok' : 'bad' }, r.consecutive_failures === 0 ? 'ok' : `failing (${r.consecutive_failures} in a row)`) },
    { label: 'Last success', cell: (r) => when(r.last_success_at) },
    { label: 'Last failure', cell: (r) => when(r.last_failure_at) },
    { label: 'Failure code', cell: (r) => r.last_failure_code ?? '—', mono: true }
  ], rows, 'No upstream called since this instance started.')
}
