import { performance } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import type { FastifyInstance } from 'fastify'
import underPressure from '@fastify/under-pressure'
import fp from 'fastify-plugin'
import { unavailable } from '../errors.js'

/**
 * Load shedding (issue 10): when the event loop lags or the heap is nearly
 * full, new requests are refused at once with the contract's own 503
 * (`unavailable`/`overloaded`, Retry-After) instead of queueing until every
 * caller times out. The measurements are sampled once a second by
 * @fastify/under-pressure; each request only compares two numbers.
 */
export interface OverloadSettings {
  /** Mean event-loop delay over the last sample, in ms; 0 = not checked. */
  maxEventLoopDelayMs: number
  /** Heap used, in bytes; 0 = not checked. */
  maxHeapUsedBytes: number
  /** How often the measurements are taken (default 1 s); tests shorten it. */
  sampleIntervalMs?: number
}

/** The default heap ceiling: 90 % of what V8 will allow this process (it honours --max-old-space-size). */
export const defaultMaxHeapUsedBytes = (): number => Math.floor(getHeapStatistics().heap_size_limit * 0.9)

/** Seconds a refused caller is told to wait: about one sampling interval and then some. */
const RETRY_AFTER_SECONDS = 5

/*
 * Liveness (/healthz) must not fail just because the process is busy: an
 * orchestrator would restart a loaded but healthy instance. Readiness (/readyz)
 * does fail, so that load balancers send traffic elsewhere.
 */

/*
 * Start-up is not overload: loading modules, compiling routes and opening the
 * store block the event loop for seconds, and the plugin's first samples (taken
 * from registration on) report that as delay — a fresh instance in a rolling
 * restart on a busy host would refuse traffic it can serve. So the delay counts
 * only once a sample taken wholly after the app was ready can have replaced
 * them: the sample running at ready time ends within one interval, the next one
 * within two; half an interval more allows for a late timer on a busy host.
 * /readyz is answered by the same handler, so it agrees with what requests get.
 */
const GRACE_INTERVALS = 2.5
const DEFAULT_SAMPLE_INTERVAL_MS = 1000

export const OVERLOAD_PLUGIN = 'stsgate-overload'

/** The first application-wide hook: the cheapest refusal comes before anything else is done. */
export const overloadGuard = fp(async (app: FastifyInstance, settings: OverloadSettings): Promise<void> => {
  const graceMs = GRACE_INTERVALS * (settings.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS)
  let delayCountsFrom = Infinity
  app.addHook('onReady', async () => { delayCountsFrom = performance.now() + graceMs })
  await app.register(underPressure, {
    maxEventLoopDelay: settings.maxEventLoopDelayMs,
    maxHeapUsedBytes: settings.maxHeapUsedBytes,
    ...(settings.sampleIntervalMs === undefined ? {} : { sampleInterval: settings.sampleIntervalMs }),
    // A rejected promise routes the refusal through the error handler of the
    // route's context, so each contract answers in its own dialect.
    pressureHandler: (req, reply, type, value) => {
      if (req.url === '/healthz') return undefined
      if (type === 'eventLoopDelay' && performance.now() < delayCountsFrom) return undefined
      reply.header('retry-after', String(RETRY_AFTER_SECONDS))
      if (req.url === '/readyz') {
        // Readiness has its own body ({status}). The plugin sends a returned value as
        // the answer (its type says void, its code says otherwise: index.js handlePressure).
        reply.code(503)
        return { status: 'overloaded' } as unknown as undefined
      }
      return Promise.reject(unavailable('overloaded', 'the service is overloaded; retry shortly', { type, value }))
    }
  })
}, { name: OVERLOAD_PLUGIN })
