import t from 'tap'
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { createServer, request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { verifyAliyunRequest } from '../../src/auth/aliyun.js'
import type { AliyunVerifierOptions, SignedRequest } from '../../src/auth/aliyun.js'
import { MemoryReplayGuard } from '../../src/auth/replay.js'
import { isDomainError } from '../../src/errors.js'

// The real SDKs are CommonJS without usable types for these entry points.
const require = createRequire(import.meta.url)

interface RoaClient {
  request (method: string, path: string, query: Record<string, string>, body: string, headers: Record<string, string>, opts: { timeout: number }): Promise<unknown>
}
const { ROAClient } = require('@alicloud/pop-core') as {
  ROAClient: new (config: { accessKeyId: string, accessKeySecret: string, endpoint: string, apiVersion: string }) => RoaClient
}
const OpenApi = require('@alicloud/openapi-client') as {
  default: new (config: unknown) => { callApi (params: unknown, request: unknown, runtime: unknown): Promise<{ statusCode: number, body: unknown }> }
  Config: new (fields: Record<string, unknown>) => unknown
  Params: new (fields: Record<string, unknown>) => unknown
  OpenApiRequest: new (fields: Record<string, unknown>) => unknown
}

const PATH = '/pop/v5/package_storage_credential'
const AK = 'LTAI5tStsgateTest01'
const SECRET = 'test-secret-0123456789abcdef'
const QUERY = { b: 'x y+z/é', a: '', 'c*': "(!)~'", Zeta: 'UPPER' }
const MINUTE = 60_000

type Keys = Record<string, { secret: string, active: boolean }>

interface Captured { method: string, url: string, headers: IncomingHttpHeaders, body: Buffer }

interface Fake {
  endpoint: string
  port: number
  /** Every request the server received, as received. */
  captured: Captured[]
}

const POP_ERRORS: Record<string, [status: number, code: string]> = {
  incomplete_signature: [400, 'IncompleteSignature'],
  signature_mismatch: [400, 'SignatureDoesNotMatch'],
  timestamp_expired: [400, 'InvalidTimeStamp.Expired'],
  nonce_used: [400, 'SignatureNonceUsed'],
  access_key_not_found: [404, 'InvalidAccessKeyId.NotFound']
}

/** A bare node:http server answering like the EDAS route will: JSON on success and on every error. */
async function startFake (t: { teardown (fn: () => void): unknown }, overrides: Partial<AliyunVerifierOptions<{ secret: string, active: boolean }>> = {}, keys: Keys = { [AK]: { secret: SECRET, active: true } }): Promise<Fake> {
  const captured: Captured[] = []
  const opts: AliyunVerifierOptions<{ secret: string, active: boolean }> = {
    lookupKey: async (id) => keys[id],
    replay: new MemoryReplayGuard(),
    ...overrides
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const signed: SignedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }
      captured.push({ ...signed, headers: { ...req.headers } })
      verifyAliyunRequest(signed, opts).then(
        (verified) => answer(res, 200, { Code: 200, Message: 'success', RequestId: 'req-1', AccessKeyId: verified.accessKeyId, Scheme: verified.scheme }),
        (err: unknown) => {
          const [status, code] = isDomainError(err) ? POP_ERRORS[err.code] ?? [500, 'InternalError'] : [500, 'InternalError']
          answer(res, status, { RequestId: 'req-1', HostId: '127.0.0.1', Code: code, Message: err instanceof Error ? err.message : 'error' })
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const port = (server.address() as AddressInfo).port
  return { endpoint: `http://127.0.0.1:${port}`, port, captured }
}

function answer (res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' })
  res.end(JSON.stringify(body))
}

/** @alicloud/pop-core ROAClient, as EDAS deploy tooling uses it. */
function popCore (fake: Fake, query: Record<string, string> = {}, secret = SECRET, accessKeyId = AK): Promise<unknown> {
  const client = new ROAClient({ accessKeyId, accessKeySecret: secret, endpoint: fake.endpoint, apiVersion: '2017-08-01' })
  return client.request('GET', PATH, query, '', {}, { timeout: 5000 })
}

/** @alicloud/openapi-client callApi: V3 by default, classic ROA with `signatureAlgorithm: 'v2'`. */
function openApi (fake: Fake, mode: 'v3' | 'v2', query: Record<string, string> = {}, secret = SECRET, accessKeyId = AK): Promise<{ statusCode: number, body: unknown }> {
  const client = new OpenApi.default(new OpenApi.Config({
    accessKeyId,
    accessKeySecret: secret,
    endpoint: `127.0.0.1:${fake.port}`,
    protocol: 'http',
    ...(mode === 'v2' ? { signatureAlgorithm: 'v2' } : {})
  }))
  const params = new OpenApi.Params({
    action: 'GetPackageStorageCredential', version: '2017-08-01', protocol: 'HTTP', pathname: PATH,
    method: 'GET', authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json'
  })
  return client.callApi(params, new OpenApi.OpenApiRequest({ query }), { autoretry: false, readTimeout: 5000 })
}

interface Reply { status: number, body: { Code?: unknown, Scheme?: unknown } }

/** Sends raw bytes exactly as given (node:http lets us set Host and keep every captured header). */
async function send (fake: Fake, method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer = Buffer.alloc(0)): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: fake.port, method, path, headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function replay (fake: Fake, captured: Captured, changes: { path?: string, headers?: OutgoingHttpHeaders, drop?: string[], body?: Buffer } = {}): Promise<Reply> {
  const headers: OutgoingHttpHeaders = { ...captured.headers, ...changes.headers }
  for (const name of [...(changes.drop ?? []), 'connection']) delete headers[name]
  const body = changes.body ?? captured.body
  headers['content-length'] = String(body.length)
  return send(fake, captured.method, changes.path ?? captured.url, headers, body)
}

function lastCaptured (fake: Fake): Captured {
  const last = fake.captured.at(-1)
  if (last === undefined) throw new Error('the fake received no request')
  return last
}

const popCode = (code: string) => ({ code })

t.test('real clients are accepted', async (t) => {
  const fake = await startFake(t)
  t.match(await popCore(fake), { Code: 200, Scheme: 'roa', AccessKeyId: AK }, 'pop-core ROAClient (acs, HMAC-SHA1)')
  t.match(await popCore(fake, QUERY), { Code: 200, Scheme: 'roa' }, 'pop-core with a query needing escapes')
  t.match(await openApi(fake, 'v3'), { statusCode: 200, body: { Scheme: 'acs3' } }, 'openapi-client callApi V3')
  t.match(await openApi(fake, 'v3', QUERY), { statusCode: 200, body: { Scheme: 'acs3' } }, 'openapi-client V3 with a query')
  t.match(await openApi(fake, 'v2'), { statusCode: 200, body: { Scheme: 'roa' } }, 'openapi-client v2 (classic ROA)')
  t.match(await openApi(fake, 'v2', QUERY), { statusCode: 200, body: { Scheme: 'roa' } }, 'openapi-client v2 with a query')
})

t.test('pop-core POST with a body is bound through content-md5', async (t) => {
  const fake = await startFake(t)
  const client = new ROAClient({ accessKeyId: AK, accessKeySecret: SECRET, endpoint: fake.endpoint, apiVersion: '2017-08-01' })
  t.match(await client.request('POST', PATH, {}, '{"a":1}', { 'content-type': 'application/json' }, { timeout: 5000 }), { Code: 200 })
  const sent = lastCaptured(fake)
  t.equal(sent.headers['content-md5'], createHash('md5').update('{"a":1}').digest('base64'))
  t.match(await replay(fake, sent, { body: Buffer.from('{"a":2}') }), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, 'another body')
  t.match(await replay(fake, sent, { drop: ['content-md5'] }), { status: 400, body: { Code: 'IncompleteSignature' } }, 'a body without content-md5')
})

t.test('a wrong secret is a signature mismatch', async (t) => {
  const fake = await startFake(t)
  await t.rejects(popCore(fake, {}, 'not-the-secret'), { ...popCode('SignatureDoesNotMatch'), statusCode: 400 }, 'pop-core')
  await t.rejects(openApi(fake, 'v3', {}, 'not-the-secret'), popCode('SignatureDoesNotMatch'), 'openapi-client V3')
  await t.rejects(openApi(fake, 'v2', {}, 'not-the-secret'), popCode('SignatureDoesNotMatch'), 'openapi-client v2')
})

t.test('an unknown access key is not found; the looked-up record comes back for the caller\'s own checks', async (t) => {
  const fake = await startFake(t, {}, { [AK]: { secret: SECRET, active: true }, LTAIdisabled: { secret: SECRET, active: false } })
  await t.rejects(popCore(fake, {}, SECRET, 'LTAIunknown'), { ...popCode('InvalidAccessKeyId.NotFound'), statusCode: 404 })
  await t.rejects(openApi(fake, 'v3', {}, SECRET, 'LTAIunknown'), popCode('InvalidAccessKeyId.NotFound'))
  const guard = new MemoryReplayGuard()
  const verified = await verifyAliyunRequest(handSignedAcs3({ accessKeyId: 'LTAIdisabled' }), {
    lookupKey: async (id) => (id === 'LTAIdisabled' ? { secret: SECRET, active: false } : undefined), replay: guard
  })
  t.same(verified, { accessKeyId: 'LTAIdisabled', scheme: 'acs3', key: { secret: SECRET, active: false } }, 'the looked-up record comes back for the status check')
})

t.test('a disabled key is refused after its signature verified and before its nonce is spent', async (t) => {
  const keys = new Map([['LTAIdisabled', { secret: SECRET, disabled: true }]])
  const opts = { lookupKey: async (id: string) => keys.get(id), replay: new MemoryReplayGuard() }
  const request = handSignedAcs3({ accessKeyId: 'LTAIdisabled' })
  await t.rejects(verifyAliyunRequest(request, opts), { kind: 'forbidden', code: 'access_key_inactive' })
  await t.rejects(verifyAliyunRequest(handSignedAcs3({ accessKeyId: 'LTAIdisabled', secret: 'guess' }), opts),
    { code: 'signature_mismatch' }, 'a stranger cannot learn that the key exists but is disabled')
  keys.get('LTAIdisabled')!.disabled = false
  t.match(await verifyAliyunRequest(request, opts), { accessKeyId: 'LTAIdisabled' }, 'the refused request spent no nonce')
  await t.rejects(verifyAliyunRequest(request, opts), { code: 'nonce_used' }, 'once accepted, its nonce is spent')
})

t.test('requests outside the ±15 minute window are refused, both ways', async (t) => {
  for (const [label, offset] of [['server ahead', 16 * MINUTE], ['server behind', -16 * MINUTE]] as const) {
    const fake = await startFake(t, { now: () => Date.now() + offset })
    await t.rejects(popCore(fake), popCode('InvalidTimeStamp.Expired'), `pop-core, ${label}`)
    await t.rejects(openApi(fake, 'v3'), popCode('InvalidTimeStamp.Expired'), `V3, ${label}`)
    await t.rejects(openApi(fake, 'v2'), popCode('InvalidTimeStamp.Expired'), `v2, ${label}`)
  }
  for (const offset of [14 * MINUTE, -14 * MINUTE]) {
    const fake = await startFake(t, { now: () => Date.now() + offset })
    t.match(await popCore(fake), { Code: 200 }, `14 minutes of skew (${offset > 0 ? 'ahead' : 'behind'}) is accepted`)
    t.match(await openApi(fake, 'v3'), { statusCode: 200 })
  }
})

t.test('a replayed request is refused by its nonce', async (t) => {
  const fake = await startFake(t)
  await popCore(fake)
  t.match(await replay(fake, lastCaptured(fake)), { status: 400, body: { Code: 'SignatureNonceUsed' } }, 'pop-core request replayed byte for byte')
  await openApi(fake, 'v3')
  t.match(await replay(fake, lastCaptured(fake)), { status: 400, body: { Code: 'SignatureNonceUsed' } }, 'V3 request replayed')
  await openApi(fake, 'v2')
  t.match(await replay(fake, lastCaptured(fake)), { status: 400, body: { Code: 'SignatureNonceUsed' } }, 'v2 request replayed')
})

t.test('a missing or garbled Authorization is an incomplete signature', async (t) => {
  const fake = await startFake(t)
  await popCore(fake)
  const roa = lastCaptured(fake)
  await openApi(fake, 'v3')
  const acs3 = lastCaptured(fake)
  const garbled: Array<[string, Captured, string | undefined]> = [
    ['no Authorization', roa, undefined],
    ['another scheme', roa, 'Bearer abc'],
    ['acs without a signature', roa, `acs ${AK}`],
    ['acs with a non-base64 signature', roa, `acs ${AK}:not base64!`],
    ['acs with a truncated signature', roa, `acs ${AK}:AAAA`],
    ['acs with a malformed key id', roa, `acs L T:${'A'.repeat(27)}=`],
    ['ACS3 without fields', acs3, 'ACS3-HMAC-SHA256 Credential=x'],
    ['ACS3 with a duplicated field', acs3, `ACS3-HMAC-SHA256 Credential=${AK},Credential=${AK},Signature=${'0'.repeat(64)}`],
    ['ACS3 with a field without =', acs3, `ACS3-HMAC-SHA256 Credential=${AK},SignedHeaders,Signature=${'0'.repeat(64)}`],
    ['ACS3 with a short signature', acs3, String(acs3.headers.authorization).replace(/Signature=\w+/, 'Signature=abcd')],
    ['ACS3 with upper-case signed header names', acs3, String(acs3.headers.authorization).replace('host;', 'Host;')],
    ['ACS3 with a signed header listed twice', acs3, String(acs3.headers.authorization).replace('host;', 'host;host;')],
    ['another ACS3 algorithm', acs3, String(acs3.headers.authorization).replace('ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3')]
  ]
  for (const [label, captured, authorization] of garbled) {
    const changes = authorization === undefined ? { drop: ['authorization'] } : { headers: { authorization } }
    t.match(await replay(fake, captured, changes), { status: 400, body: { Code: 'IncompleteSignature' } }, label)
  }
  for (const name of ['date', 'x-acs-signature-nonce']) {
    t.match(await replay(fake, roa, { drop: [name] }), { status: 400, body: { Code: 'IncompleteSignature' } }, `ROA without ${name}`)
  }
  t.match(await replay(fake, roa, { headers: { date: '2026-01-01T00:00:00Z' } }), { body: { Code: 'IncompleteSignature' } }, 'ROA Date not RFC 1123')
  t.match(await replay(fake, roa, { headers: { 'x-acs-signature-method': 'HMAC-SHA256' } }), { body: { Code: 'IncompleteSignature' } }, 'ROA with another signature method')
  t.match(await replay(fake, roa, { headers: { 'x-acs-signature-version': '2.0' } }), { body: { Code: 'IncompleteSignature' } }, 'ROA with another signature version')
  t.match(await replay(fake, roa, { headers: { 'x-acs-signature-nonce': 'a b' } }), { body: { Code: 'IncompleteSignature' } }, 'a nonce with a space')
  t.match(await replay(fake, acs3, { drop: ['x-acs-action'] }), { body: { Code: 'IncompleteSignature' } }, 'ACS3 with a signed header missing')
  t.match(await replay(fake, acs3, { headers: { 'x-acs-date': 'Tue, 24 Nov 2026 16:23:51 GMT' } }), { body: { Code: 'IncompleteSignature' } }, 'x-acs-date not ISO 8601')
  t.match(await replay(fake, acs3, { headers: { 'x-acs-content-sha256': 'abc' } }), { body: { Code: 'IncompleteSignature' } }, 'x-acs-content-sha256 not a hex digest')
})

t.test('a signature does not carry over to another path or query', async (t) => {
  const fake = await startFake(t)
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['pop-core', () => popCore(fake, { a: '1' })],
    ['V3', () => openApi(fake, 'v3', { a: '1' })],
    ['v2', () => openApi(fake, 'v2', { a: '1' })]
  ]
  for (const [label, call] of cases) {
    await call()
    const sent = lastCaptured(fake)
    t.match(await replay(fake, sent, { path: '/pop/v5/other?a=1' }), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, `${label}: another path`)
    t.match(await replay(fake, sent, { path: `${PATH}?a=2` }), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, `${label}: another query value`)
    t.match(await replay(fake, sent, { path: `${PATH}?a=1&b=2` }), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, `${label}: an added parameter`)
    t.match(await replay(fake, sent, { path: PATH }), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, `${label}: the query dropped`)
    t.match(await replay(fake, sent, { headers: { 'x-acs-version': '2099-01-01' } }), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, `${label}: a signed header changed`)
  }
})

t.test('garbage does not burn a nonce', async (t) => {
  const fake = await startFake(t)
  const nonce = randomUUID()
  const genuine = handSignedRoa({ nonce })
  const forged = { ...genuine.headers, authorization: `acs ${AK}:${Buffer.alloc(20, 7).toString('base64')}` }
  t.match(await send(fake, 'GET', genuine.url, forged), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, 'a forged signature with the nonce')
  t.match(await send(fake, 'GET', genuine.url, { ...genuine.headers, 'x-acs-signature-nonce': nonce, date: new Date(Date.now() - 20 * MINUTE).toUTCString() }), { body: { Code: 'InvalidTimeStamp.Expired' } }, 'a stale copy with the nonce')
  t.match(await send(fake, 'GET', genuine.url, genuine.headers as OutgoingHttpHeaders), { status: 200, body: { Scheme: 'roa' } }, 'the genuine request still passes')
  t.match(await send(fake, 'GET', genuine.url, genuine.headers as OutgoingHttpHeaders), { body: { Code: 'SignatureNonceUsed' } }, 'and is then remembered')

  const v3 = handSignedAcs3({})
  const forgedV3 = { ...v3.headers, authorization: String(v3.headers.authorization).replace(/Signature=\w+/, `Signature=${'0'.repeat(64)}`) }
  t.match(await send(fake, v3.method, v3.url, forgedV3, v3.body), { body: { Code: 'SignatureDoesNotMatch' } })
  t.match(await send(fake, v3.method, v3.url, v3.headers as OutgoingHttpHeaders, v3.body), { status: 200, body: { Scheme: 'acs3' } })
})

t.test('the same nonce under another access key or scheme is not a replay', async (t) => {
  const guard = new MemoryReplayGuard()
  const keys: Keys = { [AK]: { secret: SECRET, active: true }, LTAIother: { secret: 'other', active: true } }
  const opts = { lookupKey: async (id: string) => keys[id], replay: guard }
  const nonce = randomUUID()
  t.match(await verifyAliyunRequest(handSignedRoa({ nonce }), opts), { scheme: 'roa' })
  t.match(await verifyAliyunRequest(handSignedRoa({ nonce, accessKeyId: 'LTAIother', secret: 'other' }), opts), { accessKeyId: 'LTAIother' })
  t.match(await verifyAliyunRequest(handSignedAcs3({ nonce }), opts), { scheme: 'acs3' })
  await t.rejects(verifyAliyunRequest(handSignedAcs3({ nonce }), opts), { code: 'nonce_used', kind: 'invalid' })
})

t.test('V3 must sign host, date, nonce and content hash', async (t) => {
  const fake = await startFake(t)
  for (const unsigned of ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
    const req = handSignedAcs3({ signed: ACS3_SIGNED.filter((name) => name !== unsigned) })
    t.match(await send(fake, req.method, req.url, req.headers as OutgoingHttpHeaders, req.body), { status: 400, body: { Code: 'IncompleteSignature' } }, `${unsigned} left unsigned`)
  }
  const unsignedPayload = handSignedAcs3({ contentSha256: 'UNSIGNED-PAYLOAD' })
  t.match(await send(fake, 'POST', unsignedPayload.url, unsignedPayload.headers as OutgoingHttpHeaders, unsignedPayload.body), { body: { Code: 'IncompleteSignature' } }, 'UNSIGNED-PAYLOAD refused')
  const wrongHash = handSignedAcs3({ contentSha256: createHash('sha256').update('{"other":true}').digest('hex') })
  t.match(await send(fake, 'POST', wrongHash.url, wrongHash.headers as OutgoingHttpHeaders, wrongHash.body), { status: 400, body: { Code: 'SignatureDoesNotMatch' } }, 'a correctly signed hash of another body')
  const ok = handSignedAcs3({})
  t.match(await send(fake, 'POST', ok.url, ok.headers as OutgoingHttpHeaders, ok.body), { status: 200, body: { Scheme: 'acs3' } }, 'the test signer itself is accepted')
})

// ---- Known answers, computed independently of src/ ----

t.test('ROA known answer', async (t) => {
  // Written out by hand from the vendor rule, not produced by the code under test. A key sent
  // without `=` signs as the bare key (the SDK objects cannot express one: they sign `flag=undefined`).
  const stringToSign = [
    'GET', 'application/json', '1B2M2Y8AsgTpgAmY7PhCfg==', '', 'Tue, 24 Nov 2026 16:23:51 GMT',
    'x-acs-signature-method:HMAC-SHA1', 'x-acs-signature-nonce:0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    'x-acs-signature-version:1.0', 'x-acs-version:2017-08-01',
    '/pop/v5/package_storage_credential?a=&b=x y+z/é&flag'
  ].join('\n')
  const signature = createHmac('sha1', 'known-secret').update(stringToSign).digest('base64')
  t.equal(signature, 'ERfC192nHzMVOyPn3OWDPdABAUQ=', 'HMAC-SHA1 of the hand-written string')
  const req: SignedRequest = {
    method: 'GET',
    url: '/pop/v5/package_storage_credential?flag&b=x%20y%2Bz%2F%C3%A9&a=',
    headers: {
      accept: 'application/json', host: 'edas.example', date: 'Tue, 24 Nov 2026 16:23:51 GMT',
      'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'x-acs-version': '2017-08-01', 'x-acs-signature-method': 'HMAC-SHA1',
      'x-acs-signature-version': '1.0', 'x-acs-signature-nonce': '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      authorization: 'acs KNOWNKEY:ERfC192nHzMVOyPn3OWDPdABAUQ='
    },
    body: Buffer.alloc(0)
  }
  const opts = knownAnswerOptions(Date.parse('2026-11-24T16:25:00Z'))
  t.same(await verifyAliyunRequest(req, opts), { accessKeyId: 'KNOWNKEY', scheme: 'roa', key: { secret: 'known-secret' } })
  const flipped = { ...req, headers: { ...req.headers, authorization: 'acs KNOWNKEY:ERfC192nHzMVOyPn3OWDPdABAUA=' } }
  await t.rejects(verifyAliyunRequest(flipped, knownAnswerOptions(Date.parse('2026-11-24T16:25:00Z'))), { code: 'signature_mismatch', kind: 'unauthenticated' })
  // Same 20 bytes, other spare bits in the last base64 character.
  const respelled = { ...req, headers: { ...req.headers, authorization: 'acs KNOWNKEY:ERfC192nHzMVOyPn3OWDPdABAUR=' } }
  await t.rejects(verifyAliyunRequest(respelled, knownAnswerOptions(Date.parse('2026-11-24T16:25:00Z'))), { code: 'incomplete_signature' }, 'non-canonical base64')
  const md5Mismatch = { ...req, body: Buffer.from('x') }
  await t.rejects(verifyAliyunRequest(md5Mismatch, knownAnswerOptions(Date.parse('2026-11-24T16:25:00Z'))), { code: 'signature_mismatch' }, 'content-md5 of another body')
})

t.test('ACS3 known answer', async (t) => {
  const body = '{"hello":"world"}'
  const bodyHash = createHash('sha256').update(body).digest('hex')
  t.equal(bodyHash, '93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588')
  const canonicalRequest = [
    'POST', '/pop/v5/package_storage_credential', 'Flag=&a=%28%21%29~%27&b=x%20y%2Bz%2F%C3%A9',
    'content-type:application/json', 'host:edas.example:8443', 'x-acs-content-sha256:' + bodyHash,
    'x-acs-date:2026-11-24T16:23:51Z', 'x-acs-signature-nonce:nonce-1', '',
    'content-type;host;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce', bodyHash
  ].join('\n')
  const stringToSign = 'ACS3-HMAC-SHA256\n' + createHash('sha256').update(canonicalRequest).digest('hex')
  const signature = createHmac('sha256', 'known-secret').update(stringToSign).digest('hex')
  // Also what @alicloud/openapi-util getAuthorization produces for this request.
  t.equal(signature, '4ddbb827ed5acf569b58370225dca18f8828580ab62474e0cea17d505ee818cd', 'HMAC-SHA256 of the hand-written canonical request')
  const req: SignedRequest = {
    method: 'POST',
    url: "/pop/v5/package_storage_credential?b=x%20y%2Bz%2F%C3%A9&a=(!)~'&Flag",
    headers: {
      'content-type': 'application/json', host: 'edas.example:8443', 'x-acs-content-sha256': bodyHash,
      'x-acs-date': '2026-11-24T16:23:51Z', 'x-acs-signature-nonce': 'nonce-1', 'x-acs-unsigned-extra': 'ignored',
      authorization: `ACS3-HMAC-SHA256 Credential=KNOWNKEY,SignedHeaders=content-type;host;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce,Signature=${signature}`
    },
    body: Buffer.from(body)
  }
  t.same(await verifyAliyunRequest(req, knownAnswerOptions(Date.parse('2026-11-24T16:20:00Z'))), { accessKeyId: 'KNOWNKEY', scheme: 'acs3', key: { secret: 'known-secret' } })
  const upper = { ...req, headers: { ...req.headers, authorization: String(req.headers.authorization).replace(signature, signature.toUpperCase()) } }
  t.match(await verifyAliyunRequest(upper, knownAnswerOptions(Date.parse('2026-11-24T16:20:00Z'))), { scheme: 'acs3' }, 'hex case does not matter')
  const tampered = { ...req, body: Buffer.from('{"hello":"there"}') }
  await t.rejects(verifyAliyunRequest(tampered, knownAnswerOptions(Date.parse('2026-11-24T16:20:00Z'))), { code: 'signature_mismatch' })
})

t.test('errors are domain errors with stable codes and kinds', async (t) => {
  const opts = knownAnswerOptions(Date.now())
  await t.rejects(verifyAliyunRequest({ method: 'GET', url: PATH, headers: {}, body: Buffer.alloc(0) }, opts), { name: 'DomainError', kind: 'unauthenticated', code: 'incomplete_signature' })
  await t.rejects(verifyAliyunRequest({ ...handSignedRoa({}), url: 'http://evil.example/x' }, opts), { code: 'incomplete_signature' }, 'absolute-form target')
  await t.rejects(verifyAliyunRequest(handSignedRoa({ accessKeyId: 'NOPE' }), opts), { kind: 'not_found', code: 'access_key_not_found' })
  await t.rejects(verifyAliyunRequest(handSignedRoa({}), { ...opts, now: () => Date.now() + 20 * MINUTE }), { kind: 'unauthenticated', code: 'timestamp_expired' })
  await t.rejects(verifyAliyunRequest(handSignedRoa({}), { ...opts, skewMs: 1, now: () => Date.now() + 5000 }), { code: 'timestamp_expired' }, 'skewMs is configurable')
})

t.test('a malformed query escape is signed as sent and never decoded', async (t) => {
  const url = `${PATH}?x=%ZZ&y=%41`
  t.match(await verifyAliyunRequest(handSignedRoa({ url, resource: `${PATH}?x=%ZZ&y=A` }), knownAnswerOptions(Date.now())), { scheme: 'roa' })
  await t.rejects(verifyAliyunRequest(handSignedRoa({ url, resource: `${PATH}?x=\uFFFD&y=A` }), knownAnswerOptions(Date.now())), { code: 'signature_mismatch' })
})

function knownAnswerOptions (nowMs: number): AliyunVerifierOptions<{ secret: string }> {
  return {
    lookupKey: async (id) => (id === 'KNOWNKEY' ? { secret: 'known-secret' } : id === AK ? { secret: SECRET } : undefined),
    replay: new MemoryReplayGuard(() => nowMs),
    now: () => nowMs
  }
}

// ---- A test-only signer, written from the vendor rules independently of src/ ----

const ACS3_SIGNED = ['content-type', 'host', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce']

interface HandSigned extends SignedRequest { headers: Record<string, string> }

function handSignedRoa ({ nonce = randomUUID(), accessKeyId = AK, secret = SECRET, url = PATH, resource = PATH }: { nonce?: string, accessKeyId?: string, secret?: string, url?: string, resource?: string }): HandSigned {
  const date = new Date().toUTCString()
  const md5 = createHash('md5').update('').digest('base64')
  const stringToSign = `GET\napplication/json\n${md5}\n\n${date}\nx-acs-signature-nonce:${nonce}\nx-acs-version:2017-08-01\n${resource}`
  const signature = createHmac('sha1', secret).update(stringToSign).digest('base64')
  return {
    method: 'GET',
    url,
    headers: { accept: 'application/json', date, 'content-md5': md5, 'x-acs-signature-nonce': nonce, 'x-acs-version': '2017-08-01', authorization: `acs ${accessKeyId}:${signature}` },
    body: Buffer.alloc(0)
  }
}

function handSignedAcs3 ({ nonce = randomUUID(), accessKeyId = AK, secret = SECRET, signed = ACS3_SIGNED, contentSha256 }: { nonce?: string, accessKeyId?: string, secret?: string, signed?: string[], contentSha256?: string }): HandSigned {
  const body = Buffer.from('{"a":1}')
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: '127.0.0.1',
    'x-acs-content-sha256': contentSha256 ?? createHash('sha256').update(body).digest('hex'),
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': nonce
  }
  const canonicalRequest = `POST\n${PATH}\n\n${signed.map((name) => `${name}:${headers[name]}\n`).join('')}\n${signed.join(';')}\n${headers['x-acs-content-sha256']}`
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`
  const signature = createHmac('sha256', secret).update(stringToSign).digest('hex')
  headers.authorization = `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`
  return { method: 'POST', url: PATH, headers, body }
}
