import t from 'tap'
import { embeddedIpv4, guardedLookup, isForbiddenAddress, type Lookup } from '../../src/providers/address-guard.js'
import { checkUpstreamEndpoint } from '../../src/providers/endpoint.js'
import { createProvider } from '../../src/providers/create-provider.js'
import { renderPolicy } from '../../src/credentials/policy.js'
import type { StorageTarget } from '../../src/domain/target.js'
import { testMasterKey } from '../helpers/store.js'
import { makeScope, makeTarget } from '../credentials/scope-fixtures.js'
import { startFakeAwsSts } from '../fakes/aws-sts.js'
import { startFakeAliyunSts } from '../fakes/aliyun-sts.js'
import { startFakeHuaweiIam } from '../fakes/huawei-iam.js'

/** Every spelling of a metadata or link-local address the issue and its neighbours name. */
const FORBIDDEN_SPELLINGS = [
  '[::ffff:100.100.100.200]', '[::ffff:169.254.169.254]', '[::169.254.169.254]', '[64:ff9b::a9fe:a9fe]',
  '[::ffff:a9fe:a9fe]', '[0:0:0:0:0:ffff:169.254.169.254]', '[::a9fe:a9fe]', '[64:ff9b::169.254.169.254]',
  '[64:ff9b::6464:64c8]', '[64:ff9b:1:a9fe:a9fe::]', '[2002:a9fe:a9fe::1]', '[::ffff:0.0.0.0]', '[::]',
  '169.254.169.254', '0xA9FEA9FE', '2852039166', '0251.0376.0251.0376', '100.100.100.200', '169.254.0.23', '0.0.0.0',
  '[fe80::1]', '[FEBF::1]', '[fd00:ec2::254]', 'metadata.google.internal'
]
const ALLOWED_SPELLINGS = ['127.0.0.1', '[::1]', '[::ffff:10.0.0.1]', '[64:ff9b::a00:1]', '10.0.0.5', 'minio.internal', '[2001:db8::1]', '100.100.100.201']

t.test('target creation: every spelling of a metadata or link-local address is refused, even with custom upstreams', async (t) => {
  for (const host of FORBIDDEN_SPELLINGS) {
    t.throws(() => checkUpstreamEndpoint(`https://${host}/`, { allowCustom: true }), { kind: 'misconfigured', code: 'upstream_endpoint_refused' }, host)
  }
  for (const host of ALLOWED_SPELLINGS) {
    t.equal(checkUpstreamEndpoint(`http://${host}:9000`, { allowCustom: true }).protocol, 'http:', host)
  }
})

t.test('isForbiddenAddress normalises mapped, compatible, NAT64 and 6to4 forms', async (t) => {
  t.equal(embeddedIpv4('::ffff:a9fe:a9fe'), '169.254.169.254')
  t.equal(embeddedIpv4('::169.254.169.254'), '169.254.169.254')
  t.equal(embeddedIpv4('64:ff9b::a9fe:a9fe'), '169.254.169.254')
  t.equal(embeddedIpv4('2002:6464:64c8::'), '100.100.100.200')
  t.equal(embeddedIpv4('::1'), undefined, 'loopback is not an IPv4-compatible address')
  t.equal(embeddedIpv4('2001:db8::1'), undefined)
  t.equal(embeddedIpv4('1:2:3:4:5:6:7:8:9'), undefined, 'not an address')
  for (const a of ['::ffff:169.254.169.254', '::FFFF:A9FE:A9FE', '64:ff9b::169.254.169.254', 'fe80::1%eth0', '[fe80::1]', '169.254.1.1']) {
    t.equal(isForbiddenAddress(a), true, a)
  }
  for (const a of ['::ffff:10.0.0.1', '::1', '127.0.0.1', '2001:db8::1', 'example.com', '']) t.equal(isForbiddenAddress(a), false, a)
})

/** A resolver from a table, as a test's stand-in for DNS. */
const table = (answers: Record<string, string[]>): Lookup & { asked: string[] } => {
  const asked: string[] = []
  const lookup = ((hostname: string, _options: object, callback: Parameters<Lookup>[2]) => {
    asked.push(hostname)
    const list = answers[hostname]
    if (list === undefined) return callback(Object.assign(new Error(`no such name ${hostname}`), { code: 'ENOTFOUND' }), [])
    callback(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })))
  }) as Lookup & { asked: string[] }
  lookup.asked = asked
  return lookup
}

t.test('guardedLookup refuses a name when any answer is forbidden, and passes the rest through', async (t) => {
  const resolve = table({ 'ok.test': ['127.0.0.1'], 'trap.test': ['127.0.0.1', '::ffff:a9fe:a9fe'] })
  const guarded = guardedLookup(resolve)
  const ask = (name: string, all: boolean) => new Promise<unknown>((res, rej) => guarded(name, { all }, (err, address, family) => err === null ? res(all ? address : [address, family]) : rej(err)))
  t.same(await ask('ok.test', false), ['127.0.0.1', 4])
  t.same(await ask('ok.test', true), [{ address: '127.0.0.1', family: 4 }])
  await t.rejects(ask('trap.test', false), { code: 'EADDRNOTALLOWED' })
  await t.rejects(ask('nowhere.test', false), { code: 'ENOTFOUND' })
})

