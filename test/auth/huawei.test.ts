import t from 'tap'
import fc from 'fast-check'
import { createHash, createHmac, hkdfSync } from 'node:crypto'
import { MemoryReplayGuard } from '../../src/auth/replay.js'
import { isHuaweiSigned, verifyHuaweiRequest, type SignedRequest } from '../../src/auth/huawei.js'
import {
  canonicalHeaders, canonicalQuery, canonicalUri, derivedSigningKey, formatSdkDate, huaweiUrlEncode, parseSdkDate, splitRequestTarget
} from '../../src/signing/huawei-apig.js'
import { isDomainError } from '../../src/errors.js'
import {
  AK, KEYS, PROJECT, SK, type SdkError, type Harness, authorizeRequest, derivedClient, handSign, plainClient,
  resetSecretRequest, sdkCredentials, sdkDerivedSigner, sdkHkdf, sdkSigner, sendRaw, startHarness
} from './huawei-fixtures.js'

const MINUTE = 60_000

/** The SDK call's rejection, typed. */
async function sdkFailure (p: Promise<unknown>): Promise<SdkError> {
  try {
    await p
  } catch (err) {
    return err as SdkError
  }
  throw new Error('the SDK call was expected to fail')
}

/** Captures what the SDK sends (nothing verified), for replays and tampering. */
async function captureSdkRequest (tt: Parameters<typeof startHarness>[0], derived: boolean, req = resetSecretRequest()) {
  const capture = await startHarness(tt, { verify: false })
  const client = derived ? derivedClient(capture.endpoint) : plainClient(capture.endpoint)
  await client.sendRequest(req)
  const raw = capture.received[0]
  if (raw === undefined) throw new Error('nothing captured')
  return raw
}

