import { randomString } from '../keys.js'
import { notFound } from '../errors.js'
import { appendAudit } from './audit.js'
import { notifyChange, rowAad, type StoreContext } from './context.js'

export interface AccessKeySummary {
  accessKeyId: string
  disabled: boolean
  createdAt: Date
}

/** What a signature verifier needs: the secret, and whether the key may be used at all. */
export interface AccessKeyForAuth {
  accessKeyId: string
  projectId: string
  secret: string
  /** The key or its project is disabled. */
  disabled: boolean
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

export class AccessKeys {
  constructor (private readonly ctx: StoreContext) {}

  /** Returns the secret: the only time it is ever shown. */
  async create (projectId: string, actor: string): Promise<{ accessKeyId: string, secretAccessKey: string }> {
    // 20 upper-case characters like Huawei AKs (Alibaba's LTAI… keys are 24; clients accept either).
    const accessKeyId = `SG${randomString(18, UPPER_ALNUM)}`
    const secretAccessKey = randomString(40)
    await this.ctx.db.transaction(async (tx) => {
      const project = await tx.query('select id from projects where id = $1', [projectId])
      if (project.length === 0) throw notFound('project_not_found', `project ${projectId} does not exist`)
      await tx.query('insert into access_keys (id, project_id, secret_sealed) values ($1, $2, $3)',
        [accessKeyId, projectId, this.ctx.keys.seal(secretAccessKey, rowAad('access_keys', 'secret', accessKeyId))])
      await appendAudit(tx, { projectId, actor, action: 'access_key.create', subject: accessKeyId })
    })
    return { accessKeyId, secretAccessKey }
  }

  async list (projectId: string): Promise<AccessKeySummary[]> {
    const rows = await this.ctx.db.query<{ id: string, disabled: boolean, created_at: Date }>(
      'select id, disabled, created_at from access_keys where project_id = $1 order by created_at, id', [projectId])
    return rows.map((r) => ({ accessKeyId: r.id, disabled: r.disabled, createdAt: new Date(r.created_at) }))
  }

  async disable (projectId: string, accessKeyId: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query(
        `update access_keys set disabled = true, disabled_at = coalesce(disabled_at, now())
         where id = $1 and project_id = $2 returning id`, [accessKeyId, projectId])
      if (rows.length === 0) throw notFound('access_key_not_found', `access key ${accessKeyId} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: 'access_key.disable', subject: accessKeyId })
      await notifyChange(this.ctx, tx, { kind: 'access_key', id: accessKeyId, projectId })
    })
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
}
