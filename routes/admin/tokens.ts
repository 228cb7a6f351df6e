import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { adminErrors, CreateTokenBody, NewToken, ProjectParams, TokenList, TokenParams } from '../../schemas/admin.js'
import { absentBodyIsEmpty } from '../../src/http-body.js'
import { ADMIN_ACTOR, adminDocs } from './common.js'

/** Project tokens: what Workspace and IoTDA callers send as X-Auth-Token. */
const tokens: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app

  app.post('/projects/:project_id/tokens', {
    schema: {
      ...adminDocs, summary: 'Issue an X-Auth-Token (shown only here; stored hashed)', params: ProjectParams,
      body: Type.Optional(CreateTokenBody), response: { 201: NewToken, ...adminErrors(404) }
    },
    preValidation: absentBodyIsEmpty
  }, async (req, reply) => {
    const token = await store.tokens.create(req.params.project_id, req.body?.ttl_seconds ?? 86_400, ADMIN_ACTOR)
    return reply.code(201).send({ token_id: token.tokenId, token: token.token, expires_at: token.expiresAt.toISOString() })
  })

  app.get('/projects/:project_id/tokens', {
    schema: { ...adminDocs, summary: 'List token ids, expiry and last use', params: ProjectParams, response: { 200: TokenList, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    const list = await store.tokens.list(req.params.project_id)
    return {
      tokens: list.map((t) => ({
        token_id: t.tokenId,
        expires_at: t.expiresAt.toISOString(),
        revoked: t.revoked,
        created_at: t.createdAt.toISOString(),
        last_used_at: t.lastUsedAt?.toISOString() ?? null
      }))
    }
  })

  app.delete('/projects/:project_id/tokens/:token_id', {
    schema: { ...adminDocs, summary: 'Revoke a token', params: TokenParams, response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404) } }
  }, async (req, reply) => {
    await store.tokens.revoke(req.params.project_id, req.params.token_id, ADMIN_ACTOR)
    return reply.code(204).send(null)
  })
}
export default tokens
