import type { FastifyInstance } from 'fastify'
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
  app.addHook('onResponse', async (req, reply) => {
    sink.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
  })
}
