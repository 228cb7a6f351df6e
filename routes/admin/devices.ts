import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  adminErrors, CreateDeviceBody, DeviceList, DeviceParams, DeviceSecretReset, DeviceView, NewDevice, ProjectParams, ResetDeviceSecretBody
} from '../../schemas/admin.js'
import { generateDeviceSecret } from '../../src/devices/secret.js'
import type { DeviceSummary } from '../../src/store/devices.js'
import { absentBodyIsEmpty } from '../../src/http-body.js'
import { ADMIN_ACTOR, adminDocs } from './common.js'

const deviceView = (d: DeviceSummary) => ({
  device_id: d.deviceId, has_secondary_secret: d.hasSecondary, created_at: d.createdAt.toISOString(), updated_at: d.updatedAt.toISOString()
})

/** IoTDA devices: ids unique across the deployment, secrets sealed at rest. */
const devices: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app

  app.post('/projects/:project_id/devices', {
    schema: {
      ...adminDocs, summary: 'Register a device (its primary secret is generated when absent and shown only here)',
      params: ProjectParams, body: Type.Optional(CreateDeviceBody), response: { 201: NewDevice, ...adminErrors(404, 409) }
    },
    preValidation: absentBodyIsEmpty
  }, async (req, reply) => {
    const secret = req.body?.secret ?? generateDeviceSecret()
    const { deviceId } = await store.devices.create(req.params.project_id, {
      deviceId: req.body?.device_id, secret, secondarySecret: req.body?.secondary_secret
    }, ADMIN_ACTOR)
    return reply.code(201).send({ device_id: deviceId, secret })
  })

  app.get('/projects/:project_id/devices', {
    schema: { ...adminDocs, summary: 'List devices', params: ProjectParams, response: { 200: DeviceList, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    return { devices: (await store.devices.list(req.params.project_id)).map(deviceView) }
  })

  app.get('/projects/:project_id/devices/:device_id', {
    schema: { ...adminDocs, summary: 'Show a device', params: DeviceParams, response: { 200: DeviceView, ...adminErrors(404) } }
  }, async (req) => deviceView(await store.devices.get(req.params.project_id, req.params.device_id)))

  app.post('/projects/:project_id/devices/:device_id/reset-secret', {
    schema: {
      ...adminDocs,
      summary: 'Reset a device secret (generated when absent, shown only here), optionally closing its live sessions',
      params: DeviceParams, body: Type.Optional(ResetDeviceSecretBody), response: { 200: DeviceSecretReset, ...adminErrors(404) }
    },
    preValidation: absentBodyIsEmpty
  }, async (req) => {
    const reset = await app.devices.reset({
      projectId: req.params.project_id,
      deviceId: req.params.device_id,
      secret: req.body?.secret,
      secretType: req.body?.secret_type ?? 'PRIMARY',
      forceDisconnect: req.body?.force_disconnect ?? false,
      actor: ADMIN_ACTOR
    })
    return { device_id: reset.deviceId, secret: reset.secret, secret_type: reset.secretType }
  })

  app.delete('/projects/:project_id/devices/:device_id', {
    schema: { ...adminDocs, summary: 'Delete a device', params: DeviceParams, response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404) } }
  }, async (req, reply) => {
    await store.devices.delete(req.params.project_id, req.params.device_id, ADMIN_ACTOR)
    return reply.code(204).send(null)
  })
}
export default devices
