import t, { type Test } from 'tap'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { STORE_KINDS } from '../helpers/store.js'
import type { SdkClient, SdkError, SdkRequest } from '../auth/huawei-fixtures.js'
import { iotdaProject, type IotdaProject } from './iotda-fixtures.js'

/**
 * ResetDeviceSecret through real clients on a listening server: the Huawei
 * SDK core's own signer (derived V11-HMAC-SHA256 with service iotdm, as the
 * vendor's samples for the standard/enterprise editions; and plain
 * SDK-HMAC-SHA256, basic edition), and plain fetch with X-Auth-Token (the SDK
 * has no token mode).
 */

const require = createRequire(import.meta.url)
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as { ClientBuilder: any }
const sdkCore = require('@huaweicloud/huaweicloud-sdk-core') as { BasicCredentials: any, Region: any }

function credentials (p: IotdaProject, sk = p.sk): any {
  return new sdkCore.BasicCredentials().withAk(p.ak).withSk(sk).withProjectId(p.projectId)
}

/** What the vendor's sample builds: derived predicate + own Region (standard/enterprise editions). */
function derivedClient (endpoint: string, p: IotdaProject, sk?: string): SdkClient {
  const credential = credentials(p, sk).withDerivedPredicate((r: unknown) => sdkCore.BasicCredentials.getDefaultDerivedPredicate(r))
  return new ClientBuilder((c: SdkClient) => c).withCredential(credential)
    .withRegion(new sdkCore.Region('cn-north-4', endpoint)).withDerivedAuthServiceName('iotdm').build()
}

function plainClient (endpoint: string, p: IotdaProject): SdkClient {
  return new ClientBuilder((c: SdkClient) => c).withCredential(credentials(p)).withEndpoint(endpoint).build()
}

/** As the generated IoTDA SDK's ResetDeviceSecret sends it. */
const resetSecretRequest = (deviceId: string, data?: object, headers: Record<string, string> = {}): SdkRequest => ({
  method: 'POST',
  url: '/v5/iot/{project_id}/devices/{device_id}/action',
  contentType: 'application/json',
  pathParams: { device_id: deviceId },
  queryParams: { action_id: 'resetSecret' },
  headers,
  ...(data === undefined ? {} : { data })
})

async function listen (t: Test, app: TestApp): Promise<string> {
  await app.app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`
}

async function sdkFailure (t: Test, call: Promise<unknown>): Promise<SdkError> {
  const err = await call.then(() => undefined, (e: unknown) => e as SdkError)
  if (err === undefined) throw new Error('the SDK call succeeded')
  return err
}

for (const kind of STORE_KINDS) {
  t.test(`${kind}: ResetDeviceSecret through real clients`, async (t) => {
    const app = await buildTestApp(t, { kind })
    const endpoint = await listen(t, app)
    const p = await iotdaProject(app, { instanceId: 'inst-sdk' })

    t.test('derived V11-HMAC-SHA256 (service iotdm), as the vendor sample: a given secret', async (t) => {
      const reply = await derivedClient(endpoint, p).sendRequest(resetSecretRequest(p.deviceId, { secret: '3b93abcd_dc3c', force_disconnect: false }, { 'Instance-Id': 'inst-sdk' }))
      t.match(reply, { device_id: p.deviceId, secret: '3b93abcd_dc3c', secret_type: 'PRIMARY' })
      t.equal((await app.store.devices.findForLogin(p.deviceId))?.primarySecret, '3b93abcd_dc3c')
    })

    t.test('derived, no body: a generated primary secret', async (t) => {
      const reply = await derivedClient(endpoint, p).sendRequest(resetSecretRequest(p.deviceId))
      t.match(reply, { device_id: p.deviceId, secret: /^[0-9a-f]{32}$/, secret_type: 'PRIMARY' })
    })

    t.test('plain SDK-HMAC-SHA256 (basic edition): the secondary', async (t) => {
      const reply = await plainClient(endpoint, p).sendRequest(resetSecretRequest(p.deviceId, { secret: 'sdk-secondary-1', secret_type: 'SECONDARY' }))
      t.match(reply, { device_id: p.deviceId, secret: 'sdk-secondary-1', secret_type: 'SECONDARY' })
    })

    t.test('the SDK reads our errors: code, message and the X-Request-Id', async (t) => {
      const notFound = await sdkFailure(t, derivedClient(endpoint, p).sendRequest(resetSecretRequest('no-such-device', {})))
      t.match(notFound, { httpStatusCode: 404, errorCode: 'IOTDA.014000', errorMsg: /device does not exist/, requestId: /^[0-9a-f-]{36}$/ })
      const invalid = await sdkFailure(t, derivedClient(endpoint, p).sendRequest(resetSecretRequest(p.deviceId, { secret: 'short' })))
      t.match(invalid, { httpStatusCode: 400, errorCode: 'IOTDA.000006' })
      const wrongSk = await sdkFailure(t, derivedClient(endpoint, p, 'not-the-secret-key').sendRequest(resetSecretRequest(p.deviceId, {})))
      t.match(wrongSk, { httpStatusCode: 401, errorCode: 'IOTDA.000002' })
      const wrongInstance = await sdkFailure(t, derivedClient(endpoint, p).sendRequest(resetSecretRequest(p.deviceId, {}, { 'Instance-Id': 'inst-other' })))
      t.match(wrongInstance, { httpStatusCode: 403, errorCode: 'APIGW.0302' })
    })

    t.test('X-Auth-Token with fetch', async (t) => {
      const url = `${endpoint}/v5/iot/${p.projectId}/devices/${p.deviceId}/action?action_id=resetSecret`
      const ok = await fetch(url, { method: 'POST', headers: { 'x-auth-token': p.token, 'content-type': 'application/json' }, body: JSON.stringify({ secret: 'fetched_secret', force_disconnect: true }) })
      t.equal(ok.status, 200)
      t.same(await ok.json(), { device_id: p.deviceId, secret: 'fetched_secret', secret_type: 'PRIMARY' })
      const bare = await fetch(url, { method: 'POST', headers: { 'x-auth-token': p.token } })
      t.equal(bare.status, 200, 'no body, no content type')
      t.match(await bare.json(), { secret: /^[0-9a-f]{32}$/ })
      const other = await iotdaProject(app)
      const cross = await fetch(url, { method: 'POST', headers: { 'x-auth-token': other.token, 'content-type': 'application/json' }, body: '{}' })
      t.equal(cross.status, 403)
      t.equal((await cross.json()).error_code, 'APIGW.0302')
      t.match(cross.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
      const missing = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      t.equal(missing.status, 401)
      t.equal((await missing.json()).error_code, 'IOTDA.000002')
    })
  })
}
