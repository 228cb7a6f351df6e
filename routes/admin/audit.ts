import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminErrors } from '../../schemas/admin.js'
import { AuditVerification } from '../../schemas/audit.js'
import { adminDocs } from './common.js'

/**
 * `stsgate audit verify` while a server holds the embedded store: the CLI must
 * not open the store beside it (docs/operations.md), so it asks the server.
 */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/audit/verify', {
    schema: {
      ...adminDocs,
      summary: 'Verify every audit hash chain (admin and vend) in the store',
      description: 'Reads the chains as stored and recomputes each hash; `ok: false` names the first broken event per chain.',
      response: { 200: AuditVerification, ...adminErrors() }
    }
  }, async () => {
    const chains = await app.store.verifyAllAudit()
    return { ok: chains.every((c) => c.ok), chains }
  })
}
export default audit
