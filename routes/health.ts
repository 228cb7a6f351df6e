import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { described } from '../schemas/common.js'

const Status = Type.Object({ status: Type.String() })

/** Liveness (the process answers) and readiness (the store answers). */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'The process is up', response: { 200: described(Status, 'Up') } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    schema: { tags: ['operations'], summary: 'The store is reachable', response: { 200: described(Status, 'Ready'), 503: described(Status, 'The store does not answer') } }
  }, async (req, reply) => {
    try {
      await app.store.ping()
      return { status: 'ready' }
    } catch (err) {
      req.log.warn({ err }, 'store not reachable')
      return reply.code(503).send({ status: 'store unavailable' })
    }
  })
}
export default health
