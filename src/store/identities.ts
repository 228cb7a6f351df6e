import { conflict, invalid } from '../errors.js'
import type { Queryable } from './db.js'

/**
 * One namespace for every name a device or dock is known by on MQTT: dock
 * serial numbers, sub-device serial numbers and IoTDA device ids. A name
 * belongs to exactly one identity across the deployment (docs/operations.md
 * "Tenant isolation"): the `device_identities` primary key enforces it, so
 * two transactions racing for one name cannot both commit, whatever order the
 * roles come in.
 */
export type IdentityRole = 'dock' | 'sub_device' | 'device'

export interface IdentityClaim {
  name: string
  role: IdentityRole
}

const ROLE_WORDS: Record<IdentityRole, string> = { dock: 'a dock serial number', sub_device: 'a sub-device serial number', device: 'a device id' }

/**
 * Claims names for one gateway or device row inserted in the same
 * transaction (before or after: the owner reference is checked at commit). A name already held (by anyone, in any role, in any project)
 * is a 409 `identity_taken` naming it and its current role; a name listed
 * twice in one request is the caller's mistake (400).
 */
export async function claimIdentities (
  tx: Queryable,
  projectId: string,
  owner: { gatewaySn: string } | { deviceId: string },
  claims: readonly IdentityClaim[]
): Promise<void> {
  const names = claims.map((c) => c.name)
  const repeated = names.find((name, i) => names.indexOf(name) !== i)
  if (repeated !== undefined) throw invalid('identity_repeated', `${repeated} is listed more than once (a dock's serial number and its sub-devices' must all differ)`)
  // For the message only: the primary key below is what guarantees uniqueness.
  const held = await tx.query<{ name: string, role: IdentityRole }>('select name, role from device_identities where name = any($1)', [names])
  if (held[0] !== undefined) throw taken(held[0].name, held[0].role)
  try {
    await tx.query(
      `insert into device_identities (name, project_id, role, gateway_sn, device_id)
       select claim.name, $2, claim.role, $3, $4 from unnest($1::text[], $5::text[]) as claim(name, role)`,
      [names, projectId, 'gatewaySn' in owner ? owner.gatewaySn : null, 'deviceId' in owner ? owner.deviceId : null, claims.map((c) => c.role)])
  } catch (err) {
    // Lost a race with a concurrent claim of the same name.
    if ((err as { code?: string }).code === '23505') throw taken(names.join(', '), undefined)
    throw err
  }
}

/** The 409 for a name that is already some identity's. */
export function taken (name: string, role: IdentityRole | undefined): Error {
  const as = role === undefined ? '' : ` as ${ROLE_WORDS[role]}`
  return conflict('identity_taken',
    `${name} is already registered${as} in this deployment: dock serial numbers, sub-device serial numbers and device ids are unique across all projects and roles`)
}

/** A primary-key clash on the owner row itself (a row from before the namespace existed) is the same 409. */
export async function uniquelyNamed<T> (name: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw taken(name, undefined)
    throw err
  }
}
