import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import {
  AccessKeyList, AccessKeyParams, AccessKeyView, adminErrors, NewAccessKey, ProjectParams, RotatedAccessKey, UpdateAccessKeyBody
} from '../../schemas/admin.js'
import type { AccessKeySummary } from '../../src/store/access-keys.js'
import { ADMIN_ACTOR, adminDocs } from './common.js'

const accessKeyView = (k: AccessKeySummary) => ({
  access_key_id: k.accessKeyId, disabled: k.disabled, created_at: k.createdAt.toISOString(), last_used_at: k.lastUsedAt?.toISOString() ?? null
})

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
    schema: { ...adminDocs, summary: 'List access key ids, state and last use', params: ProjectParams, response: { 200: AccessKeyList, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    return { access_keys: (await store.accessKeys.list(req.params.project_id)).map(accessKeyView) }
  })

  app.patch('/projects/:project_id/access-keys/:access_key_id', {
    schema: {
      ...adminDocs, summary: 'Disable or re-enable an access key (takes effect at once on every instance)', params: AccessKeyParams,
      body: UpdateAccessKeyBody, response: { 200: AccessKeyView, ...adminErrors(404) }
    }
  }, async (req) => {
    const { project_id: projectId, access_key_id: id } = req.params
    return accessKeyView(req.body.disabled
      ? await store.accessKeys.disable(projectId, id, ADMIN_ACTOR)
      : await store.accessKeys.enable(projectId, id, ADMIN_ACTOR))
  })

  app.post('/projects/:project_id/access-keys/:access_key_id/rotate', {
    schema: {
      ...adminDocs,
      summary: 'Rotate an access key: a new key (secret shown only here), and the old one disabled in the same step',
      description: 'The old key stops working at once. For a rotation without downtime, create a second key, ' +
        'move the clients, then disable the first once its last_used_at stops moving.',
      params: AccessKeyParams, response: { 201: RotatedAccessKey, ...adminErrors(404) }
    }
  }, async (req, reply) => {
    const { project_id: projectId, access_key_id: id } = req.params
    const key = await store.accessKeys.rotate(projectId, id, ADMIN_ACTOR)
    return reply.code(201).send({ access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey, replaced_access_key_id: id })
  })

  app.delete('/projects/:project_id/access-keys/:access_key_id', {
    schema: {
      ...adminDocs, summary: 'Delete an access key for good (takes effect at once on every instance; PATCH disables reversibly)',
      params: AccessKeyParams, response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404) }
    }
  }, async (req, reply) => {
    await store.accessKeys.delete(req.params.project_id, req.params.access_key_id, ADMIN_ACTOR)
    return reply.code(204).send(null)
  })
}
export default accessKeys
