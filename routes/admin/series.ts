import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminErrors } from '../../schemas/admin.js'
import { Series } from '../../schemas/series.js'
import { SERIES_INTERVAL_MS, type SeriesPoint } from '../../src/operations/series.js'
import { adminDocs } from './common.js'

const pointView = (p: SeriesPoint, seconds: number, partial: boolean) => ({
  at: new Date(p.at).toISOString(),
  partial,
  vends: p.vends,
  vends_per_minute: Math.round((p.vends * 60 / seconds) * 100) / 100,
  cache_hit_ratio: p.vends === 0 ? null : p.hits / p.vends,
  upstream: Object.fromEntries(Object.keys(p.upstreamCalls).map((name) => [name, {
    calls: p.upstreamCalls[name as keyof typeof p.upstreamCalls], failures: p.upstreamFailures[name as keyof typeof p.upstreamFailures]
  }])),
  mqtt_sessions: p.mqttSessions
})

/** The console's Overview charts. */
const series: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/series', {
    schema: {
      ...adminDocs,
      summary: 'This instance\'s last hour: vends per minute, cache hit ratio, upstream calls and failures, MQTT sessions',
      description: 'One point every 10 s, kept in memory by the instance that answers (behind a load balancer, ask each instance); ' +
        'a restart starts empty. The last point is the interval still open.',
      response: { 200: Series, ...adminErrors() }
    }
  }, async () => {
    const { points, current } = app.series.read()
    const interval = SERIES_INTERVAL_MS / 1000
    return {
      instance: app.vendAudit.chain.slice('vend:'.length),
      interval_seconds: interval,
      // The open interval counts at least a whole one, so a single vend a moment ago is not a spike.
      points: [...points.map((p) => pointView(p, interval, false)), pointView(current, interval, true)]
    }
  })
}
export default series
