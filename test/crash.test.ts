import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../src/store/store.js'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { TEST_DATABASE_URL } from './helpers/store.js'
import { buildServer, crashRun, masterKey, removeBuild } from './helpers/crash-run.js'

/**
 * Crash durability, on the embedded store and on PostgreSQL (helpers/crash-run.ts
 * says what is checked). The server is compiled once for both runs.
 */
t.before(async () => { await buildServer() })
t.teardown(removeBuild)

t.test('PGlite: SIGKILL during a stream of resets loses no acknowledged reset and leaves none half-applied', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-crash-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await crashRun(t, { STSGATE_DATA_DIR: dir, STSGATE_MASTER_KEY: masterKey() },
    (keys) => Store.open({ keys, dataDir: join(dir, 'pglite') }))
})

const skip = TEST_DATABASE_URL === undefined ? 'STSGATE_TEST_DATABASE_URL is not set: the PostgreSQL crash run needs a server (CI sets it)' : false
if (skip !== false) t.comment(`SKIP PostgreSQL crash run: ${skip}`)

t.test('PostgreSQL: SIGKILL during a stream of resets loses no acknowledged reset and leaves none half-applied', { skip }, async (t) => {
  const schema = `crash_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`create schema "${schema}"`)
  t.teardown(async () => { await admin.query(`drop schema if exists "${schema}" cascade`); await admin.end() })
  // The server has no schema setting: the URL's `options` puts it in this test's schema.
  const url = new URL(TEST_DATABASE_URL!)
  url.searchParams.set('options', `-c search_path=${schema}`)
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-crash-pg-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await crashRun(t, { STSGATE_DATABASE_URL: url.toString(), STSGATE_DATA_DIR: dir, STSGATE_MASTER_KEY: masterKey() },
    (keys) => Store.open({ keys, databaseUrl: TEST_DATABASE_URL!, schema }))
})
