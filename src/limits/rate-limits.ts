import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import rateLimit, { normalizeIP, type RateLimitPluginOptions } from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { throttled, type DomainError } from '../errors.js'
import { WindowCounters } from './window-counters.js'
import { OVERLOAD_PLUGIN } from './overload.js'

/**
 * Request rate limits (issue 10), counted per minute:
 * - per client address, before authentication (every route but the health
 *   probes): bounds what an unauthenticated caller can make us do — signature
 *   checks, store look-ups, admin token comparisons. `req.ip` honours
 *   STSGATE_TRUST_PROXY; IPv6 addresses count per /64, as one host gets a whole /64.
 * - per verified principal (access key or token) and per project, after
 *   authentication: one key may legitimately serve a fleet from many
 *   addresses, so these are higher than the address limit and stop a leaked
 *   key or a runaway client from exhausting the project's upstream budget.
 * Counters live in Redis when STSGATE_REDIS_URL is set, so the limit holds
 * across instances; otherwise in the instance's own fixed-window counters
 * (window-counters.ts: a Map increment per request, synchronous hooks).
 */
export interface RateLimitSettings {
  /** Requests per minute; 0 turns that limit off. */
  perAddress: number
  perPrincipal: number
  perProject: number
  redis?: Redis
  /** Redis key prefix (STSGATE_REDIS_PREFIX). */
  prefix: string
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>

const WINDOW_MS = 60_000
/** Distinct clients remembered per limiter; beyond this the least recent are forgotten. */
const LOCAL_ENTRIES = 20_000

/**
 * One counter through the plugin's public API: registered in a context of its
 * own with its own limit and key, so its store (Redis with `redis`/`nameSpace`,
 * else the plugin's in-process LRU) is the plugin's, used as documented.
 */
async function counter (app: FastifyInstance, options: RateLimitPluginOptions): Promise<Limiter> {
  let create: FastifyInstance['createRateLimit'] | undefined
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false, timeWindow: WINDOW_MS, ...options })
    create = scope.createRateLimit
  })
  return create!()
}

/**
 * Redis counters with the instance's own counters behind them. When Redis
 * fails (down, or slower than the client's command timeout) the limit is
 * still enforced, per instance: fail closed enough that no caller becomes
 * unlimited, open enough that an outage of a shared cache does not take the
 * credential service down with it. The replay guard, which protects a
 * security property rather than capacity, fails closed instead.
 */
function withFallback (shared: Limiter, local: Limiter, onFallback: (err: Error) => void): Limiter {
  return (async (req: FastifyRequest) => {
    try {
      return await shared(req)
    } catch (err) {
      onFallback(err as Error)
      return await local(req)
    }
  }) as Limiter
}
type Hook = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void
type Check = (req: FastifyRequest, reply: FastifyReply) => Promise<DomainError | undefined> | DomainError | undefined

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The per-caller hook: counts an authenticated request against its
     * principal and its project; throws `throttled`/`rate_limited` over either.
     * Contracts list it right after their authentication hook.
     */
    limitCaller: Hook
  }
}

export const RATE_LIMITS_PLUGIN = 'stsgate-rate-limits'

const HEALTH_PROBES = new Set(['/healthz', '/readyz'])

/**
 * Registers @fastify/rate-limit (no global hook: we call the limiters where
 * they belong), the per-address hook and the `limitCaller` decoration. After
 * the overload guard: under load, shedding is the cheaper refusal.
 */
export const rateLimits = fp(async (app: FastifyInstance, settings: RateLimitSettings): Promise<void> => {
  let lastWarning = 0
  const onFallback = (err: Error): void => {
    // One line per ten seconds, not one per request, while Redis is away.
    if (Date.now() - lastWarning < 10_000) return
    lastWarning = Date.now()
    app.log.warn({ err }, 'rate-limit counters in redis unavailable; counting per instance')
  }
  const redis = settings.redis
  const refusal = (reply: FastifyReply, seconds: number): DomainError => {
    reply.header('retry-after', String(seconds))
    return throttled('rate_limited', `too many requests; retry after ${seconds} seconds`)
  }
  const limiter = async (max: number, key: (req: FastifyRequest) => string | undefined): Promise<Check | undefined> => {
    if (max <= 0) return undefined
    if (redis === undefined) {
      // The instance's own counters: one Map increment, no promise.
      const counters = new WindowCounters(WINDOW_MS, LOCAL_ENTRIES)
      return (req, reply) => {
        const k = key(req)
        if (k === undefined || counters.hit(k) <= max) return undefined
        return refusal(reply, counters.secondsLeft())
      }
    }
    const keyGenerator = (req: FastifyRequest): string => key(req) ?? ''
    const local = await counter(app, { max, keyGenerator, cache: LOCAL_ENTRIES })
    const check = withFallback(await counter(app, { max, keyGenerator, redis, nameSpace: `${settings.prefix}rate:` }), local, onFallback)
    return async (req, reply) => {
      if (key(req) === undefined) return undefined
      const result = await check(req)
      if (result.isAllowed || !result.isExceeded) return undefined
      return refusal(reply, Math.max(1, result.ttlInSeconds))
    }
  }
  /** A hook from checks: synchronous when every check is (no Redis), a promise only when one is not. */
  const hook = (checks: Array<Check | undefined>): Hook => {
    const active = checks.filter((c): c is Check => c !== undefined)
    return (req, reply, done) => {
      let i = 0
      const next = (refused?: DomainError): void => {
        while (refused === undefined && i < active.length) {
          const outcome = (active[i++] as Check)(req, reply)
          if (outcome instanceof Promise) {
            outcome.then(next, done)
            return
          }
          refused = outcome
        }
        done(refused)
      }
      next()
    }
  }

  const byAddress = await limiter(settings.perAddress, (req) => HEALTH_PROBES.has(req.url) ? undefined : `ip:${normalizeIP(req.ip)}`)
  if (byAddress !== undefined) app.addHook('onRequest', hook([byAddress]))
  const byPrincipal = await limiter(settings.perPrincipal, (req) => req.caller === null ? undefined : `principal:${req.caller.principal}`)
  const byProject = await limiter(settings.perProject, (req) => req.caller === null ? undefined : `project:${req.caller.projectId}`)
  app.decorate('limitCaller', hook([byPrincipal, byProject]))
}, { name: RATE_LIMITS_PLUGIN, dependencies: [OVERLOAD_PLUGIN] })
