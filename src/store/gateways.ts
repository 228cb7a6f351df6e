import { hashPassword, verifyPassword } from '../keys.js'
import { invalid, notFound } from '../errors.js'
import type { StorageTarget } from '../domain/target.js'
import { appendAudit } from './audit.js'
import { notifyChange, type StoreContext } from './context.js'
import { claimIdentities, uniquelyNamed } from './identities.js'
import { assertPrefixFree, BINDABLE_PROVIDERS, lockPrefixClaims, requireProject, targetOfProject, type Targets } from './targets.js'
import type { Queryable } from './db.js'

export interface Gateway {
  sn: string
  projectId: string
  targetId: string
  objectKeyPrefix: string
  subDevices: string[]
  disabled: boolean
  createdAt: Date
}

interface GatewayRow {
  sn: string, project_id: string, target_id: string, object_key_prefix: string,
  sub_devices: string[], disabled: boolean, created_at: Date, password_hash: string
}

const toGateway = (r: GatewayRow): Gateway => ({
  sn: r.sn, projectId: r.project_id, targetId: r.target_id, objectKeyPrefix: r.object_key_prefix,
  subDevices: r.sub_devices ?? [], disabled: r.disabled, createdAt: new Date(r.created_at)
})

/** DJI docks: broker login (password stored as a salted scrypt hash) and the prefix their media goes to. */
export class Gateways {
  constructor (private readonly ctx: StoreContext, private readonly targets: Targets) {}

  async create (projectId: string, input: { sn: string, targetId: string, objectKeyPrefix: string, password: string, subDevices?: string[] }, actor: string): Promise<Gateway> {
    const passwordHash = await hashPassword(input.password)
    return this.ctx.db.transaction(async (tx) => {
      await requireProject(tx, projectId)
      await this.#checkTarget(tx, projectId, input.targetId, input.objectKeyPrefix)
      // The dock's sn and its sub-devices' are names no other dock, sub-device or device may hold.
      await claimIdentities(tx, projectId, { gatewaySn: input.sn }, [
        { name: input.sn, role: 'dock' },
        ...(input.subDevices ?? []).map((name) => ({ name, role: 'sub_device' as const }))
      ])
      const [row] = await uniquelyNamed(input.sn, () => tx.query<GatewayRow>(
        `insert into gateways (sn, project_id, target_id, object_key_prefix, password_hash, sub_devices)
         values ($1, $2, $3, $4, $5, $6) returning *`,
        [input.sn, projectId, input.targetId, input.objectKeyPrefix, passwordHash, input.subDevices ?? []]))
      await appendAudit(tx, {
        projectId, actor, action: 'gateway.create', subject: input.sn,
        detail: { target_id: input.targetId, object_key_prefix: input.objectKeyPrefix, sub_devices: input.subDevices ?? [] }
      })
      // A cached "unknown gateway" and the service role's sn lists must see the new dock at once.
      await notifyChange(this.ctx, tx, { kind: 'gateway', id: input.sn, projectId })
      return toGateway(row as GatewayRow)
    })
  }

  async list (projectId: string): Promise<Gateway[]> {
    return (await this.ctx.db.query<GatewayRow>('select * from gateways where project_id = $1 order by created_at, sn', [projectId])).map(toGateway)
  }

  async get (projectId: string, sn: string): Promise<Gateway> {
    const [row] = await this.ctx.db.query<GatewayRow>('select * from gateways where sn = $1 and project_id = $2', [sn, projectId])
    if (row === undefined) throw notFound('gateway_not_found', `gateway ${sn} does not exist in project ${projectId}`)
    return toGateway(row)
  }

