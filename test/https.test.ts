import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { Agent as HttpsAgent } from 'node:https'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import mqtt from 'mqtt'
import { Agent, fetch } from 'undici'
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'
import { deviceLogin } from './mqtt/helpers.js'
import { randomSn, VENDOR_EXAMPLE_REQUEST } from './mqtt/storage-config-world.js'
import { freePort } from './helpers/net.js'

/**
 * STSGATE_TLS_CERT/STSGATE_TLS_KEY end to end: every contract over TLS with
 * its real vendor client, each given the test CA (verification stays on),
 * and the same clients refused when they do not trust it.
 */

const require = createRequire(import.meta.url)
const { ROAClient } = require('@alicloud/pop-core') as { ROAClient: new (config: object) => { request: (...args: unknown[]) => Promise<any> } }
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as { ClientBuilder: any }
const sdkCore = require('@huaweicloud/huaweicloud-sdk-core') as { BasicCredentials: any, Region: any }

const ADMIN_TOKEN = 'https-test-admin-token-0123456789abcdef'

/** A self-signed certificate for 127.0.0.1 and localhost; it is its own CA. */
async function selfSigned (dir: string): Promise<{ certFile: string, keyFile: string, ca: Buffer }> {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'])
  return { certFile, keyFile, ca: await readFile(certFile) }
}


/** Whether a client gets a CONNACK within 3 s; it is ended either way (a plaintext client at a TLS port just waits). */
async function connectOutcome (url: string, opts: mqtt.IClientOptions): Promise<'connected' | 'failed'> {
  const client = mqtt.connect(url, { ...opts, reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4 })
  client.on('error', () => {})
  const outcome = await new Promise<'connected' | 'failed'>((resolve) => {
    const timer = setTimeout(() => resolve('failed'), 3000)
    client.once('connect', () => { clearTimeout(timer); resolve('connected') })
    client.once('close', () => { clearTimeout(timer); resolve('failed') })
  })
  await client.endAsync(true)
  return outcome
}