t.test('the vendor SDK passes', async (t) => {
  t.test('plain SDK-HMAC-SHA256 Workspace authorize, with the X-Project-Id the SDK signs covered', async (t) => {
    const h = await startHarness(t)
    const reply = await plainClient(h.endpoint).sendRequest(authorizeRequest())
    t.match(reply, { ok: true, access_key_id: AK, scheme: 'SDK-HMAC-SHA256' })
    const o = h.last()
    if (!o.ok) throw t.fail(o.code)
    t.same(o.verified, { accessKeyId: AK, key: KEYS.get(AK) }, 'the key record comes back for the route')
    const raw = h.received[0]!
    t.match(raw.headers.authorization, /SignedHeaders=content-type;host;x-project-id;x-sdk-date,/)
    await sendRaw(h.port, { ...raw, headers: { ...raw.headers, 'x-project-id': 'f'.repeat(32) } })
    t.match(h.last(), { ok: false, code: 'signature_mismatch' }, 'another X-Project-Id breaks the signature')
  })

  t.test('derived V11-HMAC-SHA256 Workspace authorize, with its credential scope', async (t) => {
    const h = await startHarness(t)
    const reply = await derivedClient(h.endpoint).sendRequest(authorizeRequest())
    t.match(reply, { ok: true, scheme: 'V11-HMAC-SHA256' })
    t.match(h.last(), { ok: true })
    const raw = h.received[0]!
    const day = String(raw.headers['x-sdk-date']).slice(0, 8)
    t.match(raw.headers.authorization, new RegExp(`Credential=${AK}/${day}/cn-north-4/iotdm, `))
    const elsewhere = String(raw.headers.authorization).replace('/cn-north-4/', '/cn-south-1/')
    await sendRaw(h.port, { ...raw, headers: { ...raw.headers, authorization: elsewhere } })
    t.match(h.last(), { ok: false, code: 'signature_mismatch' }, 'the scope derives the signing key: another region breaks it')
  })

  for (const derived of [false, true]) {
    t.test(`IoTDA resetSecret with ?action_id=resetSecret (${derived ? 'derived' : 'plain'})`, async (t) => {
      const h = await startHarness(t)
      const client = derived ? derivedClient(h.endpoint) : plainClient(h.endpoint)
      t.match(await client.sendRequest(resetSecretRequest()), { ok: true })
      t.match(h.received[0]?.url, /\/action\?action_id=resetSecret$/)
    })
  }

  t.test('several query parameters, repeated keys and characters the SDK escapes', async (t) => {
    const h = await startHarness(t)
    const req = { ...resetSecretRequest(), queryParams: { z: 'last', action_id: 'resetSecret', b: ['z', 'a b', "it's!"], e: '', u: 'ü中😀' } }
    t.match(await plainClient(h.endpoint).sendRequest(req), { ok: true })
  })

  t.test('unicode path segments (percent-encoded on the wire, UTF-8 encoded in the canonical URI)', async (t) => {
    const h = await startHarness(t)
    const req = { ...authorizeRequest(), url: '/v1/{project_id}/dévices/中文/😀~-._/{name}', pathParams: { project_id: PROJECT, name: 'Ünïcødé' } }
    t.match(await plainClient(h.endpoint).sendRequest(req), { ok: true })
    t.match(await derivedClient(h.endpoint).sendRequest(req), { ok: true })
    t.match(h.received[0]?.url, /%C3%A9vices\/%E4%B8%AD%E6%96%87\/%F0%9F%98%80~-\._\//)
  })

  t.test('an empty body and a GET', async (t) => {
    const h = await startHarness(t)
    const req = { ...resetSecretRequest(), method: 'GET', queryParams: {}, data: undefined }
    t.match(await plainClient(h.endpoint).sendRequest(req), { ok: true })
  })

  t.test('extra signed headers (Instance-Id) are canonicalized and covered', async (t) => {
    const h = await startHarness(t)
    const req = { ...resetSecretRequest(), headers: { 'Instance-Id': 'inst-01' } }
    t.match(await derivedClient(h.endpoint).sendRequest(req), { ok: true })
    const raw = h.received[0]!
    t.match(raw.headers.authorization, /SignedHeaders=[^,]*instance-id/)
    await sendRaw(h.port, { ...raw, headers: { ...raw.headers, 'instance-id': 'inst-02' } })
    t.match(h.last(), { ok: false, code: 'signature_mismatch' }, 'another Instance-Id breaks the signature')
  })
})

t.test('wrong secrets and keys', async (t) => {
  t.test('a wrong SK is a signature mismatch; the SDK sees 401 APIGW.0301 and the request id', async (t) => {
    const h = await startHarness(t)
    for (const client of [plainClient(h.endpoint, AK, 'not-the-secret'), derivedClient(h.endpoint, AK, 'not-the-secret')]) {
      const err = await sdkFailure(client.sendRequest(authorizeRequest()))
      t.equal(err.httpStatusCode, 401)
      t.equal(err.errorCode, 'APIGW.0301')
      t.match(err.errorMsg, /^signature_mismatch/)
      t.match(err.requestId, /^[0-9a-f-]{36}$/)
      t.match(h.last(), { ok: false, kind: 'unauthenticated', code: 'signature_mismatch' })
    }
  })

  t.test('an unknown AK is access_key_not_found', async (t) => {
    const h = await startHarness(t)
    const err = await sdkFailure(plainClient(h.endpoint, 'HPUAUNKNOWNKEY000001').sendRequest(authorizeRequest()))
    t.equal(err.httpStatusCode, 401)
    // One kind per code in the catalogue (src/errors.ts): not_found, shared with the admin API; the contracts answer it by code.
    t.match(h.last(), { ok: false, kind: 'not_found', code: 'access_key_not_found' })
  })

  t.test('a disabled key is refused as forbidden, but only once its signature verified', async (t) => {
    const h = await startHarness(t)
    const err = await sdkFailure(plainClient(h.endpoint, 'HPUADISABLEDKEY00001', 'disabledSecret').sendRequest(authorizeRequest()))
    t.equal(err.httpStatusCode, 403)
    t.match(h.last(), { ok: false, kind: 'forbidden', code: 'access_key_disabled' })
    await sdkFailure(plainClient(h.endpoint, 'HPUADISABLEDKEY00001', 'guess').sendRequest(authorizeRequest()))
    t.match(h.last(), { ok: false, code: 'signature_mismatch' }, 'a stranger cannot learn that the key exists but is disabled')
  })

  t.test('a credential scope for another service still verifies', async (t) => {
    const h = await startHarness(t)
    t.match(await derivedClient(h.endpoint, AK, SK, 'workspace').sendRequest(authorizeRequest()), { ok: true })
    t.match(h.last(), { ok: true })
    t.match(h.received[0]?.headers.authorization, /\/cn-north-4\/workspace, /)
  })
})

t.test('clock skew', async (t) => {
  for (const [label, offset, expected] of [
    ['server 16 min ahead', 16 * MINUTE, 'timestamp_expired'],
    ['server 16 min behind', -16 * MINUTE, 'timestamp_expired'],
    ['server 14 min ahead', 14 * MINUTE, 'ok'],
    ['server 14 min behind', -14 * MINUTE, 'ok']
  ] as const) {
    t.test(`${label}: ${expected}`, async (t) => {
      const h = await startHarness(t, { now: () => Date.now() + offset })
      for (const client of [plainClient(h.endpoint), derivedClient(h.endpoint)]) {
        if (expected === 'ok') {
          t.match(await client.sendRequest(authorizeRequest()), { ok: true })
        } else {
          t.equal((await sdkFailure(client.sendRequest(authorizeRequest()))).httpStatusCode, 401)
          t.match(h.last(), { ok: false, code: expected })
        }
      }
    })
  }

  t.test('the timestamp is checked before the key lookup', async (t) => {
    let lookups = 0
    const h = await startHarness(t, { now: () => Date.now() + 60 * MINUTE, lookupKey: async (id) => { lookups++; return KEYS.get(id) } })
    await sdkFailure(plainClient(h.endpoint, 'HPUAUNKNOWNKEY000001').sendRequest(authorizeRequest()))
    t.match(h.last(), { ok: false, code: 'timestamp_expired' })
    t.equal(lookups, 0)
  })

  t.test('a custom skewMs narrows the window', async (t) => {
    const h = await startHarness(t, { now: () => Date.now() + 2 * MINUTE, skewMs: MINUTE })
    await sdkFailure(plainClient(h.endpoint).sendRequest(authorizeRequest()))
    t.match(h.last(), { ok: false, code: 'timestamp_expired' })
  })
})

t.test('replay window', async (t) => {
  t.test('the identical captured request, sent again, is replayed', async (t) => {
    for (const derived of [false, true]) {
      const raw = await captureSdkRequest(t, derived)
      const h = await startHarness(t)
      t.match(await sendRaw(h.port, raw), { status: 200, body: { ok: true } })
      t.match(await sendRaw(h.port, raw), { status: 401 })
      t.match(h.last(), { ok: false, code: 'replayed' })
    }
  })

  t.test('re-casing the signature or re-spacing the header does not dodge the window', async (t) => {
    const raw = await captureSdkRequest(t, false)
    const h = await startHarness(t)
    t.match(await sendRaw(h.port, raw), { status: 200 })
    const auth = String(raw.headers.authorization)
    const upper = auth.replace(/Signature=([0-9a-f]+)/, (_, s: string) => `Signature=${s.toUpperCase()}`)
    const respaced = auth.replace(/, /g, ',')
    for (const authorization of [upper, respaced]) {
      await sendRaw(h.port, { ...raw, headers: { ...raw.headers, authorization } })
      t.match(h.last(), { ok: false, code: 'replayed' })
    }
  })

  t.test('a bad signature does not poison the window for the genuine request', async (t) => {
    const raw = await captureSdkRequest(t, false)
    const h = await startHarness(t)
    const auth = String(raw.headers.authorization)
    const sig = /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? ''
    const flipped = auth.replace(sig, sig.replace(/^./, (c) => (c === '0' ? '1' : '0')))
    t.match(await sendRaw(h.port, { ...raw, headers: { ...raw.headers, authorization: flipped } }), { status: 401 })
    t.match(h.last(), { ok: false, code: 'signature_mismatch' })
    const tampered = { ...raw, body: Buffer.from('{"secret":"attacker_chosen","force_disconnect":true}') }
    await sendRaw(h.port, tampered)
    t.match(h.last(), { ok: false, code: 'signature_mismatch' }, 'a tampered body with the genuine signature burns nothing either')
    t.match(await sendRaw(h.port, raw), { status: 200, body: { ok: true } })
    t.equal(h.replay.size, 1)
  })

  t.test('entries expire with the request time + window', async (t) => {
    let clock = Date.now()
    const raw = await captureSdkRequest(t, false)
    const h = await startHarness(t, { now: () => clock, skewMs: 10 * MINUTE })
    t.match(await sendRaw(h.port, raw), { status: 200 })
    clock += 11 * MINUTE
    await sendRaw(h.port, raw)
    t.match(h.last(), { ok: false, code: 'timestamp_expired' }, 'outside the window the clock refuses it, not the replay set')
  })
})

t.test('tampering', async (t) => {
  const raw = await captureSdkRequest(t, false)
  const variants: Array<[string, Partial<typeof raw>]> = [
    ['tampered body', { body: Buffer.from('{"secret":"abcdefgh_124","force_disconnect":false}') }],
    ['extra whitespace in the JSON body', { body: Buffer.from('{"secret": "abcdefgh_123","force_disconnect":false}') }],
    ['another device in the path', { url: raw.url.replace('dev_0001-a', 'dev_0001-b') }],
    ['another action in the query', { url: raw.url.replace('resetSecret', 'freeze') }],
    ['query dropped', { url: raw.url.replace(/\?.*$/, '') }],
    ['query folded into the path', { url: raw.url.replace('?', '/') }],
    ['path segment moved into the query', { url: raw.url.replace('/action?', '?x=action&') }],
    ['extra query parameter', { url: `${raw.url}&force=1` }],
    ['another method', { method: 'PUT' }],
    ['another project header', { headers: { ...raw.headers, 'x-project-id': 'another-project' } }],
    ['another host', { headers: { ...raw.headers, host: 'evil.example:80' } }]
  ]
  for (const [label, change] of variants) {
    t.test(`${label} is a signature mismatch`, async (t) => {
      const h = await startHarness(t)
      t.match(await sendRaw(h.port, { ...raw, ...change }), { status: 401 })
      t.match(h.last(), { ok: false, code: 'signature_mismatch' })
    })
  }

  t.test('the same request with an encoded-but-equivalent target still verifies (canonical form)', async (t) => {
    const h = await startHarness(t)
    const url = raw.url.replace('dev_0001-a', 'dev%5F0001%2Da').replace('action_id', 'action%5Fid')
    t.match(await sendRaw(h.port, { ...raw, url }), { status: 200 })
  })

  t.test('malformed percent-encoding is refused, not guessed at', async (t) => {
    const h = await startHarness(t)
    await sendRaw(h.port, { ...raw, url: raw.url.replace('dev_0001-a', 'dev%zz') })
    t.match(h.last(), { ok: false, code: 'signature_mismatch', message: /percent-encoding/ })
  })
})

t.test('signed-header and payload rules (docs/security.md rule 2)', async (t) => {
  t.test('the hand signer is accepted when it follows the rules (positive control)', async (t) => {
    const h = await startHarness(t)
    for (const scheme of ['SDK-HMAC-SHA256', 'V11-HMAC-SHA256'] as const) {
      await sendRaw(h.port, handSign({ scheme, url: '/v1/p/x', host: `127.0.0.1:${h.port}` }))
      t.match(h.last(), { ok: true }, `${scheme} accepted`)
    }
  })

  for (const missing of ['host', 'x-sdk-date']) {
    t.test(`${missing} left out of SignedHeaders is incomplete_signature`, async (t) => {
      const h = await startHarness(t)
      const signed = ['content-type', 'host', 'x-sdk-date'].filter((n) => n !== missing)
      await sendRaw(h.port, handSign({ url: '/v1/p/x', host: `127.0.0.1:${h.port}`, signed }))
      t.match(h.last(), { ok: false, code: 'incomplete_signature', message: new RegExp(`include ${missing}`) })
    })
  }

  t.test('an unsigned extra header (X-Project-Id) does not stop verification', async (t) => {
    const h = await startHarness(t)
    await sendRaw(h.port, handSign({ url: '/v1/p/x', host: `127.0.0.1:${h.port}`, headers: { 'x-project-id': PROJECT }, signed: ['content-type', 'host', 'x-sdk-date'] }))
    t.ok(h.last().ok)
  })

  t.test('UNSIGNED-PAYLOAD from the SDK (non-JSON content type) is refused by default', async (t) => {
    const h = await startHarness(t)
    const req = { ...authorizeRequest(), contentType: 'text/plain', data: 'hello' }
    t.equal((await sdkFailure(plainClient(h.endpoint).sendRequest(req))).httpStatusCode, 401)
    t.match(h.last(), { ok: false, code: 'unsigned_payload' })
    t.equal(h.received[0]?.headers['x-sdk-content-sha256'], 'UNSIGNED-PAYLOAD')
  })

  t.test('UNSIGNED-PAYLOAD passes where the route allows it', async (t) => {
    const h = await startHarness(t, { allowUnsignedPayload: true })
    const req = { ...authorizeRequest(), contentType: 'text/plain', data: 'hello' }
    t.match(await plainClient(h.endpoint).sendRequest(req), { ok: true })
    t.match(await derivedClient(h.endpoint).sendRequest({ ...req, data: 'hello again' }), { ok: true })
  })

  t.test('a declared X-Sdk-Content-Sha256 must match the body', async (t) => {
    const h = await startHarness(t)
    const body = '{"a":1}'
    const good = createHash('sha256').update(body).digest('hex')
    await sendRaw(h.port, handSign({ url: '/v1/p/x', host: `127.0.0.1:${h.port}`, body, headers: { 'x-sdk-content-sha256': good } }))
    t.match(h.last(), { ok: true }, 'a correct declared hash verifies')
    await sendRaw(h.port, handSign({ url: '/v1/p/x', host: `127.0.0.1:${h.port}`, body, headers: { 'x-sdk-content-sha256': 'f'.repeat(64) } }))
    t.match(h.last(), { ok: false, code: 'signature_mismatch', message: /X-Sdk-Content-Sha256/ })
  })

  t.test('a refused disabled key spends no signature: the same request verifies once the key is enabled again', async (t) => {
    const key = { secret: 'disabledSecret', projectId: PROJECT, disabled: true }
    const opts = { lookupKey: async () => key, replay: new MemoryReplayGuard() }
    const raw = handSign({ url: '/v1/p/x', host: 'h', ak: 'HPUADISABLEDKEY00001', sk: 'disabledSecret' })
    await t.rejects(verifyHuaweiRequest(raw, opts), { kind: 'forbidden', code: 'access_key_disabled' })
    key.disabled = false
    t.equal((await verifyHuaweiRequest(raw, opts)).accessKeyId, 'HPUADISABLEDKEY00001')
    await t.rejects(verifyHuaweiRequest(raw, opts), { code: 'replayed' }, 'once accepted, the signature is spent')
  })

  t.test('a repeated signed header is canonicalized joined with a comma', async (t) => {
    const raw = handSign({ url: '/v1/p/x', host: 'h', headers: { 'instance-id': 'i-1,i-2' } })
    const verified = await verifyHuaweiRequest({ ...raw, headers: { ...raw.headers, 'instance-id': ['i-1', 'i-2'] } },
      { lookupKey: async (id) => KEYS.get(id), replay: new MemoryReplayGuard() })
    t.equal(verified.accessKeyId, AK)
  })

  t.test('a signed header that is absent from the request is incomplete_signature', async (t) => {
    const h = await startHarness(t)
    const raw = handSign({ url: '/v1/p/x', host: `127.0.0.1:${h.port}`, headers: { 'instance-id': 'i-1' } })
    const { 'instance-id': _dropped, ...headers } = raw.headers
    await sendRaw(h.port, { ...raw, headers })
    t.match(h.last(), { ok: false, code: 'incomplete_signature', message: /instance-id is missing/ })
  })
})

t.test('garbled Authorization and X-Sdk-Date are incomplete_signature', async (t) => {
  const date = formatSdkDate(Date.now())
  const sig = 'a'.repeat(64)
  const good = `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date, Signature=${sig}`
  const cases: Array<[string, Record<string, string | string[]>]> = [
    ['no Authorization', {}],
    ['two Authorization headers', { authorization: [good, good] }],
    ['another scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['lower-case scheme', { authorization: good.toLowerCase() }],
    ['scheme only', { authorization: 'SDK-HMAC-SHA256 ' }],
    ['no Signature', { authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date` }],
    ['Signature twice', { authorization: `${good}, Signature=${sig}` }],
    ['unknown field', { authorization: `${good}, Nonce=1` }],
    ['empty Access', { authorization: good.replace(`Access=${AK}`, 'Access=') }],
    ['Access with a space', { authorization: good.replace(`Access=${AK}`, 'Access=A K') }],
    ['Credential on the plain scheme', { authorization: good.replace('Access=', 'Credential=') }],
    ['63 hex digits', { authorization: good.replace(sig, sig.slice(1)) }],
    ['non-hex signature', { authorization: good.replace(sig, 'g'.repeat(64)) }],
    ['upper-case SignedHeaders', { authorization: good.replace('host;x-sdk-date', 'Host;X-Sdk-Date') }],
    ['empty signed header name', { authorization: good.replace('host;x-sdk-date', 'host;;x-sdk-date') }],
    ['repeated signed header', { authorization: good.replace('host;x-sdk-date', 'host;host;x-sdk-date') }],
    ['V11 with Access', { authorization: `V11-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date, Signature=${sig}` }],
    ['V11 scope with three parts', { authorization: `V11-HMAC-SHA256 Credential=${AK}/${date.slice(0, 8)}/cn-north-4, SignedHeaders=host;x-sdk-date, Signature=${sig}` }],
    ['V11 scope with five parts', { authorization: `V11-HMAC-SHA256 Credential=${AK}/${date.slice(0, 8)}/cn-north-4/iotdm/x, SignedHeaders=host;x-sdk-date, Signature=${sig}` }],
    ['V11 scope date not the X-Sdk-Date day', { authorization: `V11-HMAC-SHA256 Credential=${AK}/19990101/cn-north-4/iotdm, SignedHeaders=host;x-sdk-date, Signature=${sig}` }],
    ['V11 scope with a bad region', { authorization: `V11-HMAC-SHA256 Credential=${AK}/${date.slice(0, 8)}/cn north/iotdm, SignedHeaders=host;x-sdk-date, Signature=${sig}` }],
    ['no X-Sdk-Date', { authorization: good, 'x-sdk-date': '' }],
    ['ISO X-Sdk-Date', { authorization: good, 'x-sdk-date': new Date().toISOString() }],
    ['impossible X-Sdk-Date', { authorization: good, 'x-sdk-date': '20240231T101112Z' }],
    ['X-Sdk-Date twice', { authorization: good, 'x-sdk-date': [date, date] }]
  ]
  let lookups = 0
  for (const [label, extra] of cases) {
    const headers: SignedRequest['headers'] = { host: 'h', 'x-sdk-date': date, ...extra }
    if (headers['x-sdk-date'] === '') delete headers['x-sdk-date']
    const err = await verifyHuaweiRequest({ method: 'POST', url: '/', headers, body: Buffer.alloc(0) }, {
      lookupKey: async (id) => { lookups++; return KEYS.get(id) },
      replay: new MemoryReplayGuard()
    }).then(() => undefined, (e: unknown) => e)
    t.ok(isDomainError(err) && err.kind === 'unauthenticated' && err.code === 'incomplete_signature', label)
  }
  t.equal(lookups, 0, 'no garbled request reaches the key store')
})

t.test('isHuaweiSigned', async (t) => {
  t.ok(isHuaweiSigned({ authorization: 'SDK-HMAC-SHA256 Access=x' }))
  t.ok(isHuaweiSigned({ Authorization: 'V11-HMAC-SHA256 Credential=x' }))
  t.notOk(isHuaweiSigned({}))
  t.notOk(isHuaweiSigned({ 'x-auth-token': 'tok' }))
  t.notOk(isHuaweiSigned({ authorization: 'SDK-HMAC-SHA256x' }))
  t.notOk(isHuaweiSigned({ authorization: ['SDK-HMAC-SHA256 a', 'SDK-HMAC-SHA256 b'] }))
  t.notOk(isHuaweiSigned({ authorization: 'Bearer abc' }))
})

t.test('known answers', async (t) => {
  // Pinned from @huaweicloud/huaweicloud-sdk-core 3.1.211 AKSKSigner/DerivedAKSKSigner.sign
  // with X-Sdk-Date preset, and recomputed below with node:crypto alone.
  const date = '20240315T101112Z'
  const body = '{"secret":"abcdefgh","force_disconnect":true}'
  const plainSig = '1baef7833a66ef4b26ec1fd9e0d46cba66d1053684dd7ee9405c5aaecc2c046a'
  const derivedSig = '22f719b041082080b48f2f3f42651bf8a5e2dd87a27229c893c5c20d67b30f60'
  const signedHeaders = 'content-type;host;x-project-id;x-sdk-date'
  const canonical = [
    'POST', '/v5/iot/p1/devices/dev-1/action/', 'action_id=resetSecret',
    'content-type:application/json\nhost:iotda.example.com:8443\nx-project-id:p1\nx-sdk-date:20240315T101112Z\n',
    signedHeaders, createHash('sha256').update(body).digest('hex')
  ].join('\n')
  const hashed = createHash('sha256').update(canonical).digest('hex')

  t.test('independent recomputation of both signatures', async (t) => {
    t.equal(createHmac('sha256', SK).update(`SDK-HMAC-SHA256\n${date}\n${hashed}`).digest('hex'), plainSig)
    const scope = '20240315/cn-north-4/iotdm'
    const key = Buffer.from(hkdfSync('sha256', SK, AK, scope, 32)).toString('hex')
    t.equal(createHmac('sha256', key).update(`V11-HMAC-SHA256\n${date}\n${scope}\n${hashed}`).digest('hex'), derivedSig)
  })

  t.test('the SDK signer still produces the pinned values', async (t) => {
    const cred = sdkCredentials(AK, SK)
    cred.processDerivedAuthParams('iotdm', 'cn-north-4')
    const request = () => ({
      method: 'POST',
      endpoint: 'https://iotda.example.com:8443/v5/iot/p1/devices/dev-1/action',
      headers: { 'X-Sdk-Date': date, 'content-type': 'application/json', 'X-Project-Id': 'p1' },
      queryParams: { action_id: 'resetSecret' },
      data: JSON.parse(body)
    })
    t.match(sdkSigner.AKSKSigner.sign(request(), cred).Authorization, `Signature=${plainSig}`)
    t.match(sdkDerivedSigner.DerivedAKSKSigner.sign(request(), cred).Authorization, `Signature=${derivedSig}`)
  })

  for (const [scheme, authorization] of [
    ['SDK-HMAC-SHA256', `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${signedHeaders}, Signature=${plainSig}`],
    ['V11-HMAC-SHA256', `V11-HMAC-SHA256 Credential=${AK}/20240315/cn-north-4/iotdm, SignedHeaders=${signedHeaders}, Signature=${derivedSig}`]
  ] as const) {
    t.test(`the verifier accepts the pinned ${scheme} request`, async (t) => {
      const verified = await verifyHuaweiRequest({
        method: 'POST',
        url: '/v5/iot/p1/devices/dev-1/action?action_id=resetSecret',
        headers: { host: 'iotda.example.com:8443', 'content-type': 'application/json', 'x-project-id': 'p1', 'x-sdk-date': date, authorization },
        body: Buffer.from(body)
      }, { lookupKey: async (id) => KEYS.get(id), replay: new MemoryReplayGuard(), now: () => Date.UTC(2024, 2, 15, 10, 20) })
      t.same(verified, { accessKeyId: AK, key: KEYS.get(AK) })
    })
  }

  t.test('canonical URI and query forms', async (t) => {
    t.equal(canonicalUri('/'), '/')
    t.equal(canonicalUri(''), '/')
    t.equal(canonicalUri('/a/b/'), '/a/b/')
    t.equal(canonicalUri('/d%C3%A9v/%E4%B8%AD%E6%96%87/a%2Fb/x!y'), '/d%C3%A9v/%E4%B8%AD%E6%96%87/a%2Fb/x%21y/')
    t.same(splitRequestTarget('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y' })
    t.same(splitRequestTarget('?x=1'), { path: '/', query: 'x=1' })
    t.same(splitRequestTarget('http://h:8080/a?q'), { path: '/a', query: 'q' }, 'absolute-form (proxy) targets')
    t.same(splitRequestTarget('http://h:8080?q'), { path: '/', query: 'q' })
    t.equal(canonicalHeaders(new Map([['x-sdk-date', 'd'], ['host', ' h:1 '], ['content-type', 'a/b']])),
      'content-type:a/b\nhost:h:1\nx-sdk-date:d\n', 'header lines sorted by name, values trimmed, whatever the SignedHeaders order')
    t.equal(canonicalQuery(''), '')
    t.equal(canonicalQuery('z=1&a=2&a=1&e&f=&&sp=a%20b&bang=x!'), 'a=1&a=2&bang=x%21&e=&f=&sp=a%20b&z=1')
    t.equal(canonicalQuery('plus=a+b'), 'plus=a%2Bb', "'+' is a literal plus (the SDK sends a space as %20)")
  })

  t.test('huaweiUrlEncode equals the SDK urlEncode for any string', async (t) => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => huaweiUrlEncode(s) === sdkSigner.AKSKSigner.urlEncode(s)))
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii' }), (s) => huaweiUrlEncode(s) === sdkSigner.AKSKSigner.urlEncode(s)))
    t.pass('property held')
  })

  t.test('derived signing key equals the SDK HKDF for any AK, SK and scope', async (t) => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string(), (ak, sk, info) =>
      derivedSigningKey(ak, sk, info) === sdkHkdf.HKDF.getDerKeySHA256(ak, sk, info)), { numRuns: 200 })
    t.pass('property held')
  })

  t.test('X-Sdk-Date parsing round-trips and rejects impossible instants', async (t) => {
    t.equal(parseSdkDate(date), Date.UTC(2024, 2, 15, 10, 11, 12))
    t.equal(formatSdkDate(Date.UTC(2024, 2, 15, 10, 11, 12, 999)), date)
    for (const bad of ['20241301T000000Z', '20240101T240000Z', '00000101T000000Z', '20240101T000000', '20240101 000000Z', '20230229T000000Z', '20240101T000060Z']) {
      t.equal(parseSdkDate(bad), undefined, bad)
    }
    // Any well-shaped text (impossible fields included) is accepted exactly when it is the form of the instant it names.
    const digits = (n: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'))
    fc.assert(fc.property(digits(4, 9999), digits(2, 13), digits(2, 32), digits(2, 25), digits(2, 61), digits(2, 61), (y, mo, d, h, mi, s) => {
      const text = `${y}${mo}${d}T${h}${mi}${s}Z`
      const parsed = parseSdkDate(text)
      return parsed === undefined
        ? !(/^\d{8}T\d{6}Z$/.test(text) && Number.isFinite(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)) && formatSdkDate(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)) === text)
        : formatSdkDate(parsed) === text
    }), { numRuns: 3000 })
  })
})

t.test('SDK quirk: a space or quote in a path segment is double-encoded by the Node SDK and does not verify', async (t) => {
  // url.parse (legacy) escapes ' ' and '"' before AKSKSigner.CanonicalURI encodes
  // again (%2520), while the wire carries %20. Our routes' ids never contain
  // them; accepting both forms would let `a b` and `a%20b` share a signature.
  const h = await startHarness(t)
  const req = { ...authorizeRequest(), url: '/v1/{project_id}/a b' }
  t.equal((await sdkFailure(plainClient(h.endpoint).sendRequest(req))).httpStatusCode, 401)
  t.match(h.last(), { ok: false, code: 'signature_mismatch' })
})
