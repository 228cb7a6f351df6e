import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import { isDomainError } from '../../src/errors.js'
import { MemoryReplayGuard } from '../../src/auth/replay.js'
import {
  type HuaweiAccessKey, type HuaweiVerified, type HuaweiVerifierOptions, verifyHuaweiRequest
} from '../../src/auth/huawei.js'
import {
  type HuaweiScheme, SDK_SCHEME, canonicalRequest, formatSdkDate, sdkSignature, sha256Hex, v11Signature
} from '../../src/signing/huawei-apig.js'

/**
 * Test harness: a bare node:http server running the verifier, the vendor SDK
 * (`@huaweicloud/huaweicloud-sdk-core`) as the client, and a hand signer for
 * requests the SDK would never make.
 */

export const AK = 'HPUAEXAMPLEAK0000001'
export const SK = 'exampleSecretKey0123456789abcdefghijKLMN'
export const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'

export interface Key extends HuaweiAccessKey { projectId: string }

export const KEYS: ReadonlyMap<string, Key> = new Map([
  [AK, { secret: SK, projectId: PROJECT }],
  ['HPUADISABLEDKEY00001', { secret: 'disabledSecret', projectId: PROJECT, disabled: true }]
])

export interface RawRequest { method: string, url: string, headers: IncomingHttpHeaders, body: Buffer }

export type Outcome =
  | { ok: true, verified: HuaweiVerified<Key> }
  | { ok: false, kind: string, code: string, message: string }

export interface Harness {
  endpoint: string
  port: number
  /** Every request as received, in order. */
  received: RawRequest[]
  outcomes: Outcome[]
  last (): Outcome
  replay: MemoryReplayGuard
}

export interface HarnessOptions extends Partial<Omit<HuaweiVerifierOptions<Key>, 'replay'>> {
  /** false: only record requests and answer ok (to capture what the SDK sends). */
  verify?: boolean
}

interface Teardown { teardown (fn: () => unknown): void }

/** Starts the verifier behind node:http on 127.0.0.1, port 0; closes on teardown. */
export async function startHarness (t: Teardown, options: HarnessOptions = {}): Promise<Harness> {
  const replay = new MemoryReplayGuard(options.now)
  const received: RawRequest[] = []
  const outcomes: Outcome[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) }
      received.push(raw)
      answer(raw, options, replay).then((outcome) => {
        outcomes.push(outcome)
        res.setHeader('content-type', 'application/json')
        res.setHeader('x-request-id', randomUUID())
        if (outcome.ok) {
          // The scheme the verifier has just accepted, as the client announced it.
          const scheme = String(raw.headers.authorization).split(' ')[0]
          res.end(JSON.stringify({ ok: true, access_key_id: outcome.verified.accessKeyId, scheme }))
        } else {
          res.statusCode = outcome.kind === 'forbidden' ? 403 : 401
          res.end(JSON.stringify({ error_code: 'APIGW.0301', error_msg: `${outcome.code}: ${outcome.message}` }))
        }
      }, (err: unknown) => {
        res.statusCode = 500
        res.end(JSON.stringify({ error_code: 'APIGW.0101', error_msg: String(err) }))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  const port = (server.address() as AddressInfo).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    received,
    outcomes,
    replay,
    last () {
      const o = outcomes.at(-1)
      if (o === undefined) throw new Error('no request reached the harness')
      return o
    }
  }
}

async function answer (raw: RawRequest, options: HarnessOptions, replay: MemoryReplayGuard): Promise<Outcome> {
  if (options.verify === false) {
    return { ok: true, verified: { accessKeyId: '', key: { secret: '', projectId: '' } } }
  }
  try {
    const verified = await verifyHuaweiRequest<Key>(raw, {
      lookupKey: options.lookupKey ?? (async (id) => KEYS.get(id)),
      replay,
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.skewMs !== undefined ? { skewMs: options.skewMs } : {}),
      ...(options.allowUnsignedPayload !== undefined ? { allowUnsignedPayload: options.allowUnsignedPayload } : {})
    })
    return { ok: true, verified }
  } catch (err) {
    if (isDomainError(err)) return { ok: false, kind: err.kind, code: err.code, message: err.message }
    throw err
  }
}

// --- the vendor SDK ---------------------------------------------------------

const require = createRequire(import.meta.url)
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as { ClientBuilder: any }
const sdkCore = require('@huaweicloud/huaweicloud-sdk-core') as { BasicCredentials: any, Region: any }
export const sdkSigner = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: { sign (request: object, credential: object): Record<string, string>, urlEncode (s: string): string }
}
export const sdkDerivedSigner = require('@huaweicloud/huaweicloud-sdk-core/auth/DerivedAKSKSigner') as {
  DerivedAKSKSigner: { sign (request: object, credential: object): Record<string, string> }
}
export const sdkHkdf = require('@huaweicloud/huaweicloud-sdk-core/auth/HKDF') as {
  HKDF: { getDerKeySHA256 (ak: string, sk: string, info: string): string }
}

