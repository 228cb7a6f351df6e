import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { adminErrors } from '../schemas/admin.js'
import type { ServiceMetrics } from '../src/operations/metrics.js'
import { requireAdminToken } from './admin/token.js'

export interface MetricsOptions { adminToken: string }

/**
 * GET /metrics, Prometheus text format, behind the admin token: the
 * exposition names upstream providers and traffic volumes an outsider has no
 * business seeing. Prometheus sends it with `authorization: {credentials_file: …}`.
 */
const metrics: FastifyPluginAsyncTypebox<MetricsOptions> = async (app, { adminToken }) => {
  app.addHook('onRequest', requireAdminToken(adminToken))
  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      security: [{ adminToken: [] }],
      summary: 'Prometheus metrics of this instance',
      description: 'Text exposition format 0.0.4. Requires `Authorization: Bearer <admin token>`. Metric names and labels: docs/operations.md.',
      response: {
        200: { description: 'The exposition', content: { 'text/plain': { schema: Type.String() } } },
        ...adminErrors()
      }
    }
  }, async (_req, reply) => {
    const { text, contentType } = await app.operations.metrics.exposition()
    return reply.type(contentType).send(text)
  })
}
export default metrics

/**
 * Counts and times every answered request by its route template
 * (`/v1/:project_id/…`), never the raw URL: that would put project and
 * device ids in labels and grow without bound.
 */
export function observeRequests (app: FastifyInstance, sink: ServiceMetrics): void {
  // Each route's template is bound when the route is registered (req.routeOptions builds an object per read).
  app.addHook('onRoute', (route) => {
    const url = route.url
    const observe = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      sink.observeRequest(req.method, url, reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    const own = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]
    route.onResponse = [...own, observe as onResponseHookHandler]
  })
  // What no route matched (the not-found handlers).
  app.addHook('onResponse', (req, reply, done) => {
    if (req.is404) sink.observeRequest(req.method, 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
}
