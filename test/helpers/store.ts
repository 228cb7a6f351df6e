import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLITE_OPTIONS } from '../../src/store/pglite.js'
import type { Test } from 'tap'
import pg from 'pg'
import { MasterKey } from '../../src/keys.js'
import { Store } from '../../src/store/store.js'

/**
 * The store back ends a test runs against: PGlite always, and PostgreSQL too
 * when STSGATE_TEST_DATABASE_URL is set (CI sets it). When it is set and the
 * server is down, opening the store fails the test loudly — never a silent skip.
 */
export const TEST_DATABASE_URL = process.env.STSGATE_TEST_DATABASE_URL
export const STORE_KINDS: Array<'pglite' | 'postgres'> = TEST_DATABASE_URL === undefined ? ['pglite'] : ['pglite', 'postgres']

export const testMasterKey = (): MasterKey => new MasterKey(randomBytes(32))

/** A fresh, empty store; on PostgreSQL in a schema of its own, dropped at teardown. */
export async function openTestStore (t: Test, kind: 'pglite' | 'postgres' = 'pglite', keys: MasterKey = testMasterKey()): Promise<Store> {
  if (kind === 'pglite') {
    const store = await Store.open({ keys, pgliteTemplate: await pgliteTemplate() })
    t.teardown(() => store.close())
    return store
  }
  const { schema, url } = await testSchema(t)
  const store = await Store.open({ keys, databaseUrl: url, schema })
  t.teardown(() => store.close())
  return store
}

/** A schema name unique to this test, dropped (cascade) at teardown. */
export async function testSchema (t: Test): Promise<{ schema: string, url: string }> {
  if (TEST_DATABASE_URL === undefined) throw new Error('STSGATE_TEST_DATABASE_URL is not set')
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await client.connect()
    await client.query(`drop schema if exists "${schema}" cascade`)
    await client.end()
  })
  return { schema, url: TEST_DATABASE_URL }
}

let template: Promise<Blob> | undefined

/**
 * A freshly initdb'd PGlite data directory, as a dump: starting from it takes
 * well under a second, where initdb takes several. Shared by every test
 * process through a file in the temp directory, keyed by the PGlite version.
 */
export function pgliteTemplate (): Promise<Blob> {
  template ??= (async () => {
    const manifest = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)
    const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string }
    const path = join(tmpdir(), `stsgate-pglite-template-${version}.tar`)
    try {
      return new Blob([await readFile(path)])
    } catch {}
    const db = await PGlite.create(undefined, PGLITE_OPTIONS)
    const dump = await db.dumpDataDir('none')
    await db.close()
    // Write then rename: a concurrent test process never reads half a file.
    const partial = `${path}.${process.pid}.partial`
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
    await rename(partial, path)
    return dump
  })()
  return template
}
