import { randomBytes } from 'node:crypto'
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
    const store = await Store.open({ keys })
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
