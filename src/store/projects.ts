import { randomHex } from '../keys.js'
import { notFound } from '../errors.js'
import { appendAudit } from './audit.js'
import { notifyChange, type StoreContext } from './context.js'

export interface Project {
  projectId: string
  name: string
  instanceId: string | null
  disabled: boolean
  createdAt: Date
}

interface ProjectRow { id: string, name: string, instance_id: string | null, disabled: boolean, created_at: Date }

const toProject = (r: ProjectRow): Project => ({
  projectId: r.id, name: r.name, instanceId: r.instance_id, disabled: r.disabled, createdAt: new Date(r.created_at)
})

export class Projects {
  constructor (private readonly ctx: StoreContext) {}

  async create (input: { name: string, instanceId?: string | null }, actor: string): Promise<Project> {
    // Huawei project ids are 32 lowercase hex characters; ours look the same.
    const id = randomHex(16)
    return this.ctx.db.transaction(async (tx) => {
      const [row] = await tx.query<ProjectRow>(
        'insert into projects (id, name, instance_id) values ($1, $2, $3) returning *',
        [id, input.name, input.instanceId ?? null])
      await appendAudit(tx, { projectId: id, actor, action: 'project.create', subject: id, detail: { name: input.name } })
      return toProject(row as ProjectRow)
    })
  }

  /** All projects, or those with exactly this name (names need not be unique). */
  async list (filter: { name?: string } = {}): Promise<Project[]> {
    const rows = filter.name === undefined
      ? await this.ctx.db.query<ProjectRow>('select * from projects order by created_at, id')
      : await this.ctx.db.query<ProjectRow>('select * from projects where name = $1 order by created_at, id', [filter.name])
    return rows.map(toProject)
  }

  async find (projectId: string): Promise<Project | undefined> {
    const [row] = await this.ctx.db.query<ProjectRow>('select * from projects where id = $1', [projectId])
    return row === undefined ? undefined : toProject(row)
  }

  async get (projectId: string): Promise<Project> {
    const project = await this.find(projectId)
    if (project === undefined) throw notFound('project_not_found', `project ${projectId} does not exist`)
    return project
  }

  async update (projectId: string, patch: { name?: string, disabled?: boolean }, actor: string): Promise<Project> {
    return this.ctx.db.transaction(async (tx) => {
      const [row] = await tx.query<ProjectRow>(
        `update projects set name = coalesce($2, name), disabled = coalesce($3, disabled), updated_at = now()
         where id = $1 returning *`, [projectId, patch.name ?? null, patch.disabled ?? null])
      if (row === undefined) throw notFound('project_not_found', `project ${projectId} does not exist`)
      await appendAudit(tx, { projectId, actor, action: 'project.update', subject: projectId, detail: { ...patch } })
      await notifyChange(this.ctx, tx, { kind: 'project', id: projectId, projectId })
      return toProject(row)
    })
  }

  async delete (projectId: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      // Bindings and gateways reference targets without cascade; drop them first.
      await tx.query('delete from bindings where project_id = $1', [projectId])
      await tx.query('delete from gateways where project_id = $1', [projectId])
      const deleted = await tx.query('delete from projects where id = $1 returning id', [projectId])
      if (deleted.length === 0) throw notFound('project_not_found', `project ${projectId} does not exist`)
      await appendAudit(tx, { projectId, actor, action: 'project.delete', subject: projectId })
      await notifyChange(this.ctx, tx, { kind: 'project', id: projectId, projectId })
    })
  }
}
