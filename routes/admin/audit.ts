import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { adminErrors } from '../../schemas/admin.js'
import { AuditPage, AuditQuery, AuditVerification, VendPage, VendQuery } from '../../schemas/audit.js'
import type { AuditRecord } from '../../src/store/audit-listing.js'
import { adminDocs } from './common.js'

const DEFAULT_LIMIT = 50

const limitOf = (value: string | undefined): number => value === undefined ? DEFAULT_LIMIT : Number(value)

const timeOf = (value: string | undefined): Date | undefined => value === undefined ? undefined : new Date(value)

const auditView = (e: AuditRecord) => ({
  seq: e.seq, at: e.at.toISOString(), project_id: e.projectId, principal: e.actor, action: e.action, subject: e.subject, detail: e.detail
})

/** A vend event as stored by src/credentials/vend-audit.ts, flattened for operators. */
const vendView = (e: AuditRecord) => {
  const d = e.detail as {
    contract: string, prefix?: string, object?: string, actions: string[], duration_seconds: number,
    expires_at: string, from_cache: boolean, count: number, last_at: string
  }
  return {
    seq: e.seq,
    instance: e.chain.slice('vend:'.length),
    at: e.at.toISOString(),
    last_at: d.last_at,
    count: d.count,
    project_id: e.projectId ?? '',
    principal: e.actor,
    contract: d.contract,
    target_id: e.subject ?? '',
    ...(d.prefix === undefined ? {} : { prefix: d.prefix }),
    ...(d.object === undefined ? {} : { object: d.object }),
    actions: d.actions,
    duration_seconds: d.duration_seconds,
    expires_at: d.expires_at,
    from_cache: d.from_cache
  }
}

/** The audit log read back: who changed what, and what was vended to whom. */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app

  app.get('/audit', {
    schema: {
      ...adminDocs,
      summary: 'The admin change log, newest first (filter by project, principal, action, time; page with cursor)',
      querystring: AuditQuery,
      response: { 200: AuditPage, ...adminErrors() }
    }
  }, async (req) => {
    const q = req.query
    const page = await store.listAudit({
      log: 'admin', projectId: q.project_id, actor: q.principal, action: q.action,
      since: timeOf(q.since), until: timeOf(q.until), before: q.cursor, limit: limitOf(q.limit)
    })
    return { events: page.events.map(auditView), next_cursor: page.nextCursor }
  })

  app.get('/vends', {
    schema: {
      ...adminDocs,
      summary: 'The vend log of every instance, newest first (filter by project, principal, contract, time; page with cursor)',
      description: 'Each instance writes its vends in batches at least once a second, so the newest second may not be here yet.',
      querystring: VendQuery,
      response: { 200: VendPage, ...adminErrors() }
    }
  }, async (req) => {
    const q = req.query
    const page = await store.listAudit({
      log: 'vend', projectId: q.project_id, actor: q.principal, contract: q.contract,
      since: timeOf(q.since), until: timeOf(q.until), before: q.cursor, limit: limitOf(q.limit)
    })
    return { vends: page.events.map(vendView), next_cursor: page.nextCursor }
  })

  // `stsgate audit verify` while a server holds the embedded store: the CLI must
  // not open the store beside it (docs/operations.md), so it asks the server.
  app.get('/audit/verify', {
    schema: {
      ...adminDocs,
      summary: 'Verify every audit hash chain (admin, and each instance\'s vend chain)',
      description: 'Reads the chains as stored and recomputes each hash (its cost grows with the log); ' +
        '`ok: false` names the first broken event per chain.',
      response: { 200: AuditVerification, ...adminErrors() }
    }
  }, async () => {
    const chains = await store.verifyAllAudit()
    return { ok: chains.every((c) => c.ok), chains }
  })
}
export default audit
