import { Type } from '@sinclair/typebox'
import { ProjectId, Timestamp } from './common.js'

/** GET /admin/v1/audit and /admin/v1/vends: the change log and the vend log, newest first, paged; and their verification. */

const Cursor = Type.String({ pattern: '^[0-9]{1,19}$', description: 'The `next_cursor` of the previous page' })
const Principal = Type.String({ minLength: 1, maxLength: 200, description: 'Who acted: `admin`, `ak:<access key id>`, `token:<token id>`, `gateway:<sn>`' })
// Query strings are not coerced (the app's ajv has coerceTypes off), so the number is matched as text.
const Limit = Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: 'Events per page, 1–500 (default 50)', examples: ['100'] })
const Since = Type.String({ format: 'date-time', description: 'Only events at or after this time' })
const Until = Type.String({ format: 'date-time', description: 'Only events before this time' })
const NextCursor = Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next (older) page; null on the last page' })

export const AuditQuery = Type.Object({
  project_id: Type.Optional(ProjectId),
  principal: Type.Optional(Principal),
  action: Type.Optional(Type.String({ pattern: '^[a-z_]{1,32}(\\.[a-z_]{1,32})?$', description: 'e.g. `access_key.rotate`, `project.delete`' })),
  since: Type.Optional(Since),
  until: Type.Optional(Until),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit)
}, { additionalProperties: false })

export const VendQuery = Type.Object({
  project_id: Type.Optional(ProjectId),
  principal: Type.Optional(Principal),
  contract: Type.Optional(Type.Union([Type.Literal('edas'), Type.Literal('workspace'), Type.Literal('dji')])),
  since: Type.Optional(Since),
  until: Type.Optional(Until),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit)
}, { additionalProperties: false })

export const AuditEventView = Type.Object({
  seq: Type.String({ description: 'Position in the log; increases with time across chains' }),
  at: Timestamp,
  project_id: Type.Union([Type.String(), Type.Null()]),
  principal: Type.String({ description: 'Who acted' }),
  action: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()], { description: 'What was acted on (a project, key, token, target id, …)' }),
  detail: Type.Record(Type.String(), Type.Unknown(), { description: 'Non-secret particulars of the change' })
}, { title: 'AuditEvent' })

export const AuditPage = Type.Object({ events: Type.Array(AuditEventView), next_cursor: NextCursor }, { description: 'One page of the admin change log, newest first' })

export const VendEventView = Type.Object({
  seq: Type.String(),
  instance: Type.String({ description: 'The instance that served it (its vend chain is `vend:<instance>`)' }),
  at: Timestamp,
  last_at: Timestamp,
  count: Type.Integer({ minimum: 1, description: 'Identical vends within one flush window (about a second) share one event' }),
  project_id: Type.String(),
  principal: Type.String(),
  contract: Type.String(),
  target_id: Type.String(),
  prefix: Type.Optional(Type.String()),
  object: Type.Optional(Type.String()),
  actions: Type.Array(Type.String()),
  duration_seconds: Type.Integer(),
  expires_at: Timestamp,
  from_cache: Type.Boolean()
}, { title: 'VendEvent' })

export const VendPage = Type.Object({ vends: Type.Array(VendEventView), next_cursor: NextCursor }, { description: 'One page of the vend log, newest first' })

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
}, { title: 'AuditVerification', description: 'Every chain, verified: each event follows the previous one, none was changed, none removed from the end' })
