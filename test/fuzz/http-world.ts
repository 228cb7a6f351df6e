import fc from 'fast-check'
import type { Test } from 'tap'
import { ADMIN_TOKEN, buildTestApp, type TestApp } from '../helpers/app.js'

/**
 * Shared by the HTTP fuzz files: one app on the local issuer (no upstream, so
 * no legitimate 503), a project with a token, an access key, EDAS and
 * Workspace bindings and a device; and arbitraries for requests that are
 * mostly garbage but often carry valid credentials and real path pieces, so
 * the cases get past authentication into validation and the handlers.
 */
export interface FuzzWorld { test: TestApp, projectId: string, token: string, ak: string, deviceId: string }

export async function fuzzWorld (t: Test): Promise<FuzzWorld> {
  // Fuzzing sends thousands of requests a second: no per-caller rate limit should be what answers.
  const test = await buildTestApp(t, { env: { STSGATE_LOG_LEVEL: 'silent' } })
  const ok = async (method: string, url: string, body?: unknown): Promise<any> => {
    const res = await test.admin(method, url, body)
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body
  }
  const projectId = (await ok('POST', '/projects', { name: 'fuzz' })).project_id as string
  const token = (await ok('POST', `/projects/${projectId}/tokens`, { ttl_seconds: 3600 })).token as string
  const ak = (await ok('POST', `/projects/${projectId}/access-keys`)).access_key_id as string
  const target = await ok('POST', `/projects/${projectId}/targets`, { name: 'local', provider: 'local', bucket: 'fuzz-bucket', region: 'cn-north-4', endpoint: 'obs.example.com', duration_seconds: 900 })
  await ok('PUT', `/projects/${projectId}/bindings`, { edas: { target_id: target.target_id }, workspace: { target_id: target.target_id } })
  const deviceId = 'fuzz-device-1'
  await ok('POST', `/projects/${projectId}/devices`, { device_id: deviceId, secret: 'fuzz_primary_01' })
  return { test, projectId, token, ak, deviceId }
}

const NASTY = ['%', '%zz', '%00', '..', '.', '', '*', '${x}', '{project_id}', 'a'.repeat(600), '%2F', '\u00e9', '?', '#']

export function segment (w: FuzzWorld): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(w.projectId, w.deviceId, 'app-warehouse', 'action', 'authorize', 'iot', 'devices', 'package_storage_credential', 'v5', 'pop', 'projects', 'tokens', 'targets', 'bindings', 'access-keys', 'gateways', 'credentials', 'introspect'),
    fc.constantFrom(...NASTY),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent)
  )
}

export function query (): fc.Arbitrary<string> {
  const pair = fc.tuple(fc.oneof(fc.constantFrom('action_id', 'Action', 'x'), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom('resetSecret', '', 'a'), fc.string({ maxLength: 12 })))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  return fc.oneof(fc.constant(''), fc.constant('?action_id=resetSecret'), fc.array(pair, { maxLength: 4 }).map((ps) => `?${ps.join('&')}`), fc.constantFrom('?%', '?a=%zz', '?&&=', '?a[b]=1'))
}

export function headers (w: FuzzWorld): fc.Arbitrary<Record<string, string>> {
  const auth = fc.oneof(
    fc.constant({}),
    fc.constant({ 'x-auth-token': w.token }),
    fc.string({ maxLength: 40 }).map((s) => ({ 'x-auth-token': s })),
    fc.constant({ authorization: `Bearer ${ADMIN_TOKEN}` }),
    fc.string({ maxLength: 60 }).map((s) => ({ authorization: `Bearer ${s}` })),
    fc.string({ maxLength: 40 }).map((s) => ({ authorization: `acs ${w.ak}:${s}` })),
    fc.string({ maxLength: 80 }).map((s) => ({ authorization: `SDK-HMAC-SHA256 Access=${w.ak}, SignedHeaders=host;x-sdk-date, Signature=${s}`, 'x-sdk-date': '20250101T000000Z' })),
    fc.string({ maxLength: 80 }).map((s) => ({ authorization: `ACS3-HMAC-SHA256 Credential=${w.ak},SignedHeaders=host,Signature=${s}`, 'x-acs-date': s }))
  )
  const contentType = fc.oneof(fc.constant({}), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '*/*', 'application/json; charset=latin1').map((v) => ({ 'content-type': v })))
  const extra = fc.dictionary(fc.constantFrom('instance-id', 'x-sdk-date', 'x-acs-signature-nonce', 'date', 'x-forwarded-for', 'accept', 'content-md5', 'x-project-id'), fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')), { maxKeys: 3 })
  return fc.tuple(auth, contentType, extra).map(([a, c, e]) => ({ ...e, ...c, ...a }))
}

export function body (): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.record({ app_file_name: fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('a.exe', '../x', '*', 'a/b')) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.record({ secret: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('valid_secret_123')), secret_type: fc.constantFrom('PRIMARY', 'SECONDARY', 'x', 1), force_disconnect: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{', '[]', 'null', '""', '{"a":', '\u0000', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}')
  )
}

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const

/** The error body each contract promises; `undefined`: not an error, or no body to check (HEAD). */
export function expectedErrorKeys (url: string): string[] {
  if (url === '/pop' || url.startsWith('/pop/') || url.startsWith('/pop?')) return ['Code', 'HostId', 'Message', 'RequestId']
  if (/^\/v[15](\/|\?|$)/.test(url)) return ['error_code', 'error_msg']
  return ['error', 'message']
}