export interface SdkClient {
  sendRequest (options: SdkRequest): Promise<Record<string, unknown>>
}
export interface SdkRequest {
  method: string
  url: string
  contentType?: string
  pathParams: Record<string, string>
  queryParams: Record<string, string | string[]>
  headers: Record<string, string>
  data?: unknown
}
/** What the SDK throws for a 4xx (ClientRequestException). */
export interface SdkError { httpStatusCode: number, errorCode: string, errorMsg: string, requestId?: string }

export function sdkCredentials (ak = AK, sk = SK, projectId = PROJECT): any {
  return new sdkCore.BasicCredentials().withAk(ak).withSk(sk).withProjectId(projectId)
}

/** Plain `SDK-HMAC-SHA256` client, as generated service SDKs build it. */
export function plainClient (endpoint: string, ak = AK, sk = SK): SdkClient {
  return new ClientBuilder((c: SdkClient) => c).withCredential(sdkCredentials(ak, sk)).withEndpoint(endpoint).build()
}

/** Derived `V11-HMAC-SHA256` client (IoTDA standard/enterprise editions). */
export function derivedClient (endpoint: string, ak = AK, sk = SK, service = 'iotdm'): SdkClient {
  const credential = sdkCredentials(ak, sk)
    .withDerivedPredicate((r: unknown) => sdkCore.BasicCredentials.getDefaultDerivedPredicate(r))
  return new ClientBuilder((c: SdkClient) => c).withCredential(credential)
    .withRegion(new sdkCore.Region('cn-north-4', endpoint)).withDerivedAuthServiceName(service).build()
}

export const authorizeRequest = (): SdkRequest => ({
  method: 'POST',
  url: '/v1/{project_id}/app-warehouse/action/authorize',
  contentType: 'application/json',
  pathParams: { project_id: PROJECT },
  queryParams: {},
  headers: {},
  data: { app_file_name: 'Postman.exe' }
})

export const resetSecretRequest = (deviceId = 'dev_0001-a'): SdkRequest => ({
  method: 'POST',
  url: '/v5/iot/{project_id}/devices/{device_id}/action',
  contentType: 'application/json',
  pathParams: { project_id: PROJECT, device_id: deviceId },
  queryParams: { action_id: 'resetSecret' },
  headers: {},
  data: { secret: 'abcdefgh_123', force_disconnect: false }
})

// --- raw requests ------------------------------------------------------------

export interface RawReply { status: number, body: Record<string, unknown> }

/** Sends a request byte for byte (for replays and tampering), bypassing any client logic. */
export async function sendRaw (port: number, raw: { method: string, url: string, headers: Record<string, string | string[] | undefined>, body: Buffer }): Promise<RawReply> {
  const headers = { ...raw.headers, 'content-length': String(raw.body.length) }
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: raw.method, path: raw.url, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
    })
    req.on('error', reject)
    req.end(raw.body)
  })
}

export interface HandSigned {
  scheme?: HuaweiScheme
  method?: string
  url: string
  host: string
  body?: string
  /** Extra headers (lower-case names), all signed unless left out of `signed`. */
  headers?: Record<string, string>
  /** Override the signed-header list; default: every header sent. */
  signed?: string[]
  date?: number
  ak?: string
  sk?: string
  region?: string
  service?: string
}

/**
 * Our own signer, for requests the SDK cannot produce (host left unsigned, a
 * declared content hash). It uses the module's canonicalization; the SDK
 * tests and the known-answer tests are what pin that canonicalization down.
 */
export function handSign (spec: HandSigned): RawRequest {
  const scheme = spec.scheme ?? SDK_SCHEME
  const sdkDate = formatSdkDate(spec.date ?? Date.now())
  const ak = spec.ak ?? AK
  const body = Buffer.from(spec.body ?? '{}')
  const headers: Record<string, string> = { host: spec.host, 'x-sdk-date': sdkDate, 'content-type': 'application/json', ...spec.headers }
  const signed = spec.signed ?? Object.keys(headers).sort()
  const declared = headers['x-sdk-content-sha256']
  const canonical = canonicalRequest({
    method: spec.method ?? 'POST',
    target: spec.url,
    signedHeaders: signed,
    headerValues: new Map(signed.map((name) => [name, headers[name] ?? ''])),
    payloadHash: declared ?? sha256Hex(body)
  })
  const scope = `${sdkDate.slice(0, 8)}/${spec.region ?? 'cn-north-4'}/${spec.service ?? 'iotdm'}`
  const signature = scheme === SDK_SCHEME
    ? sdkSignature(spec.sk ?? SK, sdkDate, canonical)
    : v11Signature(ak, spec.sk ?? SK, sdkDate, scope, canonical)
  headers.authorization = scheme === SDK_SCHEME
    ? `${scheme} Access=${ak}, SignedHeaders=${signed.join(';')}, Signature=${signature}`
    : `${scheme} Credential=${ak}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`
  return { method: spec.method ?? 'POST', url: spec.url, headers, body }
}
