import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import type { Db, Queryable } from './db.js'

/**
 * Embedded PostgreSQL (WASM) in the data directory: the zero-setup default.
 * `dataDir` undefined keeps everything in memory (tests).
 */
export async function openPglite (dataDir?: string): Promise<Db> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const pg = await PGlite.create(dataDir)
  const asQueryable = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<Row> (sql: string, params?: unknown[]) {
      return (await q.query<Row>(sql, params)).rows
    }
  })
  return {
    kind: 'pglite',
    ...asQueryable(pg),
    transaction: (fn) => pg.transaction((tx) => fn(asQueryable(tx))),
    exec: async (sql) => { await pg.exec(sql) },
    async listen (channel, onPayload) {
      const unlisten = await pg.listen(channel, onPayload)
      return async () => { await unlisten() }
    },
    close: () => pg.close()
  }
}
