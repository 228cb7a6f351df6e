import type { MasterKey } from '../keys.js'
import { conflict } from '../errors.js'
import type { Db, Queryable } from './db.js'

/** What changed; every instance drops its caches for it (LISTEN/NOTIFY through the store). */
export interface StoreChange {
  kind: 'project' | 'access_key' | 'token' | 'target' | 'binding' | 'device' | 'gateway'
  id: string
  projectId: string
  /** Close the subject's live MQTT connections on every instance (IoTDA force_disconnect, a revoked token). */
  disconnect?: boolean
}

export interface StoreContext {
  db: Db
  keys: MasterKey
  /** NOTIFY channel; per schema, so test schemas on one server do not hear each other. */
  channel: string
}

/** A transaction's changes, noted by notifyChange, for the store to hand to its own listeners once it commits. */
const changesOf = new WeakMap<Queryable, StoreChange[]>()

/** Called by the store's transaction runner (Store): what notifyChange notes on `tx` goes into `changes`. */
export function collectChanges (tx: Queryable, changes: StoreChange[]): void {
  changesOf.set(tx, changes)
}

/**
 * Sent inside the caller's transaction: delivered only if it commits — to
 * other instances through NOTIFY, to this one by the store right after the
 * commit (see Store).
 */
export async function notifyChange (ctx: StoreContext, tx: Queryable, change: StoreChange): Promise<void> {
  await tx.query('select pg_notify($1, $2)', [ctx.channel, JSON.stringify(change)])
  changesOf.get(tx)?.push(change)
}

/** Additional data binding a ciphertext to its row (docs/security.md rule 3). */
export const rowAad = (table: string, column: string, id: string): string => `${table}:${column}:${id}`

/** Unique-violation → 409, with a message naming what clashed. */
export async function uniquely<T> (what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw conflict('already_exists', `${what} already exists`)
    throw err
  }
}
