import pg from 'pg'
import { unavailable } from '../errors.js'
import type { Db, Queryable } from './db.js'

export interface PostgresOptions {
  /** Work inside this schema (tests give each file its own). */
  schema?: string
  max?: number
  connectionTimeoutMillis?: number
}

/** Errors that mean "the store is unreachable", not "your query is wrong". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004'])

function isConnectionError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: string }).code
  if (code !== undefined && CONNECTION_CODES.has(code)) return true
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(err.message)
}

/** Maps connection failures to the domain's `unavailable`, so routes answer 503. */
async function guarded<T> (op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    if (isConnectionError(err)) throw unavailable('store_unavailable', 'the store is unreachable', err)
    throw err
  }
}

export async function openPostgres (url: string, options: PostgresOptions = {}): Promise<Db> {
  const searchPath = options.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(options.schema)}` }
  const config = {
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    ...searchPath
  }
  const pool = new pg.Pool(config)
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const listeners: pg.Client[] = []

  const queryable = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<Row> (sql: string, params?: unknown[]) {
      return guarded(async () => (await client.query(sql, params)).rows as Row[])
    }
  })

  // Fail at start-up, loudly, when the server is not there.
  await guarded(async () => { await pool.query('select 1') })

  return {
    kind: 'postgres',
    ...queryable(pool),
    async transaction (fn) {
      const client = await guarded(() => pool.connect())
      try {
        await client.query('begin')
        const result = await fn(queryable(client))
        await guarded(() => client.query('commit'))
        return result
      } catch (err) {
        await client.query('rollback').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    exec: (sql) => guarded(async () => { await pool.query(sql) }),
    async listen (channel, onPayload) {
      // LISTEN needs a connection of its own that is never handed back to the pool.
      const client = new pg.Client(config)
      client.on('error', () => {})
      await guarded(() => client.connect())
      client.on('notification', (msg) => { if (msg.channel === channel) onPayload(msg.payload ?? '') })
      await client.query(`listen ${quoteIdent(channel)}`)
      listeners.push(client)
      return async () => { await client.end().catch(() => {}) }
    },
    async close () {
      await Promise.all(listeners.map((c) => c.end().catch(() => {})))
      await pool.end()
    }
  }
}

export function quoteIdent (name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
