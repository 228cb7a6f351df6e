import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminErrors } from '../../schemas/admin.js'
import { Status } from '../../schemas/status.js'
import type { UpstreamState } from '../../src/credentials/service.js'
import { adminDocs } from './common.js'

const upstreamView = (s: UpstreamState) => ({
  last_success_at: s.lastSuccessAt?.toISOString() ?? null,
  last_failure_at: s.lastFailureAt?.toISOString() ?? null,
  last_failure_code: s.lastFailureCode,
  consecutive_failures: s.consecutiveFailures
})

/** `stsgate status`: health, cache and upstream state of the instance that answers. */
const status: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/status', {
    schema: {
      ...adminDocs,
      summary: 'This instance: version, uptime, store, credential cache, upstream state, MQTT',
      description: 'Answers 200 even when the store is down (`store.ready: false`), so an operator sees why; ' +
        'behind a load balancer each call reports whichever instance answered.',
      response: { 200: Status, ...adminErrors() }
    }
  }, async (req) => {
    const { credentials, operations, store } = app
    let ready = true
    try {
      await store.ping()
    } catch (err) {
      req.log.warn({ err }, 'store not reachable')
      ready = false
    }
    return {
      version: operations.version,
      uptime_seconds: operations.uptimeSeconds(),
      store: { kind: store.kind, ready },
      cache: { entries: credentials.cacheSize, hits: credentials.counters.hits, misses: credentials.counters.misses },
      upstream: Object.fromEntries(Object.entries(credentials.upstreamState()).map(([name, s]) => [name, upstreamView(s)])),
      mqtt: operations.mqttStatus()
    }
  })
}
export default status
