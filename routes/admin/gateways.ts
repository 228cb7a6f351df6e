import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { adminErrors, CreateGatewayBody, GatewayList, GatewayParams, GatewayView, NewGateway, ProjectParams, UpdateGatewayBody } from '../../schemas/admin.js'
import { randomString } from '../../src/keys.js'
import type { Gateway } from '../../src/store/gateways.js'
import { ADMIN_ACTOR, adminDocs } from './common.js'

const gatewayView = (g: Gateway) => ({
  sn: g.sn, target_id: g.targetId, object_key_prefix: g.objectKeyPrefix, sub_devices: g.subDevices,
  disabled: g.disabled, created_at: g.createdAt.toISOString()
})

/** DJI docks: their broker login and the media prefix their credentials are scoped to. */
const gateways: FastifyPluginAsyncTypebox = async (app) => {
  const { store, config } = app

  app.post('/projects/:project_id/gateways', {
    schema: {
      ...adminDocs, summary: 'Register a dock (broker password generated when absent, shown only here, stored hashed)',
      params: ProjectParams, body: CreateGatewayBody, response: { 201: NewGateway, ...adminErrors(404, 409) }
    }
  }, async (req, reply) => {
    const password = req.body.password ?? randomString(32)
    const gateway = await store.gateways.create(req.params.project_id, {
      sn: req.body.sn,
      targetId: req.body.target_id,
      objectKeyPrefix: req.body.object_key_prefix ?? config.dji.prefixTemplate.replaceAll('{gateway_sn}', req.body.sn),
      password,
      subDevices: req.body.sub_devices
    }, ADMIN_ACTOR)
    return reply.code(201).send({ ...gatewayView(gateway), username: gateway.sn, password })
  })

  app.get('/projects/:project_id/gateways', {
    schema: { ...adminDocs, summary: 'List docks', params: ProjectParams, response: { 200: GatewayList, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    return { gateways: (await store.gateways.list(req.params.project_id)).map(gatewayView) }
  })

  app.get('/projects/:project_id/gateways/:sn', {
    schema: { ...adminDocs, summary: 'Show a dock', params: GatewayParams, response: { 200: GatewayView, ...adminErrors(404) } }
  }, async (req) => gatewayView(await store.gateways.get(req.params.project_id, req.params.sn)))

  app.patch('/projects/:project_id/gateways/:sn', {
    schema: {
      ...adminDocs, summary: 'Disable a dock or move it to another target or prefix', params: GatewayParams,
      body: UpdateGatewayBody, response: { 200: GatewayView, ...adminErrors(404, 409) }
    }
  }, async (req) => gatewayView(await store.gateways.update(req.params.project_id, req.params.sn, {
    disabled: req.body.disabled, targetId: req.body.target_id, objectKeyPrefix: req.body.object_key_prefix
  }, ADMIN_ACTOR)))

  app.delete('/projects/:project_id/gateways/:sn', {
    schema: { ...adminDocs, summary: 'Delete a dock', params: GatewayParams, response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404) } }
  }, async (req, reply) => {
    await store.gateways.delete(req.params.project_id, req.params.sn, ADMIN_ACTOR)
    return reply.code(204).send(null)
  })
}
export default gateways
