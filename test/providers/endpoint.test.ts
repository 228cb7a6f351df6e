import t from 'tap'
import { checkUpstreamEndpoint } from '../../src/providers/endpoint.js'
import { isForbiddenAddress as isLinkLocalOrMetadata } from '../../src/providers/address-guard.js'
import { classifyUpstreamStatus, safeCode } from '../../src/providers/upstream-failure.js'
import { parseExpiry, requireString, sessionName, withDeadline } from '../../src/providers/provider.js'
import { makeScope } from '../credentials/scope-fixtures.js'

t.test('vendor https endpoints pass; everything else needs allowCustom', async (t) => {
  for (const url of ['https://sts.aliyuncs.com', 'https://sts.cn-hangzhou.aliyuncs.com', 'https://sts.us-east-1.amazonaws.com',
    'https://sts.cn-north-1.amazonaws.com.cn', 'https://iam.myhuaweicloud.com', 'https://iam.cn-north-4.myhuaweicloud.com/']) {
    t.equal(checkUpstreamEndpoint(url, { allowCustom: false }).protocol, 'https:', url)
  }
  for (const url of ['http://sts.aliyuncs.com', 'https://evil.example', 'https://aliyuncs.com.evil.example', 'https://sts.aliyuncs.com.evil.example',
    'ftp://sts.aliyuncs.com', 'not a url', 'https://user:pw@sts.aliyuncs.com', 'https://sts.aliyuncs.com/?x=1', 'https://sts.aliyuncs.com/#f']) {
    t.throws(() => checkUpstreamEndpoint(url, { allowCustom: false }), { kind: 'misconfigured', code: 'upstream_endpoint_refused' }, url)
  }
  t.equal(checkUpstreamEndpoint('http://minio.internal:9000', { allowCustom: true }).host, 'minio.internal:9000')
  t.throws(() => checkUpstreamEndpoint('ftp://minio.internal', { allowCustom: true }), { code: 'upstream_endpoint_refused' })
})

t.test('link-local and metadata addresses are refused even with allowCustom', async (t) => {
  for (const url of ['http://169.254.169.254/latest/meta-data', 'http://169.254.1.1', 'http://0xA9FEA9FE/', 'http://[fe80::1]/',
    'http://[febf::1]/', 'http://[::ffff:169.254.169.254]/', 'http://100.100.100.200/', 'http://metadata.google.internal/',
    'http://[fd00:ec2::254]/', 'http://0.0.0.0:80/', 'http://metadata./']) {
    t.throws(() => checkUpstreamEndpoint(url, { allowCustom: true }), { code: 'upstream_endpoint_refused' }, url)
  }
  t.equal(isLinkLocalOrMetadata('::ffff:a9fe:a9fe'), true)
  t.equal(isLinkLocalOrMetadata('::ffff:a00:1'), false)
  t.equal(isLinkLocalOrMetadata('10.0.0.1'), false)
  t.equal(isLinkLocalOrMetadata('fe7f::1'), false)
  t.equal(isLinkLocalOrMetadata('example.com'), false)
})

t.test('failure classification', async (t) => {
  t.match(classifyUpstreamStatus('x', 429, ''), { kind: 'throttled', code: 'upstream_throttled' })
  t.match(classifyUpstreamStatus('x', 400, 'Throttling.User'), { kind: 'throttled' })
  t.match(classifyUpstreamStatus('x', 403, ''), { kind: 'misconfigured', code: 'upstream_denied' })
  t.match(classifyUpstreamStatus('x', 400, 'InvalidClientTokenId'), { code: 'upstream_denied' })
  t.match(classifyUpstreamStatus('x', 400, 'InvalidParameter.DurationSeconds'), { kind: 'misconfigured', code: 'upstream_rejected' })
  t.match(classifyUpstreamStatus('x', 503, 'ServiceUnavailable'), { kind: 'unavailable', code: 'upstream_unavailable' })
  t.equal(safeCode('Bad<script>\ncode'), 'Badscriptcode')
  t.equal(safeCode(42), '')
})

t.test('provider helpers', async (t) => {
  t.equal(sessionName(makeScope({ projectId: 'p' })), 'stsgate-p')
  t.equal(sessionName(makeScope(), 'x'), 'stsgate-x', 'too short names are padded to the 2-character minimum')
  t.equal(sessionName(makeScope({ projectId: 'y'.repeat(100) })).length, 64)
  t.equal(parseExpiry('x', new Date(5)).getTime(), 5)
  t.throws(() => parseExpiry('x', 'soon'), { code: 'upstream_unavailable' })
  t.throws(() => parseExpiry('x', 7), { code: 'upstream_unavailable' })
  t.throws(() => requireString('x', '', 'AccessKeyId'), { code: 'upstream_unavailable' })
  await t.rejects(withDeadline('x', 20, new Promise(() => {})), { code: 'upstream_unavailable' })
  t.equal(await withDeadline('x', 1000, Promise.resolve(3)), 3)
})
