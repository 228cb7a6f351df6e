import t from 'tap'
import { readFile } from 'node:fs/promises'
import ts from 'typescript'
import openapiTS, { astToString } from 'openapi-typescript'
import { buildTestApp, type TestApp } from './helpers/app.js'

/**
 * A client generated from openapi.yaml (openapi-typescript, as an SDK user
 * would) must accept what the admin API really answers: the replies below come
 * from app.inject and are written into a small TypeScript file as literals
 * typed with the generated `paths`, then type-checked. A field the document
 * lacks (excess property), a field it promises that the reply lacks, a wrong
 * type, or an undocumented status all fail the compile.
 */

interface Reply { method: string, path: string, status: number, body: unknown }

const generating = readFile(new URL('../openapi.yaml', import.meta.url), 'utf8')
  .then(async (yaml) => astToString(await openapiTS(yaml)))

/** The standard library's declarations, parsed once for all the compiles below. */
const libraryFiles = new Map<string, ts.SourceFile | undefined>()

/** Type-checks `fixture` against the generated `api.ts`, in memory (no files, no emit). */
function typeCheck (api: string, fixture: string): string[] {
  const files = new Map([['/virtual/api.ts', api], ['/virtual/fixture.ts', fixture]])
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler, types: [], skipLibCheck: true, lib: ['lib.es2022.d.ts']
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name)
    if (text !== undefined) return ts.createSourceFile(name, text, language)
    if (!libraryFiles.has(name)) libraryFiles.set(name, getSourceFile(name, language, ...rest))
    return libraryFiles.get(name)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => files.has(name) || fileExists(name)
  const directoryExists = host.directoryExists?.bind(host)
  host.directoryExists = (name) => name === '/virtual' || (directoryExists?.(name) ?? false)
  const readFileText = host.readFile.bind(host)
  host.readFile = (name) => files.get(name) ?? readFileText(name)
  const program = ts.createProgram(['/virtual/fixture.ts'], options, host)
  return ts.getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
}

/** One typed constant per reply: `paths[path][method].responses[status].content['application/json']`. */
function fixtureFor (replies: Reply[]): string {
  return "import type { paths } from './api'\n" + replies.map((r, i) =>
    `export const reply${i}: paths[${JSON.stringify(r.path)}][${JSON.stringify(r.method)}]['responses'][${r.status}]['content']['application/json'] = ` +
    `${JSON.stringify(r.body, null, 2)}\n`).join('')
}

/** Drives the admin API through a project's whole life and records every JSON reply with its path template. */
async function recordAdminReplies (h: TestApp): Promise<Reply[]> {
  const replies: Reply[] = []
  const call = async (method: string, path: string, url: string, body?: unknown): Promise<any> => {
    const res = await h.admin(method.toUpperCase(), url, body)
    if (res.body !== undefined) replies.push({ method, path: `/admin/v1${path}`, status: res.status, body: res.body })
    return res.body
  }
  const project = await call('post', '/projects', '/projects', { name: 'Plant Hamburg', instance_id: 'iotda-instance-1' })
  const p = `/projects/${String(project.project_id)}`
  await call('get', '/projects', '/projects')
  await call('get', '/projects/{project_id}', p)
  await call('patch', '/projects/{project_id}', p, { name: 'Plant Hamburg North' })
  const key = await call('post', '/projects/{project_id}/access-keys', `${p}/access-keys`)
  await call('get', '/projects/{project_id}/access-keys', `${p}/access-keys`)
  await call('patch', '/projects/{project_id}/access-keys/{access_key_id}', `${p}/access-keys/${String(key.access_key_id)}`, { disabled: true })
  await call('post', '/projects/{project_id}/access-keys/{access_key_id}/rotate', `${p}/access-keys/${String(key.access_key_id)}/rotate`)
  await call('post', '/projects/{project_id}/tokens', `${p}/tokens`, { ttl_seconds: 3600 })
  await call('get', '/projects/{project_id}/tokens', `${p}/tokens`)
  const local = await call('post', '/projects/{project_id}/targets', `${p}/targets`,
    { name: 'media', provider: 'local', bucket: 'media-bucket', region: 'local', endpoint: 'http://127.0.0.1:9000' })
  await call('post', '/projects/{project_id}/targets', `${p}/targets`, {
    name: 'oss-releases', provider: 'aliyun', bucket: 'edas-releases', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com',
    upstream: { role_arn: 'acs:ram::1234567890123456:role/stsgate-vend', access_key_id: 'LTAI5tUpstreamKey', access_key_secret: 'upstream-secret' }
  })
  await call('get', '/projects/{project_id}/targets', `${p}/targets`)
  await call('put', '/projects/{project_id}/bindings', `${p}/bindings`, { edas: { target_id: local.target_id }, workspace: { target_id: local.target_id } })
  await call('get', '/projects/{project_id}/bindings', `${p}/bindings`)
  await call('post', '/projects/{project_id}/devices', `${p}/devices`, { device_id: 'thermostat-0001', secret: 'initial_secret_01' })
  await call('get', '/projects/{project_id}/devices', `${p}/devices`)
  await call('get', '/projects/{project_id}/devices/{device_id}', `${p}/devices/thermostat-0001`)
  await call('post', '/projects/{project_id}/devices/{device_id}/reset-secret', `${p}/devices/thermostat-0001/reset-secret`, { secret_type: 'SECONDARY' })
  await call('post', '/projects/{project_id}/gateways', `${p}/gateways`, { sn: '4TADKAQ000002J', target_id: local.target_id, sub_devices: ['1581F5BMD228Q00A82XX'] })
  await call('get', '/projects/{project_id}/gateways', `${p}/gateways`)
  await call('patch', '/projects/{project_id}/gateways/{sn}', `${p}/gateways/4TADKAQ000002J`, { disabled: true })
  await call('get', '/status', '/status')
  await call('get', '/audit', '/audit')
  await call('get', '/vends', '/vends')
  // Documented errors, in the admin dialect.
  await call('get', '/projects/{project_id}', `/projects/${'0'.repeat(32)}`)
  await call('post', '/projects/{project_id}/targets', `${p}/targets`, { name: 'media', provider: 'local', bucket: 'b-x', region: 'local', endpoint: 'http://127.0.0.1:9000' })
  await call('post', '/projects', '/projects', { name: '' })
  return replies
}

t.test('a client generated from openapi.yaml type-checks against the admin API\'s real replies', async (t) => {
  const h = await buildTestApp(t)
  const replies = await recordAdminReplies(h)
  t.same([...new Set(replies.map((r) => r.status))].sort(), [200, 201, 400, 404, 409], 'successes and errors were both recorded')
  const api = await generating
  t.same(typeCheck(api, fixtureFor(replies)), [], 'every real reply fits the generated types')

  // The check can fail: a reply that drifted from the document does not compile.
  const project = replies.find((r) => r.path === '/admin/v1/projects/{project_id}' && r.status === 200)
  if (project === undefined) throw new Error('no project reply recorded')
  const drifted = [
    { ...project, body: { ...(project.body as object), disabled: 'no' } },
    { ...project, body: { ...(project.body as object), owner: 'someone' } },
    { ...project, status: 418 }
  ]
  const expected = [/not assignable to type 'boolean'/, /owner\W* does not exist/, /Property '418' does not exist/]
  drifted.forEach((reply, i) => {
    const errors = typeCheck(api, fixtureFor([reply]))
    t.equal(errors.length, 1, 'one error, about the drift')
    t.match(errors[0], expected[i], `drift is caught: ${errors[0] ?? ''}`)
  })
})
