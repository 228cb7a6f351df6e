import { invalid } from '../errors.js'
import type { Devices, SecretType } from '../store/devices.js'
import { generateDeviceSecret } from './secret.js'

/**
 * IoTDA secret rule (ResetDeviceSecret, "secret": 长度不低于8不超过32,只允许字母、数字、
 * 下划线(_)、连接符(-)的组合). The route's schema checks it too; the service
 * checks again so no other caller can store a secret the device rule cannot use.
 */
export const DEVICE_SECRET_PATTERN = /^[A-Za-z0-9_-]{8,32}$/

export interface ResetSecretRequest {
  projectId: string
  deviceId: string
  /** Absent: a new one from the CSPRNG (32 hex characters). */
  secret?: string | undefined
  secretType: SecretType
  /** Close the device's live MQTT sessions on every instance once the reset commits. */
  forceDisconnect: boolean
  /** For the audit log: `ak:<id>`, `token:<id>`, `admin`. */
  actor: string
}

export interface ResetSecretResult {
  deviceId: string
  /** The only place a generated secret is ever shown. */
  secret: string
  secretType: SecretType
}

/**
 * Resets device secrets (docs/iotda.md "Success (HTTP 200)"). The store
 * commits the new sealed secret, its audit event (without the secret) and the
 * change notice in one transaction before this returns: when it throws, the
 * old secrets are still in force; when it returns, every instance refuses the
 * old secret on the next CONNECT, and with forceDisconnect every instance
 * closes the device's live sessions.
 */
export class DeviceSecretService {
  constructor (
    private readonly devices: Pick<Devices, 'resetSecret'>,
    private readonly generate: () => string = generateDeviceSecret
  ) {}

  async reset (request: ResetSecretRequest): Promise<ResetSecretResult> {
    const { projectId, deviceId, secretType, forceDisconnect, actor } = request
    if (request.secret !== undefined && !DEVICE_SECRET_PATTERN.test(request.secret)) {
      // The message names the rule, never the value.
      throw invalid('invalid_secret')
    }
    const generated = request.secret === undefined
    const secret = request.secret ?? this.generate()
    await this.devices.resetSecret(projectId, deviceId, secretType, secret, { actor, generated, forceDisconnect })
    return { deviceId, secret, secretType }
  }
}
