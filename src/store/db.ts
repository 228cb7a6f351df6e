/**
 * The one thing the two store back ends differ in: how SQL reaches PostgreSQL.
 * PGlite (embedded) and `pg` (a server) speak the same dialect, so every
 * repository and migration is written once against this interface.
 */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres'
  /** Runs `fn` in one transaction: all of it commits, or none of it. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** Multi-statement SQL (migrations). */
  exec(sql: string): Promise<void>
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}
