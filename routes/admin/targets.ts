import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import {
  adminErrors, BindingParams, Bindings, CreateTargetBody, ProjectParams, PutBindingsBody, TargetList, TargetParams, TargetView, UPSTREAM_INPUT,
  type CreateTargetInput
} from '../../schemas/admin.js'
import { invalid } from '../../src/errors.js'
import type { StorageTarget, Upstream } from '../../src/domain/target.js'
import { checkUpstreamEndpoint } from '../../src/providers/endpoint.js'
import type { Binding } from '../../src/store/targets.js'
import { ADMIN_ACTOR, adminDocs } from './common.js'

const SECRET_UPSTREAM_FIELDS = new Set(['access_key_secret', 'secret_access_key'])

export const targetView = (t: StorageTarget & { createdAt: Date }) => ({
  target_id: t.id,
  name: t.name,
  provider: t.provider,
  bucket: t.bucket,
  region: t.region,
  endpoint: t.endpoint,
  internal_endpoint: t.internalEndpoint,
  vpc_endpoint: t.vpcEndpoint,
  duration_seconds: t.durationSeconds,
  // Upstream secrets are never echoed.
  upstream: t.upstream === null
    ? null
    : Object.fromEntries(Object.entries(t.upstream).filter(([k, v]) => !SECRET_UPSTREAM_FIELDS.has(k) && typeof v === 'string')),
  created_at: t.createdAt.toISOString()
})

/** The one upstream shape each provider takes, checked with a message that names the field. */
function checkUpstream (body: CreateTargetInput, allowCustom: boolean): Upstream | null {
  if (body.provider === 'local') {
    if (body.upstream !== undefined) throw invalid('validation', 'body/upstream must be absent for provider local')
    return null
  }
  const schema = UPSTREAM_INPUT[body.provider]
  if (body.upstream === undefined) throw invalid('validation', `body/upstream is required for provider ${body.provider}`)
  const first = Value.Errors(schema, body.upstream).First()
  if (first !== undefined) throw invalid('validation', `body/upstream${first.path} ${first.message} (provider ${body.provider})`)
  const upstream = body.upstream as Record<string, string>
  if (body.provider === 'huawei' && (upstream.domain_name === undefined) === (upstream.domain_id === undefined)) {
    throw invalid('validation', 'body/upstream needs exactly one of domain_name and domain_id (provider huawei)')
  }
  for (const field of ['sts_endpoint', 'iam_endpoint']) {
    const url = upstream[field]
    if (url !== undefined) checkUpstreamEndpoint(url, { allowCustom })
  }
  return body.upstream as Upstream
}

const bindingsView = (bindings: Binding[]) => Object.fromEntries(bindings.map((b) => b.kind === 'edas'
  ? ['edas', { target_id: b.targetId, key_prefix: b.prefix }]
  : ['workspace', { target_id: b.targetId, directory: b.prefix }]))

/** Storage targets (where credentials point, how they are minted) and the contracts bound to them. */
const targets: FastifyPluginAsyncTypebox = async (app) => {
  const { store, config } = app

  app.post('/projects/:project_id/targets', {
    schema: {
      ...adminDocs, summary: 'Create a storage target (upstream secrets are stored encrypted and never returned)',
      params: ProjectParams, body: CreateTargetBody, response: { 201: TargetView, ...adminErrors(404, 409) }
    }
  }, async (req, reply) => {
    const body = req.body
    const upstream = checkUpstream(body, config.allowCustomUpstreams)
    const target = await store.targets.create(req.params.project_id, {
      name: body.name,
      provider: body.provider,
      bucket: body.bucket,
      region: body.region,
      endpoint: body.endpoint,
      internalEndpoint: body.internal_endpoint ?? null,
      vpcEndpoint: body.vpc_endpoint ?? null,
      durationSeconds: body.duration_seconds ?? 3600,
      upstream
    }, ADMIN_ACTOR)
    return reply.code(201).send(targetView(target))
  })

  app.get('/projects/:project_id/targets', {
    schema: { ...adminDocs, summary: 'List storage targets', params: ProjectParams, response: { 200: TargetList, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    return { targets: (await store.targets.list(req.params.project_id)).map(targetView) }
  })

  app.delete('/projects/:project_id/targets/:target_id', {
    schema: {
      ...adminDocs, summary: 'Delete a storage target (409 while a binding or gateway uses it)', params: TargetParams,
      response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404, 409) }
    }
  }, async (req, reply) => {
    await store.targets.delete(req.params.project_id, req.params.target_id, ADMIN_ACTOR)
    return reply.code(204).send(null)
  })

  app.get('/projects/:project_id/bindings', {
    schema: { ...adminDocs, summary: 'Show the contract bindings', params: ProjectParams, response: { 200: Bindings, ...adminErrors(404) } }
  }, async (req) => {
    await store.projects.get(req.params.project_id)
    return bindingsView(await store.targets.bindings(req.params.project_id))
  })

  app.put('/projects/:project_id/bindings', {
    schema: {
      ...adminDocs,
      summary: 'Bind EDAS and/or Workspace to targets (defaults: release-pkg/{project_id}/ and file/{project_id}/)',
      params: ProjectParams, body: PutBindingsBody, response: { 200: Bindings, ...adminErrors(404, 409) }
    }
  }, async (req) => {
    const { project_id: projectId } = req.params
    const wanted: Binding[] = []
    if (req.body.edas !== undefined) {
      wanted.push({ kind: 'edas', targetId: req.body.edas.target_id, prefix: req.body.edas.key_prefix ?? `release-pkg/${projectId}/` })
    }
    if (req.body.workspace !== undefined) {
      // Per-project default directory (docs/security.md rule 4): tenants never share one.
      wanted.push({ kind: 'workspace', targetId: req.body.workspace.target_id, prefix: req.body.workspace.directory ?? `file/${projectId}/` })
    }
    return bindingsView(await store.targets.putBindings(projectId, wanted, ADMIN_ACTOR))
  })

  app.delete('/projects/:project_id/bindings/:kind', {
    schema: {
      ...adminDocs, summary: 'Unbind one contract (its callers get "not configured" from then on); answers the bindings left',
      params: BindingParams, response: { 200: Bindings, ...adminErrors(404) }
    }
  }, async (req) => bindingsView(await store.targets.deleteBinding(req.params.project_id, req.params.kind, ADMIN_ACTOR)))
}
export default targets
