import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminErrors, IntrospectBody, Introspection } from '../../schemas/admin.js'
import { introspectLocalCredential } from '../../src/providers/local.js'
import { adminDocs } from './common.js'

/**
 * Introspection of credentials minted by the `local` issuer, so that a
 * development storage gateway can decide whether to honour them.
 */
const credentials: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/credentials/introspect', {
    schema: {
      ...adminDocs,
      summary: 'Check a credential minted by the local issuer (genuine, unexpired, its policy)',
      body: IntrospectBody,
      response: { 200: Introspection, ...adminErrors() }
    }
  }, async (req) => {
    const found = introspectLocalCredential(app.keys, req.body.access_key_id, req.body.security_token)
    if (!found.active) return found.expiresAt === undefined ? { active: false } : { active: false, expires_at: found.expiresAt.toISOString() }
    return {
      active: true,
      expires_at: found.expiresAt?.toISOString(),
      policy: JSON.parse(found.policy ?? 'null') as unknown,
      project_id: found.projectId,
      target_id: found.targetId
    }
  })
}
export default credentials
