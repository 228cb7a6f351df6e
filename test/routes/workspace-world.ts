import { createRequire } from 'node:module'
import type { Test } from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { startFakeHuaweiIam, type FakeHuaweiIam } from '../fakes/huawei-iam.js'
import type { SdkClient, SdkRequest } from '../auth/huawei-fixtures.js'

/**
 * A Workspace deployment for route tests: one project with an access key, a
 * token, a storage target (local, or huawei through the fake IAM) and a
 * Workspace binding; the app listening on 127.0.0.1, port 0, for real clients.
 */
export const BUCKET = 'wks-app-test123456'
export const OBS_ENDPOINT = 'obs.cn-north-4.myhuaweicloud.com'
const IAM_KEYS = { accessKeyId: 'HWUPSTREAMACCOUNTAK01', secretAccessKey: 'upstreamAccountSecret0123456789abcdefghij' }

export interface Project { projectId: string, ak: string, sk: string, token: string }

export interface World extends Project {
  test: TestApp
  /** `http://127.0.0.1:PORT` */
  endpoint: string
  port: number
  iam: FakeHuaweiIam | undefined
  /** The binding's directory prefix. */
  directory: string
  authorizePath: (projectId?: string) => string
  /** A second project (no binding), for isolation tests. */
  addProject: (name: string) => Promise<Project>
  /** Binds Workspace for a project (a new target of the world's provider); resolves with the directory. */
  bindWorkspace: (projectId: string, directory?: string) => Promise<string>
}

export interface WorldOptions {
  provider?: 'local' | 'huawei'
  /** false: no Workspace binding. */
  bind?: boolean
  directory?: string
  /** Extra environment for the app (e.g. STSGATE_UPSTREAM_TIMEOUT_MS in fault tests). */
  env?: Record<string, string>
}

export async function startWorld (t: Test, options: WorldOptions = {}): Promise<World> {
  const provider = options.provider ?? 'local'
  let iam: FakeHuaweiIam | undefined
  if (provider === 'huawei') {
    const fake = await startFakeHuaweiIam(IAM_KEYS)
    t.teardown(() => fake.close())
    iam = fake
  }
  const test = await buildTestApp(t, { env: { STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1', STSGATE_LOG_LEVEL: 'debug', ...options.env } })
  const expectOk = async (method: string, url: string, body?: unknown): Promise<any> => {
    const res = await test.admin(method, url, body)
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  const addProject = async (name: string): Promise<Project> => {
    const project = await expectOk('POST', '/projects', { name })
    const projectId = project.project_id as string
    const key = await expectOk('POST', `/projects/${projectId}/access-keys`)
    const token = await expectOk('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 3600 })
    return { projectId, ak: key.access_key_id, sk: key.secret_access_key, token: token.token }
  }
  /** A local or huawei target bound for Workspace; returns the binding's directory. */
  const bindWorkspace = async (projectId: string, directory?: string): Promise<string> => {
    const target = await expectOk('POST', `/projects/${projectId}/targets`, {
      name: 'app-warehouse',
      provider,
      bucket: BUCKET,
      region: 'cn-north-4',
      endpoint: OBS_ENDPOINT,
      duration_seconds: 900,
      ...(iam === undefined
        ? {}
        : {
            upstream: {
              agency_name: 'wks-agency', domain_name: 'example-domain',
              access_key_id: IAM_KEYS.accessKeyId, secret_access_key: IAM_KEYS.secretAccessKey, iam_endpoint: iam.url
            }
          })
    })
    const bindings = await expectOk('PUT', `/projects/${projectId}/bindings`, {
      workspace: { target_id: target.target_id, ...(directory === undefined ? {} : { directory }) }
    })
    return bindings.workspace.directory as string
  }
  const main = await addProject('workspace-main')
  const directory = options.bind === false ? `file/${main.projectId}/` : await bindWorkspace(main.projectId, options.directory)
  await test.app.listen({ port: 0, host: '127.0.0.1' })
  const address = test.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  return {
    ...main,
    test,
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    iam,
    directory,
    authorizePath: (projectId = main.projectId) => `/v1/${projectId}/app-warehouse/action/authorize`,
    addProject,
    bindWorkspace
  }
}

// --- the vendor SDK, as a generated Workspace SDK would drive it ---------------

const require = createRequire(import.meta.url)
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as { ClientBuilder: any }
const sdkCore = require('@huaweicloud/huaweicloud-sdk-core') as { BasicCredentials: any, Region: any }

export function workspaceClient (world: { endpoint: string }, who: Project, derived: boolean): SdkClient {
  const credential = new sdkCore.BasicCredentials().withAk(who.ak).withSk(who.sk).withProjectId(who.projectId)
  if (!derived) return new ClientBuilder((c: SdkClient) => c).withCredential(credential).withEndpoint(world.endpoint).build()
  return new ClientBuilder((c: SdkClient) => c)
    .withCredential(credential.withDerivedPredicate((r: unknown) => sdkCore.BasicCredentials.getDefaultDerivedPredicate(r)))
    .withRegion(new sdkCore.Region('cn-north-4', world.endpoint)).withDerivedAuthServiceName('workspace').build()
}

export const authorize = (projectId: string, appFileName: unknown = 'Postman.exe'): SdkRequest => ({
  method: 'POST',
  url: '/v1/{project_id}/app-warehouse/action/authorize',
  contentType: 'application/json',
  pathParams: { project_id: projectId },
  queryParams: {},
  headers: {},
  data: { app_file_name: appFileName }
})

/** What the SDK throws for a 4xx/5xx. */
export interface SdkFailure { httpStatusCode: number, errorCode: string, errorMsg: string, requestId?: string }

export async function sdkFailure (p: Promise<unknown>): Promise<SdkFailure> {
  try {
    await p
  } catch (err) {
    return err as SdkFailure
  }
  throw new Error('the SDK call was expected to fail')
}

/** POST through the running server with plain fetch (the token path; the SDK has no X-Auth-Token mode). */
export async function postJson (world: World, path: string, init: { body?: string, headers?: Record<string, string>, method?: string } = {}) {
  const res = await fetch(`${world.endpoint}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body })
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) as any }
}
