import { randomHex } from '../keys.js'
import { conflict, invalid, notFound } from '../errors.js'
import type { ProviderName, StorageTarget, Upstream } from '../domain/target.js'
import { appendAudit } from './audit.js'
import { notifyChange, rowAad, uniquely, type StoreContext } from './context.js'
import type { Queryable } from './db.js'

export interface NewTarget {
  name: string
  provider: ProviderName
  bucket: string
  region: string
  endpoint: string
  internalEndpoint?: string | null
  vpcEndpoint?: string | null
  durationSeconds: number
  upstream?: Upstream | null
}

interface TargetRow {
  id: string, project_id: string, name: string, provider: ProviderName, bucket: string, region: string,
  endpoint: string, internal_endpoint: string | null, vpc_endpoint: string | null,
  duration_seconds: number, upstream_sealed: string | null, version: number, created_at: Date
}

export type BindingKind = 'edas' | 'workspace'
export interface Binding { kind: BindingKind, targetId: string, prefix: string }

/** Which target kinds can serve which contract (the response shapes name OSS or OBS). */
export const BINDABLE_PROVIDERS: Record<BindingKind | 'gateway', readonly ProviderName[]> = {
  edas: ['aliyun', 'local'],
  workspace: ['huawei', 'local'],
  gateway: ['aliyun', 'aws', 'local']
}

export class Targets {
  constructor (private readonly ctx: StoreContext) {}

  async create (projectId: string, input: NewTarget, actor: string): Promise<StorageTarget & { createdAt: Date }> {
    const id = randomHex(8)
    const sealed = input.upstream == null
      ? null
      : this.ctx.keys.seal(JSON.stringify(input.upstream), rowAad('targets', 'upstream', id))
    return this.ctx.db.transaction(async (tx) => {
      await requireProject(tx, projectId)
      const [row] = await uniquely(`target "${input.name}"`, () => tx.query<TargetRow>(
        `insert into targets (id, project_id, name, provider, bucket, region, endpoint, internal_endpoint,
           vpc_endpoint, duration_seconds, upstream_sealed)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning *`,
        [id, projectId, input.name, input.provider, input.bucket, input.region, input.endpoint,
          input.internalEndpoint ?? null, input.vpcEndpoint ?? null, input.durationSeconds, sealed]))
      await appendAudit(tx, {
        projectId, actor, action: 'target.create', subject: id,
        detail: { name: input.name, provider: input.provider, bucket: input.bucket }
      })
      return this.#toTarget(row as TargetRow)
    })
  }

