import { command, type Command } from './command-spec.js'

interface UpstreamView { last_success_at: string | null, last_failure_at: string | null, last_failure_code: string | null, consecutive_failures: number }
interface StatusView {
  version: string
  uptime_seconds: number
  store: { kind: string, ready: boolean }
  cache: { entries: number, hits: number, misses: number }
  upstream: Record<string, UpstreamView>
  mqtt: { mode: string, connections: number | null }
}

/** One line per upstream: what an operator checks first when vends fail. */
function upstreamLine (u: UpstreamView): string {
  const state = u.consecutive_failures === 0 ? 'ok' : `failing (${u.consecutive_failures} in a row, last ${u.last_failure_code ?? 'error'} at ${u.last_failure_at ?? '?'})`
  return u.last_success_at === null ? `${state}, never succeeded` : `${state}, last success ${u.last_success_at}`
}

/** `stsgate status`: GET /admin/v1/status of whichever instance answers. */
export const statusCommand: Command = command({
  args: [],
  summary: 'version, uptime, store, cache, upstream state and MQTT of the instance that answers',
  async run ({ client }) {
    const data = await client.call('GET', '/status') as StatusView
    const hitRate = data.cache.hits + data.cache.misses === 0 ? '-' : `${Math.round(100 * data.cache.hits / (data.cache.hits + data.cache.misses))}%`
    const object: Record<string, unknown> = {
      version: data.version,
      uptime: `${data.uptime_seconds} s`,
      store: `${data.store.kind}, ${data.store.ready ? 'ready' : 'NOT REACHABLE'}`,
      cache: `${data.cache.entries} entries, ${data.cache.hits} hits, ${data.cache.misses} misses (hit rate ${hitRate})`,
      mqtt: data.mqtt.connections === null ? data.mqtt.mode : `${data.mqtt.mode}, ${data.mqtt.connections} connections`
    }
    const providers = Object.entries(data.upstream)
    if (providers.length === 0) object.upstream = 'not called since start'
    for (const [name, u] of providers) object[`upstream ${name}`] = upstreamLine(u)
    return { data, object }
  }
})
