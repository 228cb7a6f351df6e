import { Type, type Static } from '@sinclair/typebox'
import { described, ProjectId } from './common.js'

/**
 * Huawei IoTDA ResetDeviceSecret
 * `POST /v5/iot/{project_id}/devices/{device_id}/action?action_id=resetSecret`
 * (docs/iotda.md, vendor page 重置设备密钥). Field names, casing and
 * value rules are the vendor's, so the IoTDA SDKs parse the replies unchanged.
 */

const SecretTypeValue = Type.Unsafe<'PRIMARY' | 'SECONDARY'>({ type: 'string', enum: ['PRIMARY', 'SECONDARY'] })

export const ResetSecretParams = Type.Object({
  project_id: ProjectId,
  device_id: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,128}$',
    description: '设备ID: at most 128 characters of letters, digits, _ and -',
    examples: ['d4922d8a-6c8e-4396-852c-164aefa6638f']
  })
})

export const ResetSecretQuery = Type.Object({
  action_id: Type.Literal('resetSecret', { description: 'The action; resetSecret is the only one served' })
})

export const ResetSecretHeaders = Type.Object({
  'instance-id': Type.Optional(Type.String({
    description: 'Instance-Id: when sent it must equal the instance id configured on the project ' +
      '(ignored when the project has none, as on the basic edition)'
  }))
})

/**
 * Every field optional; an empty or absent body resets the primary secret to a
 * generated one. Unknown fields are refused (400 IOTDA.000006): a misspelt
 * `forceDisconnect` must not silently leave a stolen session connected.
 */
export const ResetSecretBody = Type.Object({
  secret: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_-]{8,32}$',
    description: 'New secret: 8–32 characters of letters, digits, _ and -. Absent: a random 32-hex-character secret is generated',
    examples: ['3b93abcd_dc3c']
  })),
  force_disconnect: Type.Optional(Type.Boolean({ description: 'Close the device\'s live MQTT connections (default false)' })),
  secret_type: Type.Optional({ ...SecretTypeValue, description: 'PRIMARY (default) or SECONDARY' })
}, { additionalProperties: false, title: 'ResetDeviceSecret', examples: [{ secret: '3b93abcd_dc3c', force_disconnect: true, secret_type: 'PRIMARY' }, {}] })
export type ResetSecretBodyType = Static<typeof ResetSecretBody>

export const ResetSecretReply = described(Type.Object({
  device_id: Type.String({ description: 'The device id' }),
  secret: Type.String({ description: 'The new secret (the only time a generated one is shown)' }),
  secret_type: { ...SecretTypeValue, description: 'Which secret was reset: PRIMARY or SECONDARY' }
}, { title: 'ResetDeviceSecretResponse' }), 'OK: the new secret is committed and in force on every instance')
export type ResetSecretReplyType = Static<typeof ResetSecretReply>
