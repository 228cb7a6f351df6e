import { createHmac } from 'node:crypto'
import { safeEqual } from '../keys.js'
import { isUnder } from './topics.js'

/** Backs IoTDA device login; implemented by the app over the store. */
export interface DeviceDirectory {
  /** Decrypted secrets of an enabled device in an enabled project, or undefined. */
  findDevice (deviceId: string): Promise<{ projectId: string, primarySecret: string | null, secondarySecret: string | null } | undefined>
}

/** What an IoTDA ClientId says (docs/iotda.md "Device MQTT login (IoTDA rule)"). */
export interface DeviceClientId {
  deviceId: string
  /** 0: the timestamp is not checked; 1: it must be within the current UTC hour ± 1. */
  signType: 0 | 1
  /** `YYYYMMDDHH`, UTC; the HMAC key. */
  timestamp: string
}

/*
 * IoTDA ClientId: `{device_id}_0_{sign_type}_{YYYYMMDDHH}`. The `0` is the
 * vendor's "device id" ClientId type (node id types are not ours to serve).
 * A device id is 1–128 characters of [A-Za-z0-9_-] and may itself contain
 * `_`, so the fixed-shape tail is matched from the right.
 */
const CLIENT_ID = /^([A-Za-z0-9_-]{1,128})_0_([01])_(\d{10})$/

export function parseDeviceClientId (clientId: string): DeviceClientId | undefined {
  const m = CLIENT_ID.exec(clientId)
  if (m === null) return undefined
  return { deviceId: m[1]!, signType: m[2] === '1' ? 1 : 0, timestamp: m[3]! }
}

/** Hours since the epoch of a `YYYYMMDDHH` UTC timestamp, or undefined when it names no real hour. */
export function timestampHour (timestamp: string): number | undefined {
  const y = Number(timestamp.slice(0, 4))
  const mo = Number(timestamp.slice(4, 6))
  const d = Number(timestamp.slice(6, 8))
  const h = Number(timestamp.slice(8, 10))
  const ms = Date.UTC(y, mo - 1, d, h)
  const back = new Date(ms)
  // Date.UTC rolls 2024-13-40 over into a valid date; a round trip catches it.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h) {
    return undefined
  }
  return ms / 3_600_000
}

/** IoTDA rule: lowercase hex HMAC-SHA256, key = the timestamp string, message = the secret. */
export const devicePassword = (secret: string, timestamp: string): string =>
  createHmac('sha256', timestamp).update(secret).digest('hex')

export type DeviceLoginRefusal = 'malformed' | 'username_mismatch' | 'sign_type_0_refused' | 'timestamp_out_of_window' | 'unknown_device' | 'bad_password'

export type DeviceLoginResult =
  | { ok: true, deviceId: string, projectId: string, secret: 'primary' | 'secondary' }
  | { ok: false, reason: DeviceLoginRefusal }

export interface DeviceLoginPolicy {
  /** STSGATE_MQTT_REQUIRE_TIMESTAMP=1 (docs/security.md rule 7): refuse sign_type 0. */
  requireTimestamp: boolean
  now: () => number
}

/** Checks one IoTDA CONNECT. Throws only when the directory does (store down). */
export async function verifyDeviceLogin (
  devices: DeviceDirectory,
  policy: DeviceLoginPolicy,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined
): Promise<DeviceLoginResult> {
  const parsed = parseDeviceClientId(clientId)
  if (parsed === undefined) return { ok: false, reason: 'malformed' }
  if (username !== parsed.deviceId) return { ok: false, reason: 'username_mismatch' }
  if (parsed.signType === 0 && policy.requireTimestamp) return { ok: false, reason: 'sign_type_0_refused' }
  const hour = timestampHour(parsed.timestamp)
  if (parsed.signType === 1) {
    const current = Math.floor(policy.now() / 3_600_000)
    if (hour === undefined || Math.abs(hour - current) > 1) return { ok: false, reason: 'timestamp_out_of_window' }
  }
  const device = await devices.findDevice(parsed.deviceId)
  if (device === undefined) return { ok: false, reason: 'unknown_device' }
  const given = password ?? Buffer.alloc(0)
  // Primary first, then secondary (docs/iotda.md "Success (HTTP 200)"); each compare is constant-time.
  if (device.primarySecret !== null && safeEqual(given, devicePassword(device.primarySecret, parsed.timestamp))) {
    return { ok: true, deviceId: parsed.deviceId, projectId: device.projectId, secret: 'primary' }
  }
  if (device.secondarySecret !== null && safeEqual(given, devicePassword(device.secondarySecret, parsed.timestamp))) {
    return { ok: true, deviceId: parsed.deviceId, projectId: device.projectId, secret: 'secondary' }
  }
  return { ok: false, reason: 'bad_password' }
}

/**
 * IoTDA's device topics all live under `$oc/devices/{device_id}/` (e.g.
 * `$oc/devices/{device_id}/sys/messages/up`, `…/sys/properties/report`,
 * `…/sys/commands/#`): one prefix check covers publish and subscribe.
 */
export const deviceTopicPrefix = (deviceId: string): string => `$oc/devices/${deviceId}/`

export const deviceMayUse = (deviceId: string, topic: string): boolean =>
  isUnder(topic, deviceTopicPrefix(deviceId))
