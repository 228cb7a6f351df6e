import { Type } from '@sinclair/typebox'

/** GET /admin/v1/audit/verify: every audit hash chain in the store, checked. */
const ChainVerification = Type.Object({
  chain: Type.String({ description: 'admin, or the vend chain of one instance' }),
  events: Type.Integer({ minimum: 0 }),
  ok: Type.Boolean(),
  problem: Type.Optional(Type.String({ description: 'The first problem found, with the sequence number where it was found' }))
})

export const AuditVerification = Type.Object({
  ok: Type.Boolean({ description: 'Every chain verifies' }),
  chains: Type.Array(ChainVerification)
}, { title: 'AuditVerification' })
