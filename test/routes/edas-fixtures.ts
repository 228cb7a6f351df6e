import { createHmac, createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { request } from 'undici'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { TestApp } from '../helpers/app.js'

/**
 * The EDAS route driven the way users drive it: the real Alibaba clients
 * against a listening stsgate, plus a hand signer and a raw sender for the
 * requests no client would make (skewed clocks, replays, tampering).
 */

// The real SDKs are CommonJS without usable types for these entry points.
const require = createRequire(import.meta.url)

interface RoaClient {
  request (method: string, path: string, query: Record<string, string>, body: string, headers: Record<string, string>, opts: { timeout: number }): Promise<any>
}
const { ROAClient } = require('@alicloud/pop-core') as {
  ROAClient: new (config: { accessKeyId: string, accessKeySecret: string, endpoint: string, apiVersion: string }) => RoaClient
}
const OpenApi = require('@alicloud/openapi-client') as {
  default: new (config: unknown) => { callApi (params: unknown, request: unknown, runtime: unknown): Promise<{ statusCode: number, headers: Record<string, string>, body: any }> }
  Config: new (fields: Record<string, unknown>) => unknown
  Params: new (fields: Record<string, unknown>) => unknown
  OpenApiRequest: new (fields: Record<string, unknown>) => unknown
}

export const PATH = '/pop/v5/package_storage_credential'

export interface AccessKey { accessKeyId: string, secret: string }

export interface EdasProject extends AccessKey {
  projectId: string
  targetId: string
}

/** Listens on 127.0.0.1:0; closes every connection at teardown (before the app itself closes). */
export async function listen (t: Test, app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => { app.server.closeAllConnections() })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

export interface TargetInput {
  provider?: 'local' | 'aliyun'
  bucket?: string
  region?: string
  endpoint?: string
  internal_endpoint?: string
  vpc_endpoint?: string
  duration_seconds?: number
  upstream?: Record<string, string>
}

/** A project with an access key and (unless `bind: false`) an EDAS binding, through the admin API. */
export async function createEdasProject (h: TestApp, target: TargetInput = {}, options: { bind?: boolean, keyPrefix?: string } = {}): Promise<EdasProject> {
  const ok = <T>(res: { status: number, body: T }, what: string): T => {
    if (res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  const project = ok(await h.admin('POST', '/projects', { name: `edas-${randomUUID().slice(0, 8)}` }), 'create project') as { project_id: string }
  const projectId = project.project_id
  const key = ok(await h.admin('POST', `/projects/${projectId}/access-keys`), 'create key') as { access_key_id: string, secret_access_key: string }
  const created = ok(await h.admin('POST', `/projects/${projectId}/targets`, {
    name: 'packages',
    provider: 'local',
    bucket: 'edas-bj',
    region: 'cn-beijing',
    endpoint: 'https://oss-cn-beijing.aliyuncs.com',
    ...target
  }), 'create target') as { target_id: string }
  if (options.bind !== false) {
    ok(await h.admin('PUT', `/projects/${projectId}/bindings`, {
      edas: { target_id: created.target_id, ...(options.keyPrefix === undefined ? {} : { key_prefix: options.keyPrefix }) }
    }), 'bind')
  }
  return { projectId, targetId: created.target_id, accessKeyId: key.access_key_id, secret: key.secret_access_key }
}

/** `@alicloud/pop-core` ROAClient, as EDAS deploy tooling uses it. */
export function popCore (endpoint: string, key: AccessKey, options: { method?: string, path?: string, query?: Record<string, string>, body?: string } = {}): Promise<any> {
  const client = new ROAClient({ accessKeyId: key.accessKeyId, accessKeySecret: key.secret, endpoint, apiVersion: '2017-08-01' })
  return client.request(options.method ?? 'GET', options.path ?? PATH, options.query ?? {}, options.body ?? '', {}, { timeout: 5000 })
}

/** `@alicloud/openapi-client` callApi: V3 (ACS3-HMAC-SHA256) by default, classic ROA with `signatureAlgorithm: 'v2'`. */
export function openApi (endpoint: string, key: AccessKey, mode: 'v3' | 'v2', options: { method?: string, path?: string } = {}): Promise<{ statusCode: number, headers: Record<string, string>, body: any }> {
  const client = new OpenApi.default(new OpenApi.Config({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.secret,
    endpoint: new URL(endpoint).host,
    protocol: 'http',
    ...(mode === 'v2' ? { signatureAlgorithm: 'v2' } : {})
  }))
  const params = new OpenApi.Params({
    action: 'GetPackageStorageCredential', version: '2017-08-01', protocol: 'HTTP', pathname: options.path ?? PATH,
    method: options.method ?? 'GET', authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json'
  })
  return client.callApi(params, new OpenApi.OpenApiRequest({}), { autoretry: false, readTimeout: 5000, connectTimeout: 5000 })
}

export interface RawReply { status: number, headers: Record<string, string | string[] | undefined>, body: any }

/** Sends exactly these headers (undici adds only host when absent, and content-length). */
export async function send (endpoint: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawReply> {
  const res = await request(`${endpoint}${path}`, { method: method as 'GET', headers, ...(body === undefined ? {} : { body }) })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }
}

/**
 * Classic ROA signing written out from the vendor rule (docs/edas.md "Authentication"), not
 * taken from the code under test: StringToSign = METHOD, Accept, Content-MD5,
 * Content-Type, Date (each + "\n"), sorted `x-acs-*` headers, then the path
 * and the query sorted by key.
 */
export function handSignRoa (key: AccessKey, options: { method?: string, path?: string, query?: Record<string, string>, date?: Date, nonce?: string } = {}): { url: string, headers: Record<string, string> } {
  const method = options.method ?? 'GET'
  const path = options.path ?? PATH
  const query = options.query ?? {}
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-md5': createHash('md5').update('').digest('base64'),
    date: (options.date ?? new Date()).toUTCString(),
    'x-acs-signature-nonce': options.nonce ?? randomUUID(),
    'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-version': '1.0',
    'x-acs-version': '2017-08-01'
  }
  const acs = Object.keys(headers).filter((h) => h.startsWith('x-acs-')).sort().map((h) => `${h}:${headers[h]}\n`).join('')
  const keys = Object.keys(query).sort()
  const resource = keys.length === 0 ? path : `${path}?${keys.map((k) => `${k}=${query[k]}`).join('&')}`
  const stringToSign = `${method}\n${headers.accept}\n${headers['content-md5']}\n\n${headers.date}\n${acs}${resource}`
  headers.authorization = `acs ${key.accessKeyId}:${createHmac('sha1', key.secret).update(stringToSign).digest('base64')}`
  const search = keys.length === 0 ? '' : `?${new URLSearchParams(query).toString()}`
  return { url: `${path}${search}`, headers }
}

export interface CapturedRequest { method: string, url: string, headers: IncomingHttpHeaders }

/**
 * A stand-in server that records what a real client sends (and answers like
 * stsgate would, so the client is content); tests replay the capture at stsgate.
 */
export async function captureClientRequest (t: Test, call: (endpoint: string) => Promise<unknown>): Promise<CapturedRequest> {
  let captured: CapturedRequest | undefined
  const server = createServer((req, res) => {
    captured = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } }
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ Code: 200, Message: 'success', RequestId: 'captured' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  await call(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  if (captured === undefined) throw new Error('the client sent nothing')
  return captured
}

/** The captured headers as strings, without the hop-by-hop ones the sender sets itself. */
export function replayHeaders (captured: CapturedRequest, changes: Record<string, string> = {}, drop: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(captured.headers)) {
    if (value === undefined || ['connection', 'content-length', 'transfer-encoding', ...drop].includes(name)) continue
    headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return { ...headers, ...changes }
}
