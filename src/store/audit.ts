import { createHash } from 'node:crypto'
import type { Queryable } from './db.js'

/**
 * Hash-chained audit log (docs/security.md rule 8). Each event's hash covers the
 * previous hash and the event, and the chain head is kept in `meta`, so a
 * changed, inserted or deleted row — including the last — is detected by
 * `verifyAuditChain`. Events never carry secrets: callers pass ids and flags.
 */
export interface AuditEvent {
  projectId?: string | null
  /** Who did it: `admin`, `ak:<id>`, `token:<id>`, `system`. */
  actor: string
  action: string
  subject?: string | null
  detail?: Record<string, unknown>
  /** When it happened; default now. Batched events keep their own time. */
  at?: Date
}

/** Chains are `admin` and one `vend:<instance id>` per running instance. */
export const vendChain = (instanceId: string): string => `vend:${instanceId}`

export const ADMIN_CHAIN = 'admin'
const GENESIS = '0'.repeat(64)
/** Events per insert statement. */
const INSERT_SLICE = 1000

export async function appendAudit (tx: Queryable, event: AuditEvent, chain = ADMIN_CHAIN): Promise<void> {
  await appendAuditBatch(tx, [event], chain)
}

/**
 * Appends events in order to one chain, inside the caller's transaction:
 * one lock and one head update for the whole batch (vend events arrive in
 * batches of up to thousands per flush).
 */
export async function appendAuditBatch (tx: Queryable, events: readonly AuditEvent[], chain = ADMIN_CHAIN): Promise<void> {
  if (events.length === 0) return
  // Serialise writers of one chain across transactions and instances.
  await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`audit:${chain}`])
  const head = await tx.query<{ value: string }>('select value from meta where key = $1', [`audit_head:${chain}`])
  let prevHash = head[0]?.value.split(':')[1] ?? GENESIS
  let lastSeq = ''
  const columns: Record<'at' | 'projectId' | 'actor' | 'action' | 'subject' | 'detail' | 'prevHash' | 'hash', Array<string | null>> =
    { at: [], projectId: [], actor: [], action: [], subject: [], detail: [], prevHash: [], hash: [] }
  for (const event of events) {
    const at = (event.at ?? new Date()).toISOString()
    const row = {
      chain,
      at,
      project_id: event.projectId ?? null,
      actor: event.actor,
      action: event.action,
      subject: event.subject ?? null,
      detail: event.detail ?? {}
    }
    const hash = chainHash(prevHash, row)
    columns.at.push(at)
    columns.projectId.push(row.project_id)
    columns.actor.push(row.actor)
    columns.action.push(row.action)
    columns.subject.push(row.subject)
    columns.detail.push(JSON.stringify(row.detail))
    columns.prevHash.push(prevHash)
    columns.hash.push(hash)
    prevHash = hash
  }
  // One statement per slice rather than one per event: a flush carries up to
  // thousands of events, and per-row round trips made it the vend path's main
  // CPU cost on the embedded store. Rows take their seq in ordinality order,
  // so the chain order is the seq order verifyAuditChain reads back.
  for (let start = 0; start < events.length; start += INSERT_SLICE) {
    const slice = (values: Array<string | null>): Array<string | null> => values.slice(start, start + INSERT_SLICE)
    const inserted = await tx.query<{ seq: string }>(
      `with rows as (
         insert into audit_events (chain, at, project_id, actor, action, subject, detail, prev_hash, hash)
         select $1, t.at::timestamptz, t.project_id, t.actor, t.action, t.subject, t.detail::jsonb, t.prev_hash, t.hash
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
           with ordinality as t(at, project_id, actor, action, subject, detail, prev_hash, hash, n)
         order by t.n
         returning seq)
       select max(seq)::text as seq from rows`,
      [chain, slice(columns.at), slice(columns.projectId), slice(columns.actor), slice(columns.action),
        slice(columns.subject), slice(columns.detail), slice(columns.prevHash), slice(columns.hash)])
    lastSeq = inserted[0]?.seq ?? ''
  }
  await tx.query(
    `insert into meta (key, value) values ($1, $2)
     on conflict (key) do update set value = excluded.value`,
    [`audit_head:${chain}`, `${lastSeq}:${prevHash}`])
}

/** Every chain that has events or a head (a chain emptied by deletion still has its head). */
export async function listAuditChains (db: Queryable): Promise<string[]> {
  const rows = await db.query<{ chain: string }>(
    `select distinct chain from audit_events
     union select substr(key, length('audit_head:') + 1) as chain from meta where key like 'audit_head:%'`)
  const chains = rows.map((r) => r.chain).sort()
  // The admin chain is always reported, first, even before the first admin change.
  return [ADMIN_CHAIN, ...chains.filter((c) => c !== ADMIN_CHAIN)]
}

export interface AuditVerification {
  chain: string
  events: number
  ok: boolean
  /** First problem found, with the sequence number where it was found. */
  problem?: string
}

export async function verifyAuditChain (db: Queryable, chain = ADMIN_CHAIN): Promise<AuditVerification> {
  const rows = await db.query<{
    seq: string, chain: string, at: Date | string, project_id: string | null, actor: string,
    action: string, subject: string | null, detail: Record<string, unknown>, prev_hash: string, hash: string
  }>('select seq::text as seq, chain, at, project_id, actor, action, subject, detail, prev_hash, hash from audit_events where chain = $1 order by audit_events.seq', [chain])
  // Ordered by the bigint column, not the text alias: '10' sorts before '2'.
  let prevHash = GENESIS
  let lastSeq = '0'
  for (const r of rows) {
    const fail = (problem: string): AuditVerification => ({ chain, events: rows.length, ok: false, problem: `event ${r.seq}: ${problem}` })
    if (r.prev_hash !== prevHash) return fail('does not follow the previous event (a row was deleted or inserted)')
    const expected = chainHash(prevHash, {
      chain: r.chain,
      at: new Date(r.at).toISOString(),
      project_id: r.project_id,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      detail: r.detail
    })
    if (expected !== r.hash) return fail('content does not match its hash (the row was changed)')
    prevHash = r.hash
    lastSeq = r.seq
  }
  const head = (await db.query<{ value: string }>('select value from meta where key = $1', [`audit_head:${chain}`]))[0]?.value
  const expectedHead = rows.length === 0 ? undefined : `${lastSeq}:${prevHash}`
  if (head !== expectedHead) {
    return { chain, events: rows.length, ok: false, problem: 'the chain head does not match the last event (events were deleted from the end)' }
  }
  return { chain, events: rows.length, ok: true }
}

function chainHash (prevHash: string, row: Record<string, unknown>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(row)).digest('hex')
}

/** JSON with object keys sorted at every depth: jsonb does not keep key order. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
