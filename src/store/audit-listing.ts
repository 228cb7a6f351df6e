import { ADMIN_CHAIN } from './audit.js'
import type { Queryable } from './db.js'

/**
 * Reading the audit log back, newest first, a page at a time: the admin
 * change log (chain `admin`) or the vend log (every `vend:<instance>` chain).
 * The cursor is the sequence number of the last event on the page, so a page
 * stays stable while new events are appended ahead of it.
 */
export interface AuditFilter {
  log: 'admin' | 'vend'
  projectId?: string
  /** The event's actor: `admin`, `ak:<id>`, `token:<id>`, `gateway:<sn>`. */
  actor?: string
  action?: string
  /** Vend log only: `edas`, `workspace`, `dji`. */
  contract?: string
  since?: Date
  until?: Date
  /** Events older than this sequence number (the previous page's cursor). */
  before?: string
  limit: number
}

export interface AuditRecord {
  seq: string
  chain: string
  at: Date
  projectId: string | null
  actor: string
  action: string
  subject: string | null
  detail: Record<string, unknown>
}

export interface AuditPage { events: AuditRecord[], nextCursor: string | null }

interface AuditRow {
  seq: string, chain: string, at: Date | string, project_id: string | null, actor: string,
  action: string, subject: string | null, detail: Record<string, unknown>
}

export async function listAuditEvents (db: Queryable, filter: AuditFilter): Promise<AuditPage> {
  const where: string[] = []
  const params: unknown[] = []
  const bind = (value: unknown): string => { params.push(value); return `$${params.length}` }
  if (filter.log === 'admin') where.push(`chain = ${bind(ADMIN_CHAIN)}`)
  else where.push("chain like 'vend:%'")
  if (filter.projectId !== undefined) where.push(`project_id = ${bind(filter.projectId)}`)
  if (filter.actor !== undefined) where.push(`actor = ${bind(filter.actor)}`)
  if (filter.action !== undefined) where.push(`action = ${bind(filter.action)}`)
  if (filter.contract !== undefined) where.push(`detail->>'contract' = ${bind(filter.contract)}`)
  if (filter.since !== undefined) where.push(`at >= ${bind(filter.since.toISOString())}::timestamptz`)
  if (filter.until !== undefined) where.push(`at < ${bind(filter.until.toISOString())}::timestamptz`)
  if (filter.before !== undefined) where.push(`seq < ${bind(filter.before)}::bigint`)
  // One more than a page tells whether another page follows.
  const rows = await db.query<AuditRow>(
    `select seq::text as seq, chain, at, project_id, actor, action, subject, detail from audit_events
     where ${where.join(' and ')} order by audit_events.seq desc limit ${bind(filter.limit + 1)}`, params)
  const page = rows.slice(0, filter.limit).map((r) => ({
    seq: r.seq,
    chain: r.chain,
    at: new Date(r.at),
    projectId: r.project_id,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    detail: r.detail
  }))
  return { events: page, nextCursor: rows.length > filter.limit ? (page.at(-1)?.seq ?? null) : null }
}
