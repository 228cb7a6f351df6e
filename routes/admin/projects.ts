import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { adminErrors, CreateProjectBody, Project, ProjectList, ProjectListQuery, ProjectParams, UpdateProjectBody } from '../../schemas/admin.js'
import type { Project as ProjectRecord } from '../../src/store/projects.js'
import { ADMIN_ACTOR as ACTOR, adminDocs } from './common.js'

export const projectView = (p: ProjectRecord) => ({
  project_id: p.projectId, name: p.name, instance_id: p.instanceId, disabled: p.disabled, created_at: p.createdAt.toISOString()
})

const projects: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app

  app.post('/projects', {
    schema: { ...adminDocs, summary: 'Create a project', body: CreateProjectBody, response: { 201: Project, ...adminErrors() } }
  }, async (req, reply) => {
    const project = await store.projects.create({ name: req.body.name, instanceId: req.body.instance_id }, ACTOR)
    return reply.code(201).send(projectView(project))
  })

  app.get('/projects', {
    schema: { ...adminDocs, summary: 'List projects, or find them by name', querystring: ProjectListQuery, response: { 200: ProjectList, ...adminErrors() } }
  }, async (req) => ({ projects: (await store.projects.list({ name: req.query.name })).map(projectView) }))

  app.get('/projects/:project_id', {
    schema: { ...adminDocs, summary: 'Show a project', params: ProjectParams, response: { 200: Project, ...adminErrors(404) } }
  }, async (req) => projectView(await store.projects.get(req.params.project_id)))

  app.patch('/projects/:project_id', {
    schema: {
      ...adminDocs, summary: 'Rename, disable or re-enable a project', params: ProjectParams, body: UpdateProjectBody,
      response: { 200: Project, ...adminErrors(404) }
    }
  }, async (req) => projectView(await store.projects.update(req.params.project_id, req.body, ACTOR)))

  app.delete('/projects/:project_id', {
    schema: {
      ...adminDocs, summary: 'Delete a project and everything in it', params: ProjectParams,
      response: { 204: Type.Null({ description: 'Done; no body' }), ...adminErrors(404) }
    }
  }, async (req, reply) => {
    await store.projects.delete(req.params.project_id, ACTOR)
    return reply.code(204).send(null)
  })
}
export default projects
