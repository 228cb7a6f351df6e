import type { MasterKey } from '../keys.js'
import { AccessKeys } from './access-keys.js'
import { listAuditEvents, type AuditFilter, type AuditPage } from './audit-listing.js'
import { appendAuditBatch, listAuditChains, verifyAuditChain, type AuditEvent, type AuditVerification } from './audit.js'
import { collectChanges, type StoreChange, type StoreContext } from './context.js'
import type { Db, Queryable } from './db.js'
import { Devices } from './devices.js'
import { Gateways } from './gateways.js'
import { migrate } from './migrations.js'
import { Projects } from './projects.js'
import { Targets } from './targets.js'
import { Tokens } from './tokens.js'

export type { StoreChange } from './context.js'

export interface StoreOptions {
  keys: MasterKey
  /** postgres:// URL; undefined → embedded PGlite. */
  databaseUrl?: string
  /** PGlite data directory; undefined → in memory. */
  dataDir?: string
  /** PostgreSQL schema to work in (tests); created when missing. */
  schema?: string
  /** PGlite in memory: start from this data-directory dump instead of running initdb (tests). */
  pgliteTemplate?: Blob
}

const KEY_CHECK = 'key_check'
/** Any fixed number: serialises schema creation across instances (see openDb). */
const SCHEMA_LOCK = 7_262_011_002
const KEY_CHECK_PLAINTEXT = 'stsgate master key check'

/**
 * The store: PGlite or PostgreSQL behind one set of repositories. Opening it
 * runs the migrations and checks the master key against the key-check row.
 */
export class Store {
  readonly projects: Projects
  readonly accessKeys: AccessKeys
  readonly tokens: Tokens
  readonly targets: Targets
  readonly devices: Devices
  readonly gateways: Gateways
  readonly #ctx: StoreContext
  readonly #listeners = new Set<(change: StoreChange) => void>()
  #unlisten: (() => Promise<void>) | undefined

  private constructor (ctx: StoreContext) {
    // Every repository sees the database through this: its own listeners hear a change when its transaction commits.
    const own = this.#ctx = { ...ctx, db: dispatchingOnCommit(ctx.db, (change) => { this.#notify(change) }) }
    this.projects = new Projects(own)
    this.accessKeys = new AccessKeys(own)
    this.tokens = new Tokens(own)
    this.targets = new Targets(own)
    this.devices = new Devices(own)
    this.gateways = new Gateways(own, this.targets)
  }

  static async open (options: StoreOptions): Promise<Store> {
    const db = await openDb(options)
    try {
      await migrate(db)
      await checkMasterKey(db, options.keys)
      const store = new Store({ db, keys: options.keys, channel: `stsgate_changes${options.schema === undefined ? '' : `_${options.schema}`}` })
      store.#unlisten = await db.listen(store.#ctx.channel, (payload) => store.#dispatch(payload))
      return store
    } catch (err) {
      await db.close().catch(() => {})
      throw err
    }
  }

  get kind (): Db['kind'] { return this.#ctx.db.kind }

  /** The raw connection, for health checks and tests that read rows as stored. */
  get db (): Db { return this.#ctx.db }

  /** Called for every committed change, on every instance sharing the database. */
  onChange (listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async ping (): Promise<void> {
    await this.#ctx.db.query('select 1')
  }

  verifyAudit (chain?: string): Promise<AuditVerification> {
    return verifyAuditChain(this.#ctx.db, chain)
  }

  /** Every chain (admin and each instance's vend chain), verified one by one. */
  async verifyAllAudit (): Promise<AuditVerification[]> {
    const results: AuditVerification[] = []
    for (const chain of await listAuditChains(this.#ctx.db)) results.push(await verifyAuditChain(this.#ctx.db, chain))
    return results
  }

  /** The change log or the vend log, newest first, one page at a time. */
  listAudit (filter: AuditFilter): Promise<AuditPage> {
    return listAuditEvents(this.#ctx.db, filter)
  }

  /** Appends a batch of events to one chain in one transaction (all or none). */
  async appendAudit (chain: string, events: readonly AuditEvent[]): Promise<void> {
    await this.#ctx.db.transaction((tx) => appendAuditBatch(tx, events, chain))
  }

  async close (): Promise<void> {
    await this.#unlisten?.().catch(() => {})
    await this.#ctx.db.close()
  }

  #dispatch (payload: string): void {
    let change: StoreChange
    try {
      change = JSON.parse(payload) as StoreChange
    } catch {
      return
    }
    this.#notify(change)
  }

  #notify (change: StoreChange): void {
    for (const listener of this.#listeners) listener(change)
  }
}

/**
 * The database as the repositories see it: the changes a transaction notes
 * (notifyChange) reach this instance's listeners as soon as it commits.
 * Other instances hear them through NOTIFY; this one must not wait for its
 * own echo, which on PostgreSQL arrives on the listening connection some time
 * later — under load a key deleted through the admin API still opened the
 * next request on the same instance. The echo then arrives too; listeners
 * only drop cache entries, so hearing a change twice is harmless.
 */
function dispatchingOnCommit (db: Db, dispatch: (change: StoreChange) => void): Db {
  return {
    kind: db.kind,
    query: <Row>(sql: string, params?: unknown[]) => db.query<Row>(sql, params),
    exec: (sql) => db.exec(sql),
    listen: (channel, onPayload) => db.listen(channel, onPayload),
    close: () => db.close(),
    async transaction<T> (fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const changes: StoreChange[] = []
      const result = await db.transaction(async (tx) => {
        collectChanges(tx, changes)
        return await fn(tx)
      })
      for (const change of changes) dispatch(change)
      return result
    }
  }
}

/** Each driver is loaded only by the deployments that use it (docs/performance.md). */
async function openDb (options: StoreOptions): Promise<Db> {
  if (options.databaseUrl === undefined) {
    const { openPglite } = await import('./pglite.js')
    return openPglite(options.dataDir, options.pgliteTemplate === undefined ? {} : { template: options.pgliteTemplate })
  }
  const { openPostgres } = await import('./postgres.js')
  if (options.schema !== undefined) {
    const admin = await openPostgres(options.databaseUrl, { max: 1 })
    try {
      // `create schema if not exists` races with itself (unique violation on pg_namespace) when
      // instances start together; the lock queues them, and one multi-statement query is one transaction.
      await admin.exec(`select pg_advisory_xact_lock(${SCHEMA_LOCK}); create schema if not exists "${options.schema.replaceAll('"', '""')}"`)
    } finally {
      await admin.close()
    }
  }
  return openPostgres(options.databaseUrl, { schema: options.schema })
}

/**
 * The first instance seals a known value under the master key; every later
 * start opens it, so a wrong STSGATE_MASTER_KEY stops start-up instead of
 * failing on the first secret it touches.
 */
async function checkMasterKey (db: Db, keys: MasterKey): Promise<void> {
  const aad = `meta:${KEY_CHECK}`
  await db.query('insert into meta (key, value) values ($1, $2) on conflict (key) do nothing',
    [KEY_CHECK, keys.seal(KEY_CHECK_PLAINTEXT, aad)])
  const [row] = await db.query<{ value: string }>('select value from meta where key = $1', [KEY_CHECK])
  let plaintext: string | undefined
  try {
    plaintext = keys.open(row?.value ?? '', aad)
  } catch {}
  if (plaintext !== KEY_CHECK_PLAINTEXT) {
    throw new Error('STSGATE_MASTER_KEY does not match the key this store was created with (key-check row); refusing to start')
  }
}
