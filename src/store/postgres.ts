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
  const listeners: Listener[] = []

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
      let lost = false
      try {
        // A pooled client whose connection died while idle fails here first: that is 503, not 500.
        await guarded(() => client.query('begin'))
        const result = await fn(queryable(client))
        await guarded(() => client.query('commit'))
        return result
      } catch (err) {
        lost = isConnectionError(err) || (err instanceof Error && isConnectionError(err.cause))
        if (!lost) await client.query('rollback').catch(() => {})
        throw err
      } finally {
        // A client that lost its connection is discarded, not handed to the next caller.
        client.release(lost)
      }
    },
    exec: (sql) => guarded(async () => { await pool.query(sql) }),
    async listen (channel, onPayload) {
      const listener = await listenWithReconnect(config, channel, onPayload)
      listeners.push(listener)
      return () => listener.stop()
    },
    async close () {
      await Promise.all(listeners.map((l) => l.stop()))
      await pool.end()
    }
  }
}

interface Listener { stop (): Promise<void> }

const LISTEN_RETRY_FIRST_MS = 100
const LISTEN_RETRY_MAX_MS = 5_000

/**
 * LISTEN needs a connection of its own that is never handed back to the pool.
 * When it drops (server restart, network cut) it is re-opened with backoff and
 * LISTEN re-issued, so cross-instance invalidation comes back without a
 * restart; notifications sent while it was down are lost, which the callers'
 * cache TTL bounds. The first connection fails loudly (start-up).
 */
async function listenWithReconnect (config: pg.ClientConfig, channel: string, onPayload: (payload: string) => void): Promise<Listener> {
  let current: pg.Client | undefined
  let stopped = false
  let delay = LISTEN_RETRY_FIRST_MS
  let timer: NodeJS.Timeout | undefined

  const open = async (): Promise<void> => {
    const client = new pg.Client(config)
    client.on('error', () => {})
    client.on('notification', (msg) => { if (msg.channel === channel) onPayload(msg.payload ?? '') })
    try {
      await guarded(() => client.connect())
      await guarded(() => client.query(`listen ${quoteIdent(channel)}`))
    } catch (err) {
      await client.end().catch(() => {})
      throw err
    }
    if (stopped) { await client.end().catch(() => {}); return }
    current = client
    delay = LISTEN_RETRY_FIRST_MS
    client.on('end', () => { if (current === client && !stopped) retry() })
  }
  const retry = (): void => {
    current = undefined
    timer = setTimeout(() => { open().catch(() => { if (!stopped) retry() }) }, delay)
    timer.unref()
    delay = Math.min(delay * 2, LISTEN_RETRY_MAX_MS)
  }

  await open()
  return {
    async stop () {
      stopped = true
      clearTimeout(timer)
      await current?.end().catch(() => {})
    }
  }
}

export function quoteIdent (name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