  async update (projectId: string, sn: string, patch: { disabled?: boolean, targetId?: string, objectKeyPrefix?: string }, actor: string): Promise<Gateway> {
    return this.ctx.db.transaction(async (tx) => {
      const [current] = await tx.query<GatewayRow>('select * from gateways where sn = $1 and project_id = $2 for update', [sn, projectId])
      if (current === undefined) throw notFound('gateway_not_found', `gateway ${sn} does not exist in project ${projectId}`)
      const targetId = patch.targetId ?? current.target_id
      const prefix = patch.objectKeyPrefix ?? current.object_key_prefix
      if (patch.targetId !== undefined || patch.objectKeyPrefix !== undefined) await this.#checkTarget(tx, projectId, targetId, prefix)
      const [row] = await tx.query<GatewayRow>(
        `update gateways set target_id = $3, object_key_prefix = $4, disabled = coalesce($5, disabled), updated_at = now()
         where sn = $1 and project_id = $2 returning *`, [sn, projectId, targetId, prefix, patch.disabled ?? null])
      await appendAudit(tx, { projectId, actor, action: 'gateway.update', subject: sn, detail: { ...patch } })
      await notifyChange(this.ctx, tx, { kind: 'gateway', id: sn, projectId })
      return toGateway(row as GatewayRow)
    })
  }

  async delete (projectId: string, sn: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query('delete from gateways where sn = $1 and project_id = $2 returning sn', [sn, projectId])
      if (rows.length === 0) throw notFound('gateway_not_found', `gateway ${sn} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: 'gateway.delete', subject: sn })
      await notifyChange(this.ctx, tx, { kind: 'gateway', id: sn, projectId })
    })
  }

  /** Broker login: the sns this gateway may use (its own and its sub-devices'), or undefined. */
  async verifyLogin (sn: string, password: string | Buffer): Promise<{ projectId: string, sns: string[] } | undefined> {
    // The sns come from the names this gateway owns (src/store/identities.ts), not from its
    // sub_devices column: a name it lost to an earlier registration is not its to use.
    const [row] = await this.ctx.db.query<GatewayRow & { project_disabled: boolean, owned: string[] }>(
      `select g.*, p.disabled as project_disabled,
         array(select i.name from device_identities i where i.gateway_sn = g.sn and i.role = 'sub_device' order by i.name) as owned
       from gateways g join projects p on p.id = g.project_id
       join device_identities own on own.name = g.sn and own.gateway_sn = g.sn
       where g.sn = $1`, [sn])
    // Hash anyway when the gateway is unknown, so timing does not tell which serial numbers exist.
    const ok = await verifyPassword(password, row?.password_hash ?? UNKNOWN_GATEWAY_HASH)
    if (row === undefined || !ok || row.disabled || row.project_disabled) return undefined
    return { projectId: row.project_id, sns: [row.sn, ...(row.owned ?? [])] }
  }

  /** The sns of a project's docks that own their serial number (the service role's topics). */
  async listOwnedSns (projectId: string): Promise<string[]> {
    const rows = await this.ctx.db.query<{ name: string }>(
      `select name from device_identities where project_id = $1 and role = 'dock' order by name`, [projectId])
    return rows.map((r) => r.name)
  }

  /** What a storage_config_get needs: the gateway's target (decrypted) and prefix; only a dock owning its sn. */
  async resolveForVend (sn: string): Promise<{ gateway: Gateway, disabled: boolean, target: StorageTarget } | undefined> {
    const [row] = await this.ctx.db.query<GatewayRow & { project_disabled: boolean }>(
      `select g.*, p.disabled as project_disabled from gateways g join projects p on p.id = g.project_id
       join device_identities own on own.name = g.sn and own.gateway_sn = g.sn
       where g.sn = $1`, [sn])
    if (row === undefined) return undefined
    const target = await this.targets.get(row.project_id, row.target_id)
    return { gateway: toGateway(row), disabled: row.disabled || row.project_disabled, target }
  }

  async #checkTarget (tx: Queryable, projectId: string, targetId: string, prefix: string): Promise<void> {
    const target = await targetOfProject(tx, projectId, targetId)
    if (!BINDABLE_PROVIDERS.gateway.includes(target.provider)) {
      // DJI docks only know the `ali` and `aws` providers (docs/dji.md).
      throw invalid('provider_not_bindable', `a gateway needs a target with provider ${BINDABLE_PROVIDERS.gateway.join(', ')}, not ${target.provider}`)
    }
    await lockPrefixClaims(tx)
    await assertPrefixFree(tx, projectId, target, prefix)
  }
}

// A valid hash of a random password nobody knows.
const UNKNOWN_GATEWAY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$0000000000000000000000000000000000000000000'
