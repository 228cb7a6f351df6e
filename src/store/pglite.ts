import { fork } from 'node:child_process'
import { access, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import type { Db, Queryable } from './db.js'
import { lockDataDir, type DataDirLock } from './data-dir-lock.js'
import { PGLITE_POSTGRESQL_CONF, PGLITE_V8_FLAGS, useBaselineWasmCompiler } from './pglite-tuning.js'

/** PGlite's settings: a small postgresql.conf (see pglite-tuning.ts). */
export const PGLITE_OPTIONS = { postgresqlconf: PGLITE_POSTGRESQL_CONF }

export interface PgliteOptions {
  /** A data-directory dump (`dumpDataDir`) to start from instead of running initdb (tests). */
  template?: Blob | File
}

/**
 * Embedded PostgreSQL (WASM) in the data directory: the zero-setup default.
 * `dataDir` undefined keeps everything in memory (tests). A data directory is
 * locked to this process until close (see data-dir-lock.ts).
 */
export async function openPglite (dataDir?: string, options: PgliteOptions = {}): Promise<Db> {
  let lock: DataDirLock | undefined
  let pg: PGlite
  try {
    if (dataDir !== undefined) {
      lock = await lockDataDir(dataDir)
      await initDataDir(dataDir)
    }
    useBaselineWasmCompiler()
    pg = await PGlite.create(dataDir, { ...PGLITE_OPTIONS, ...(options.template === undefined ? {} : { loadDataDir: options.template }) })
  } catch (err) {
    await lock?.release()
    throw err
  }
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
    async close () {
      try {
        await pg.close()
      } finally {
        await lock?.release()
      }
    }
  }
}

/**
 * initdb of a new data directory runs in a short-lived child process: it
 * grows the WASM heap to ~600 MB, which a long-running server would
 * otherwise keep for its whole life.
 */
async function initDataDir (dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  try {
    await access(join(dataDir, 'PG_VERSION'))
    return
  } catch {}
  // Under the test runner this module is TypeScript; its sibling then is too.
  const self = fileURLToPath(import.meta.url)
  const script = join(self, '..', `pglite-initdb${self.endsWith('.ts') ? '.ts' : '.js'}`)
  await new Promise<void>((resolve, reject) => {
    const child = fork(script, [dataDir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...PGLITE_V8_FLAGS] })
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`initialising the embedded store in ${dataDir} failed (exit code ${code})`)))
  })
}