  async list (projectId: string): Promise<Array<StorageTarget & { createdAt: Date }>> {
    const rows = await this.ctx.db.query<TargetRow>('select * from targets where project_id = $1 order by created_at, id', [projectId])
    return rows.map((r) => this.#toTarget(r))
  }

  async get (projectId: string, targetId: string): Promise<StorageTarget & { createdAt: Date }> {
    const [row] = await this.ctx.db.query<TargetRow>('select * from targets where id = $1 and project_id = $2', [targetId, projectId])
    if (row === undefined) throw notFound('target_not_found', `target ${targetId} does not exist in project ${projectId}`)
    return this.#toTarget(row)
  }

  async delete (projectId: string, targetId: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const bound = await tx.query(
        `select 1 from bindings where target_id = $1 union all select 1 from gateways where target_id = $1`, [targetId])
      if (bound.length > 0) throw conflict('target_bound', `target ${targetId} is bound to a contract or a gateway; unbind it first`)
      const rows = await tx.query('delete from targets where id = $1 and project_id = $2 returning id', [targetId, projectId])
      if (rows.length === 0) throw notFound('target_not_found', `target ${targetId} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: 'target.delete', subject: targetId })
      await notifyChange(this.ctx, tx, { kind: 'target', id: targetId, projectId })
    })
  }

  async bindings (projectId: string): Promise<Binding[]> {
    const rows = await this.ctx.db.query<{ kind: BindingKind, target_id: string, prefix: string }>(
      'select kind, target_id, prefix from bindings where project_id = $1 order by kind', [projectId])
    return rows.map((r) => ({ kind: r.kind, targetId: r.target_id, prefix: r.prefix }))
  }

  /** Replaces the named bindings in one transaction; refuses prefixes another project holds on the same bucket. */
  async putBindings (projectId: string, bindings: Binding[], actor: string): Promise<Binding[]> {
    await this.ctx.db.transaction(async (tx) => {
      await requireProject(tx, projectId)
      await lockPrefixClaims(tx)
      for (const b of bindings) {
        const target = await targetOfProject(tx, projectId, b.targetId)
        if (!BINDABLE_PROVIDERS[b.kind].includes(target.provider)) {
          throw invalid('provider_not_bindable', `a ${b.kind} binding needs a target with provider ${BINDABLE_PROVIDERS[b.kind].join(' or ')}, not ${target.provider}`)
        }
        await assertPrefixFree(tx, projectId, target, b.prefix)
        await tx.query(
          `insert into bindings (project_id, kind, target_id, prefix) values ($1, $2, $3, $4)
           on conflict (project_id, kind) do update set target_id = excluded.target_id, prefix = excluded.prefix, updated_at = now()`,
          [projectId, b.kind, b.targetId, b.prefix])
      }
      await appendAudit(tx, {
        projectId, actor, action: 'bindings.put', subject: projectId,
        detail: Object.fromEntries(bindings.map((b) => [b.kind, { target_id: b.targetId, prefix: b.prefix }]))
      })
      await notifyChange(this.ctx, tx, { kind: 'binding', id: projectId, projectId })
    })
    return this.bindings(projectId)
  }

  /** Removes one contract's binding; that contract answers "not configured" for the project from then on. */
  async deleteBinding (projectId: string, kind: BindingKind, actor: string): Promise<Binding[]> {
    await this.ctx.db.transaction(async (tx) => {
      await requireProject(tx, projectId)
      const rows = await tx.query('delete from bindings where project_id = $1 and kind = $2 returning kind', [projectId, kind])
      if (rows.length === 0) throw notFound('binding_not_found', `project ${projectId} has no ${kind} binding`)
      await appendAudit(tx, { projectId, actor, action: 'bindings.delete', subject: projectId, detail: { kind } })
      await notifyChange(this.ctx, tx, { kind: 'binding', id: projectId, projectId })
    })
    return this.bindings(projectId)
  }

  /** The binding a contract serves from, with its target decrypted; undefined when not configured. */
  async resolveBinding (projectId: string, kind: BindingKind): Promise<{ target: StorageTarget, prefix: string } | undefined> {
    const [row] = await this.ctx.db.query<TargetRow & { prefix: string }>(
      `select t.*, b.prefix from bindings b join targets t on t.id = b.target_id
       where b.project_id = $1 and b.kind = $2`, [projectId, kind])
    return row === undefined ? undefined : { target: this.#toTarget(row), prefix: row.prefix }
  }

  #toTarget (r: TargetRow): StorageTarget & { createdAt: Date } {
    // A driver row: the sealed upstream was stored with this provider by create(), so the pair matches.
    return {
      id: r.id,
      projectId: r.project_id,
      version: Number(r.version),
      name: r.name,
      provider: r.provider,
      bucket: r.bucket,
      region: r.region,
      endpoint: r.endpoint,
      internalEndpoint: r.internal_endpoint,
      vpcEndpoint: r.vpc_endpoint,
      durationSeconds: Number(r.duration_seconds),
      upstream: r.upstream_sealed === null
        ? null
        : JSON.parse(this.ctx.keys.open(r.upstream_sealed, rowAad('targets', 'upstream', r.id))) as Upstream,
      createdAt: new Date(r.created_at)
    } as StorageTarget & { createdAt: Date }
  }
}

export async function requireProject (tx: Queryable, projectId: string): Promise<void> {
  const rows = await tx.query('select id from projects where id = $1', [projectId])
  if (rows.length === 0) throw notFound('project_not_found', `project ${projectId} does not exist`)
}

export async function targetOfProject (tx: Queryable, projectId: string, targetId: string): Promise<{ provider: ProviderName, bucket: string }> {
  const [row] = await tx.query<{ provider: ProviderName, bucket: string }>(
    'select provider, bucket from targets where id = $1 and project_id = $2', [targetId, projectId])
  if (row === undefined) throw notFound('target_not_found', `target ${targetId} does not exist in project ${projectId}`)
  return row
}

/** Serialises prefix claims (bindings and gateways) so two projects cannot race to overlapping ones. */
export async function lockPrefixClaims (tx: Queryable): Promise<void> {
  await tx.query("select pg_advisory_xact_lock(hashtext('stsgate:prefix-claims'))")
}

/** docs/security.md rule 4: two projects never hold overlapping prefixes on one bucket. */
export async function assertPrefixFree (tx: Queryable, projectId: string, target: { provider: ProviderName, bucket: string }, prefix: string): Promise<void> {
  const clash = await tx.query(
    `select 1 from (
       select b.project_id, t.provider, t.bucket, b.prefix from bindings b join targets t on t.id = b.target_id
       union all
       select g.project_id, t.provider, t.bucket, g.object_key_prefix from gateways g join targets t on t.id = g.target_id
     ) claims
     where claims.project_id <> $1 and claims.provider = $2 and claims.bucket = $3
       and (starts_with(claims.prefix, $4) or starts_with($4, claims.prefix))
     limit 1`, [projectId, target.provider, target.bucket, prefix])
  if (clash.length > 0) {
    throw conflict('prefix_taken', `prefix "${prefix}" overlaps a prefix another project holds on bucket ${target.bucket}`)
  }
}
