import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import { RATE_LIMITS_PLUGIN } from '../src/limits/rate-limits.js'
import { AUTHENTICATION_PLUGIN } from './authenticate.js'

/**
 * A contract plugin: encapsulated (its error dialect, not-found and hooks stay
 * under its prefix), named, and registered only after what it relies on —
 * authentication, the per-caller rate limit and the services it reads — which
 * Fastify checks at registration instead of a comment asking for an order.
 */
export function contractPlugin<Options extends Record<string, unknown> = Record<never, never>> (
  name: string,
  plugin: FastifyPluginAsyncTypebox<Options>,
  services: readonly string[]
): FastifyPluginAsyncTypebox<Options> {
  return fp(plugin, {
    name: `stsgate-${name}`,
    encapsulate: true,
    dependencies: [AUTHENTICATION_PLUGIN, RATE_LIMITS_PLUGIN],
    decorators: { fastify: ['dialects', ...services] }
  }) as FastifyPluginAsyncTypebox<Options>
}