t.test('every provider checks every resolved address when it connects', async (t) => {
  const awsKeys = { accessKeyId: 'AKIAFAKEFAKEFAKE0001', secretAccessKey: 'fake/secret+aws/0123456789abcdefghij' }
  const aliyunKeys = { accessKeyId: 'LTAI5tFakeAccessKey', accessKeySecret: 'fake-secret-aliyun-0123456789' }
  const huaweiKeys = { accessKeyId: 'HPUAFAKEFAKE0001', secretAccessKey: 'fake-huawei-secret-0123456789' }
  const aws = await startFakeAwsSts(awsKeys)
  const aliyun = await startFakeAliyunSts(aliyunKeys)
  const huawei = await startFakeHuaweiIam(huaweiKeys)
  t.teardown(() => Promise.all([aws.close(), aliyun.close(), huawei.close()]))
  const traps = ['169.254.169.254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '::a9fe:a9fe', '100.100.100.200', 'fe80::1']
  const resolve = table({
    'sts.safe.test': ['127.0.0.1'],
    ...Object.fromEntries(traps.map((address, i) => [`sts.trap${i}.test`, [address]]))
  })
  const viaName = (url: string, name: string): string => url.replace('127.0.0.1', name)
  const targets: Array<[string, (name: string) => StorageTarget, () => number]> = [
    ['aws', (name) => makeTarget({ provider: 'aws', region: 'eu-west-1', upstream: { role_arn: 'arn:aws:iam::123456789012:role/r', access_key_id: awsKeys.accessKeyId, secret_access_key: awsKeys.secretAccessKey, sts_endpoint: viaName(aws.url, name) } }), () => aws.calls.length],
    ['aliyun', (name) => makeTarget({ provider: 'aliyun', upstream: { role_arn: 'acs:ram::1:role/r', access_key_id: aliyunKeys.accessKeyId, access_key_secret: aliyunKeys.accessKeySecret, sts_endpoint: viaName(aliyun.url, name) } }), () => aliyun.calls.length],
    ['huawei', (name) => makeTarget({ provider: 'huawei', region: 'cn-north-4', upstream: { agency_name: 'a', domain_name: 'd', access_key_id: huaweiKeys.accessKeyId, secret_access_key: huaweiKeys.secretAccessKey, iam_endpoint: viaName(huawei.url, name) } }), () => huawei.calls.length]
  ]
  for (const [provider, target, calls] of targets) {
    const deps = { masterKey: testMasterKey(), allowCustomUpstreams: true, timeoutMs: 2000, resolve }
    const mint = (name: string) => {
      const scope = makeScope({ target: target(name), resource: { kind: 'prefix', prefix: 'media/' }, actions: ['put'], durationSeconds: 900 })
      return createProvider(scope.target, deps).mint(scope, renderPolicy(scope))
    }
    // Positive control: the provider really resolves through the given resolver (sts.safe.test exists nowhere else).
    const credential = await mint('sts.safe.test')
    t.ok(credential.accessKeyId.length > 0, `${provider}: a name resolving to an allowed address mints`)
    t.equal(calls(), 1, `${provider}: through the fake`)
    for (let i = 0; i < traps.length; i++) {
      await t.rejects(mint(`sts.trap${i}.test`), { kind: 'unavailable', code: 'upstream_unavailable', message: /EADDRNOTALLOWED/ }, `${provider}: a name resolving to ${traps[i]} is refused at connect time`)
    }
    t.equal(calls(), 1, `${provider}: no request reached anything for the trapped names`)
  }
  t.ok(resolve.asked.filter((name) => name.startsWith('sts.trap')).length >= traps.length * 3, 'every trapped name was resolved by the guard')
})

t.test('the admin API refuses the issue\'s spellings when a target is created, with custom upstreams allowed', async (t) => {
  const { buildTestApp } = await import('../helpers/app.js')
  const app = await buildTestApp(t, { env: { STSGATE_ALLOW_CUSTOM_UPSTREAMS: '1' } })
  const { project_id: projectId } = (await app.admin('POST', '/projects', { name: 'ssrf' })).body
  for (const host of ['[::ffff:100.100.100.200]', '[::ffff:169.254.169.254]', '[::169.254.169.254]', '[64:ff9b::a9fe:a9fe]']) {
    const res = await app.admin('POST', `/projects/${projectId}/targets`, {
      name: 'ssrf', provider: 'aws', bucket: 'media-bucket', region: 'eu-west-1', endpoint: 's3.example.test',
      upstream: { role_arn: 'arn:aws:iam::123456789012:role/r', access_key_id: 'AKIAFAKE', secret_access_key: 'secret', sts_endpoint: `https://${host}` }
    })
    t.equal(res.status, 400, host)
    t.equal(res.body.error, 'upstream_endpoint_refused', `${host}: ${JSON.stringify(res.body)}`)
  }
  t.same((await app.admin('GET', `/projects/${projectId}/targets`)).body.targets, [], 'nothing was created')
})