t.test('with STSGATE_TLS_CERT/KEY every contract answers over TLS to its vendor client', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stsgate-tls-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { certFile, keyFile, ca } = await selfSigned(dir)
  const mqttPort = await freePort()
  const server = await startServer(loadConfig({
    STSGATE_DATA_DIR: dir, STSGATE_PORT: '0', STSGATE_MQTT_PORT: String(mqttPort), STSGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    STSGATE_LOG_LEVEL: 'warn', STSGATE_TLS_CERT: certFile, STSGATE_TLS_KEY: keyFile
  }), { logStream: new Writable({ write (_c, _e, done) { done() } }) })
  t.teardown(() => server.close())
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const endpoint = server.url

  const trusting = new Agent({ connect: { ca } })
  t.teardown(() => trusting.close())
  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${endpoint}/admin/v1${path}`, {
      method, dispatcher: trusting,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return await res.json()
  }
  const { project_id: projectId } = await admin('POST', '/projects', { name: 'tls' })
  const key = await admin('POST', `/projects/${projectId}/access-keys`)
  const target = await admin('POST', `/projects/${projectId}/targets`, {
    name: 'dev', provider: 'local', bucket: 'media-bucket', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com'
  })
  await admin('PUT', `/projects/${projectId}/bindings`, { edas: { target_id: target.target_id }, workspace: { target_id: target.target_id } })
  const device = await admin('POST', `/projects/${projectId}/devices`, { device_id: 'tls-dev-1', secret: 'tls_device_secret1' })
  const sn = randomSn()
  const gateway = await admin('POST', `/projects/${projectId}/gateways`, { sn, target_id: target.target_id })

  t.test('EDAS through @alicloud/pop-core ROAClient, given the CA', async (t) => {
    const client = new ROAClient({ accessKeyId: key.access_key_id, accessKeySecret: key.secret_access_key, endpoint, apiVersion: '2017-08-01', opts: { ca } })
    const reply = await client.request('GET', '/pop/v5/package_storage_credential', {}, '', {}, { timeout: 5000 })
    t.match(reply, { Code: 200, Credential: { AccessKeyId: String, AccessKeySecret: String, SecurityToken: String, Bucket: 'media-bucket', KeyPrefix: `release-pkg/${projectId}/` } })

    const untrusting = new ROAClient({ accessKeyId: key.access_key_id, accessKeySecret: key.secret_access_key, endpoint, apiVersion: '2017-08-01' })
    await t.rejects(untrusting.request('GET', '/pop/v5/package_storage_credential', {}, '', {}, { timeout: 5000 }),
      { code: /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/ }, 'without the CA the certificate is refused: verification is on')
  })

  const huawei = (derivedService: string | undefined, trust = true): any => {
    const credential = new sdkCore.BasicCredentials().withAk(key.access_key_id).withSk(key.secret_access_key).withProjectId(projectId)
    // The SDK core passes axiosRequestConfig to axios: an https.Agent carrying the CA.
    const options = trust ? { axiosRequestConfig: { httpsAgent: new HttpsAgent({ ca }) } } : {}
    const builder = new ClientBuilder((c: unknown) => c).withOptions(options)
    if (derivedService === undefined) return builder.withCredential(credential).withEndpoint(endpoint).build()
    return builder.withCredential(credential.withDerivedPredicate((r: unknown) => sdkCore.BasicCredentials.getDefaultDerivedPredicate(r)))
      .withRegion(new sdkCore.Region('cn-north-4', endpoint)).withDerivedAuthServiceName(derivedService).build()
  }

  t.test('Workspace through the Huawei SDK core (plain and derived AK/SK), given the CA', async (t) => {
    const request = {
      method: 'POST', url: '/v1/{project_id}/app-warehouse/action/authorize', contentType: 'application/json',
      pathParams: { project_id: projectId }, queryParams: {}, headers: {}, data: { app_file_name: 'Postman.exe' }
    }
    for (const derived of [undefined, 'workspace']) {
      const reply = await huawei(derived).sendRequest(request)
      t.equal(reply.httpStatusCode, 200)
      t.match(reply, { bucket_name: 'media-bucket', directory: `file/${projectId}/Postman.exe`, ak: /\S{8,}/, sk: /\S{8,}/, security_token: /\S{8,}/ })
    }
    await t.rejects(huawei(undefined, false).sendRequest(request), 'without the CA the SDK cannot connect')
  })

  t.test('IoTDA ResetDeviceSecret through the Huawei SDK core (derived iotdm), then the device logs in over MQTTS', async (t) => {
    const reply = await huawei('iotdm').sendRequest({
      method: 'POST', url: '/v5/iot/{project_id}/devices/{device_id}/action', contentType: 'application/json',
      pathParams: { device_id: device.device_id }, queryParams: { action_id: 'resetSecret' }, headers: {},
      data: { secret: 'tls_new_secret_01', force_disconnect: false }
    })
    t.equal(reply.httpStatusCode, 200)
    t.match(reply, { device_id: 'tls-dev-1', secret: 'tls_new_secret_01' })
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${mqttPort}`, {
      ...deviceLogin('tls-dev-1', 'tls_new_secret_01', '2025060112', 0), ca, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000
    })
    t.ok(client.connected, 'the new secret logs in over TLS')
    await client.endAsync(true)
  })

  t.test('DJI storage_config_get: a dock on mqtts:// with the CA', async (t) => {
    const dock = await mqtt.connectAsync(`mqtts://127.0.0.1:${mqttPort}`, {
      clientId: sn, username: gateway.username, password: gateway.password, ca, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000
    })
    t.teardown(() => dock.endAsync(true))
    const reply = new Promise<any>((resolve) => dock.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()))))
    await dock.subscribeAsync(`thing/product/${sn}/requests_reply`, { qos: 1 })
    await dock.publishAsync(`thing/product/${sn}/requests`, VENDOR_EXAMPLE_REQUEST, { qos: 1 })
    t.match(await reply, { method: 'storage_config_get', data: { result: 0, output: { bucket: 'media-bucket', object_key_prefix: `media/${sn}/` } } })

    const login = { clientId: sn, username: gateway.username, password: gateway.password }
    t.equal(await connectOutcome(`mqtt://127.0.0.1:${mqttPort}`, login), 'failed', 'plaintext MQTT is not served beside MQTTS')
    t.equal(await connectOutcome(`mqtts://127.0.0.1:${mqttPort}`, login), 'failed', 'a dock that does not trust the certificate cannot connect')
  })
})
