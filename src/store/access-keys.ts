import { randomString } from '../keys.js'
import { notFound } from '../errors.js'
import { appendAudit } from './audit.js'
import { notifyChange, rowAad, type StoreContext } from './context.js'
import type { Queryable } from './db.js'

export interface AccessKeySummary {
  accessKeyId: string
  disabled: boolean
  createdAt: Date
  /** Last successful authentication, as flushed by the usage log (src/auth/last-used.ts); null when never used. */
  lastUsedAt: Date | null
}

/** What a signature verifier needs: the secret, and whether the key may be used at all. */
export interface AccessKeyForAuth {
  accessKeyId: string
  projectId: string
  secret: string
  /** The key or its project is disabled. */
  disabled: boolean
}

export interface NewAccessKey { accessKeyId: string, secretAccessKey: string }

interface SummaryRow { id: string, disabled: boolean, created_at: Date, last_used_at: Date | null }

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

const toSummary = (r: SummaryRow): AccessKeySummary => ({
  accessKeyId: r.id,
  disabled: r.disabled,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at)
})

export class AccessKeys {
  constructor (private readonly ctx: StoreContext) {}

  /** Returns the secret: the only time it is ever shown. */
  async create (projectId: string, actor: string): Promise<NewAccessKey> {
    return this.ctx.db.transaction(async (tx) => {
      const project = await tx.query('select id from projects where id = $1', [projectId])
      if (project.length === 0) throw notFound('project_not_found', `project ${projectId} does not exist`)
      const key = await this.#insert(tx, projectId)
      await appendAudit(tx, { projectId, actor, action: 'access_key.create', subject: key.accessKeyId })
      return key
    })
  }

  async list (projectId: string): Promise<AccessKeySummary[]> {
    const rows = await this.ctx.db.query<SummaryRow>(
      'select id, disabled, created_at, last_used_at from access_keys where project_id = $1 order by created_at, id', [projectId])
    return rows.map(toSummary)
  }

  async disable (projectId: string, accessKeyId: string, actor: string): Promise<AccessKeySummary> {
    return this.#setDisabled(projectId, accessKeyId, true, actor)
  }

  async enable (projectId: string, accessKeyId: string, actor: string): Promise<AccessKeySummary> {
    return this.#setDisabled(projectId, accessKeyId, false, actor)
  }

  /** Gone for good: the key stops working on every instance at once, and its id is never reused. */
  async delete (projectId: string, accessKeyId: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query('delete from access_keys where id = $1 and project_id = $2 returning id', [accessKeyId, projectId])
      if (rows.length === 0) throw notFound('access_key_not_found', `access key ${accessKeyId} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: 'access_key.delete', subject: accessKeyId })
      await notifyChange(this.ctx, tx, { kind: 'access_key', id: accessKeyId, projectId })
    })
  }

  /**
   * A new key for the same project, and the old one disabled, in one
   * transaction (docs/cli.md, "Rotating an access key"): the old key is kept
   * disabled rather than deleted, so a rotation that broke a client can be
   * undone with `enable`, and the key deleted once it is no longer needed.
   */
  async rotate (projectId: string, accessKeyId: string, actor: string): Promise<NewAccessKey> {
    return this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query(
        `update access_keys set disabled = true, disabled_at = coalesce(disabled_at, now())
         where id = $1 and project_id = $2 returning id`, [accessKeyId, projectId])
      if (rows.length === 0) throw notFound('access_key_not_found', `access key ${accessKeyId} does not exist in project ${projectId}`)
      const key = await this.#insert(tx, projectId)
      await appendAudit(tx, { projectId, actor, action: 'access_key.rotate', subject: key.accessKeyId, detail: { replaced: accessKeyId } })
      await notifyChange(this.ctx, tx, { kind: 'access_key', id: accessKeyId, projectId })
      return key
    })
  }

  /**
   * Records when keys were last used: one statement for a whole batch, and
   * never moving a time backwards (two instances flush in any order).
   */
  async recordLastUsed (uses: ReadonlyMap<string, Date>): Promise<void> {
    await recordLastUsed(this.ctx.db, 'access_keys', uses)
  }

  async findForAuth (accessKeyId: string): Promise<AccessKeyForAuth | undefined> {
    const [row] = await this.ctx.db.query<{ id: string, project_id: string, secret_sealed: string, disabled: boolean }>(
      `select k.id, k.project_id, k.secret_sealed, (k.disabled or p.disabled) as disabled
       from access_keys k join projects p on p.id = k.project_id where k.id = $1`, [accessKeyId])
    if (row === undefined) return undefined
    return {
      accessKeyId: row.id,
      projectId: row.project_id,
      secret: this.ctx.keys.open(row.secret_sealed, rowAad('access_keys', 'secret', row.id)),
      disabled: row.disabled
    }
  }

  async #insert (tx: Queryable, projectId: string): Promise<NewAccessKey> {
    // 20 upper-case characters like Huawei AKs (Alibaba's LTAI… keys are 24; clients accept either).
    const accessKeyId = `SG${randomString(18, UPPER_ALNUM)}`
    const secretAccessKey = randomString(40)
    await tx.query('insert into access_keys (id, project_id, secret_sealed) values ($1, $2, $3)',
      [accessKeyId, projectId, this.ctx.keys.seal(secretAccessKey, rowAad('access_keys', 'secret', accessKeyId))])
    return { accessKeyId, secretAccessKey }
  }

  async #setDisabled (projectId: string, accessKeyId: string, disabled: boolean, actor: string): Promise<AccessKeySummary> {
    return this.ctx.db.transaction(async (tx) => {
      const [row] = await tx.query<SummaryRow>(
        `update access_keys set disabled = $3, disabled_at = case when $3 then coalesce(disabled_at, now()) else null end
         where id = $1 and project_id = $2 returning id, disabled, created_at, last_used_at`, [accessKeyId, projectId, disabled])
      if (row === undefined) throw notFound('access_key_not_found', `access key ${accessKeyId} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: disabled ? 'access_key.disable' : 'access_key.enable', subject: accessKeyId })
      await notifyChange(this.ctx, tx, { kind: 'access_key', id: accessKeyId, projectId })
      return toSummary(row)
    })
  }
}

/** `update … from unnest(…)`: rows deleted since the use was seen are simply not matched. */
export async function recordLastUsed (db: Queryable, table: 'access_keys' | 'api_tokens', uses: ReadonlyMap<string, Date>): Promise<void> {
  if (uses.size === 0) return
  const ids = [...uses.keys()]
  const times = [...uses.values()].map((at) => at.toISOString()) // same order as the keys
  await db.query(
    `update ${table} as t set last_used_at = greatest(t.last_used_at, u.at)
     from unnest($1::text[], $2::timestamptz[]) as u(id, at)
     where t.id = u.id`, [ids, times])
}
