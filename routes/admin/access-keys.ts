import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AccessKeyList, AccessKeyParams, adminErrors, NewAccessKey, ProjectParams } from '../../schemas/admin.js'
import { ADMIN_ACTOR, adminDocs } from './common.js'

/** Access keys sign EDAS (ROA/ACS3) and Huawei (APIG) requests for their project. */
const accessKeys: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app

  app.post('/projects/:project_id/access-keys', {
    schema: {
      ...adminDocs, summary: 'Create an access key (the secret is shown only here)', params: ProjectParams,
      response: { 201: NewAccessKey, ...adminErrors(404) }
    }
  }, async (req, reply) => {
    const key = await store.accessKeys.create(req.params.project_id, ADMIN_ACTOR)
    return reply.code(201).send({ access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey })
  })

  app.get('/projects/:project_id/access-keys', {
    schema: { ...adminDocs, summary: 'List access key ids', params: ProjectParams, response: { 200: AccessKeyList, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    const keys = await store.accessKeys.list(req.params.project_id)
    return { access_keys: keys.map((k) => ({ access_key_id: k.accessKeyId, disabled: k.disabled, created_at: k.createdAt.toISOString() })) }
  })

  app.delete('/projects/:project_id/access-keys/:access_key_id', {
    schema: {
      ...adminDocs, summary: 'Disable an access key (takes effect at once on every instance)', params: AccessKeyParams,
      response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404) }
    }
  }, async (req, reply) => {
    await store.accessKeys.disable(req.params.project_id, req.params.access_key_id, ADMIN_ACTOR)
    return reply.code(204).send(null)
  })
}
export default accessKeys
