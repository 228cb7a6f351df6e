import { randomHex } from '../keys.js'
import { notFound } from '../errors.js'
import { appendAudit } from './audit.js'
import { notifyChange, rowAad, type StoreContext } from './context.js'
import { claimIdentities, uniquelyNamed } from './identities.js'
import { requireProject } from './targets.js'

export type SecretType = 'PRIMARY' | 'SECONDARY'

export interface DeviceSummary { deviceId: string, hasSecondary: boolean, createdAt: Date, updatedAt: Date }

export interface DeviceSecrets { projectId: string, primarySecret: string | null, secondarySecret: string | null }

const COLUMN: Record<SecretType, 'primary_sealed' | 'secondary_sealed'> = { PRIMARY: 'primary_sealed', SECONDARY: 'secondary_sealed' }

/** Device secrets are sealed, not hashed: the MQTT login check needs the plain value for its HMAC. */
export class Devices {
  constructor (private readonly ctx: StoreContext) {}

  async create (projectId: string, input: { deviceId?: string, secret: string, secondarySecret?: string | null }, actor: string): Promise<{ deviceId: string }> {
    const deviceId = input.deviceId ?? randomHex(12)
    await this.ctx.db.transaction(async (tx) => {
      await requireProject(tx, projectId)
      // Device ids share one namespace with dock and sub-device serial numbers (src/store/identities.ts).
      await claimIdentities(tx, projectId, { deviceId }, [{ name: deviceId, role: 'device' }])
      await uniquelyNamed(deviceId, () => tx.query(
        'insert into devices (id, project_id, primary_sealed, secondary_sealed) values ($1, $2, $3, $4)',
        [deviceId, projectId, this.#seal(deviceId, 'PRIMARY', input.secret),
          input.secondarySecret == null ? null : this.#seal(deviceId, 'SECONDARY', input.secondarySecret)]))
      await appendAudit(tx, {
        projectId, actor, action: 'device.create', subject: deviceId,
        detail: { generated: input.deviceId === undefined, secondary: input.secondarySecret != null }
      })
    })
    return { deviceId }
  }

  async list (projectId: string): Promise<DeviceSummary[]> {
    const rows = await this.ctx.db.query<{ id: string, secondary_sealed: string | null, created_at: Date, updated_at: Date }>(
      'select id, secondary_sealed, created_at, updated_at from devices where project_id = $1 order by created_at, id', [projectId])
    return rows.map((r) => ({ deviceId: r.id, hasSecondary: r.secondary_sealed !== null, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) }))
  }

  async get (projectId: string, deviceId: string): Promise<DeviceSummary> {
    const device = (await this.list(projectId)).find((d) => d.deviceId === deviceId)
    if (device === undefined) throw notFound('device_not_found', `device ${deviceId} does not exist in project ${projectId}`)
    return device
  }

  async delete (projectId: string, deviceId: string, actor: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query('delete from devices where id = $1 and project_id = $2 returning id', [deviceId, projectId])
      if (rows.length === 0) throw notFound('device_not_found', `device ${deviceId} does not exist in project ${projectId}`)
      await appendAudit(tx, { projectId, actor, action: 'device.delete', subject: deviceId })
      await notifyChange(this.ctx, tx, { kind: 'device', id: deviceId, projectId, disconnect: true })
    })
  }

  /**
   * Replaces one secret. The update, its audit event and the change notice
   * commit together or not at all, so a failed reset leaves the old secret in force.
   */
  async resetSecret (projectId: string, deviceId: string, type: SecretType, secret: string,
    audit: { actor: string, generated: boolean, forceDisconnect: boolean }): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const rows = await tx.query(
        `update devices set ${COLUMN[type]} = $3, updated_at = now() where id = $1 and project_id = $2 returning id`,
        [deviceId, projectId, this.#seal(deviceId, type, secret)])
      if (rows.length === 0) throw notFound('device_not_found', `device ${deviceId} does not exist in project ${projectId}`)
      await appendAudit(tx, {
        projectId, actor: audit.actor, action: 'device.reset_secret', subject: deviceId,
        detail: { secret_type: type, generated: audit.generated, force_disconnect: audit.forceDisconnect }
      })
      await notifyChange(this.ctx, tx, { kind: 'device', id: deviceId, projectId, disconnect: audit.forceDisconnect })
    })
  }

  /** Secrets of a device whose project is enabled, for MQTT login; undefined otherwise. */
  async findForLogin (deviceId: string): Promise<DeviceSecrets | undefined> {
    const [row] = await this.ctx.db.query<{ project_id: string, primary_sealed: string | null, secondary_sealed: string | null }>(
      `select d.project_id, d.primary_sealed, d.secondary_sealed from devices d join projects p on p.id = d.project_id
       join device_identities own on own.name = d.id and own.device_id = d.id
       where d.id = $1 and not p.disabled`, [deviceId])
    if (row === undefined) return undefined
    const open = (type: SecretType, sealed: string | null): string | null =>
      sealed === null ? null : this.ctx.keys.open(sealed, rowAad('devices', COLUMN[type], deviceId))
    return { projectId: row.project_id, primarySecret: open('PRIMARY', row.primary_sealed), secondarySecret: open('SECONDARY', row.secondary_sealed) }
  }

  #seal (deviceId: string, type: SecretType, secret: string): string {
    return this.ctx.keys.seal(secret, rowAad('devices', COLUMN[type], deviceId))
  }
}
