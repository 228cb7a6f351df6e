import t from 'tap'
import { DomainError } from '../../src/errors.js'
import { endpointUrl } from '../../src/domain/endpoint.js'
import type { StorageTarget } from '../../src/domain/target.js'
import type { Gateway } from '../../src/store/gateways.js'
import { RecentReplies } from '../../src/mqtt/recent-replies.js'
import { GATEWAY_ACTIONS, REQUESTS_FILTER, startStorageConfigResponder, type CredentialVendor, type GatewayLookup } from '../../src/mqtt/storage-config.js'
import { parseStorageConfigRequest, payloadExcerpt, requestTopicSn } from '../../src/mqtt/storage-config-request.js'
import { RESULT, resultForError } from '../../src/mqtt/storage-config-result.js'
import type { MqttTransport } from '../../src/mqtt/transport.js'
import { captureLogger, request } from './storage-config-world.js'
import { CredentialService } from '../../src/credentials/service.js'

/**
 * The responder's decisions without a broker or a store: an in-memory
 * transport, a gateway table and a scripted credential vendor, on a fixed clock.
 */
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)

function memoryTransport (options: { failPublish?: () => boolean } = {}) {
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined
  const published: Array<{ topic: string, payload: string, qos: number | undefined }> = []
  const subscribed: string[] = []
  const transport: MqttTransport = {
    async subscribe (filter, handler) { subscribed.push(filter); onMessage = handler },
    async publish (topic, payload, qos) {
      if (options.failPublish?.() === true) throw new Error('broker gone')
      published.push({ topic, payload: payload.toString(), qos })
    },
    async close () {}
  }
  return { transport, published, subscribed, deliver: (topic: string, payload: string | Buffer) => onMessage!(topic, Buffer.from(payload)) }
}

const target = (over: Partial<StorageTarget> = {}): StorageTarget => (({
  id: 't1', projectId: 'p1', version: 1, name: 't', provider: 'aws', bucket: 'b', region: 'us-east-1',
  endpoint: 'http://minio.internal:9000/', internalEndpoint: null, vpcEndpoint: null, durationSeconds: 3600, upstream: null, ...over
}) as StorageTarget)
const gateway = (sn: string): Gateway => ({ sn, projectId: 'p1', targetId: 't1', objectKeyPrefix: `media/${sn}/`, subDevices: [], disabled: false, createdAt: new Date(NOW) })

/** The credential service's own cache floor, for fakes that stand in for its vending. */
const cacheFloorSeconds = (d: number): number => new CredentialService({ providerFor: () => { throw new Error('never minted here') } }).cacheFloorSeconds(d)

function world (targets: Record<string, StorageTarget>, vend: CredentialVendor['vend']) {
  const gateways: GatewayLookup = {
    async resolveForVend (sn) {
      if (sn === 'BROKEN') throw new Error('connection refused')
      if (sn === 'WEIRD') throw new DomainError('upstream_denied', 'x')
      const tg = targets[sn]
      return tg === undefined ? undefined : { gateway: gateway(sn), disabled: false, target: tg }
    }
  }
  const calls: Array<Parameters<CredentialVendor['vend']>> = []
  const credentials: CredentialVendor = { vend: async (...args) => { calls.push(args); return await vend(...args) }, cacheFloorSeconds }
  return { gateways, credentials, calls }
}

const credential = (expiresAt: Date) => ({ accessKeyId: 'AK', secret: 'SK', securityToken: 'TOKEN', expiresAt, policy: '{}', fromCache: false, scopeKey: 'k' })

const settle = () => new Promise((resolve) => setTimeout(resolve, 10))

t.test('an aws target: provider aws, the scope and the minimum asked of the cache, expire from the fixed clock', async (t) => {
  const m = memoryTransport()
  const w = world({ D1: target() }, async () => credential(new Date(NOW + 3600_000)))
  const logger = captureLogger()
  const r = await startStorageConfigResponder({ transport: m.transport, gateways: w.gateways, credentials: w.credentials, config: { expireMarginSeconds: 300 }, logger, now: () => NOW })
  t.same(m.subscribed, [REQUESTS_FILTER], 'subscribes without a share prefix: the external transport adds $share/stsgate/')
  m.deliver('thing/product/D1/requests', request('a'))
  await settle()
  t.equal(m.published.length, 1)
  t.match(m.published[0], { topic: 'thing/product/D1/requests_reply', qos: 1 })
  const reply = JSON.parse(m.published[0]!.payload)
  t.same(reply, {
    method: 'storage_config_get', tid: 'a', bid: 'bid-a', timestamp: NOW,
    data: {
      result: 0,
      output: {
        bucket: 'b', endpoint: 'http://minio.internal:9000', object_key_prefix: 'media/D1/', provider: 'aws', region: 'us-east-1',
        credentials: { access_key_id: 'AK', access_key_secret: 'SK', expire: 3300, security_token: 'TOKEN' }
      }
    }
  })
  const [scope, options] = w.calls[0]!
  t.same(scope.actions, GATEWAY_ACTIONS)
  t.same(scope.resource, { kind: 'prefix', prefix: 'media/D1/' })
  t.equal(scope.durationSeconds, 3600)
  t.same(options, { minRemainingSeconds: 600, principal: 'gateway:D1', contract: 'dji' }, 'margin 300 + the cache floor min(300, 3600/4); the dock named for the vend audit')
  t.same(r.counters.results, { 0: 1 })
  t.notOk(JSON.stringify(logger.lines).includes('SK'), 'no secret in the logs')
})

t.test('expire never goes below 0 when the clock is past the expiry', async (t) => {
  const m = memoryTransport()
  const w = world({ D1: target({ provider: 'aliyun' }) }, async () => credential(new Date(NOW + 100_000)))
  await startStorageConfigResponder({ transport: m.transport, gateways: w.gateways, credentials: w.credentials, config: { expireMarginSeconds: 300 }, logger: captureLogger(), now: () => NOW })
  m.deliver('thing/product/D1/requests', request('a'))
  await settle()
  t.match(JSON.parse(m.published[0]!.payload).data.output, { provider: 'ali', credentials: { expire: 0 } })
})

t.test('each failure has its own result code, and no output', async (t) => {
  let failure: unknown
  const m = memoryTransport()
  const w = world({
    D1: target(),
    SHORT: target({ durationSeconds: 900 }),
    OBS: target({ provider: 'huawei' })
  }, async () => { throw failure })
  const logger = captureLogger()
  await startStorageConfigResponder({ transport: m.transport, gateways: w.gateways, credentials: w.credentials, config: { expireMarginSeconds: 700 }, logger, now: () => NOW })
  const ask = async (sn: string, tid: string): Promise<unknown> => {
    m.deliver(`thing/product/${sn}/requests`, request(tid))
    await settle()
    const reply = JSON.parse(m.published.at(-1)!.payload)
    t.equal(reply.tid, tid)
    t.notOk('output' in reply.data)
    return reply.data.result
  }
  t.equal(await ask('SHORT', 's'), RESULT.misconfigured, 'margin + floor ≥ duration is refused for that gateway')
  t.match(logger.lines.at(-1), { level: 'error', msg: /STSGATE_DJI_EXPIRE_MARGIN_SECONDS/ })
  t.equal(w.calls.length, 0, 'without asking the cache')
  t.equal(await ask('OBS', 'o'), RESULT.misconfigured, 'a provider DJI docks do not know')
  t.equal(await ask('BROKEN', 'b'), RESULT.upstreamUnavailable, 'the store failing')
  t.equal(await ask('WEIRD', 'w'), RESULT.misconfigured)
  t.equal(await ask('NOPE', 'n'), RESULT.unknownGateway)
  const cases: Array<[unknown, number]> = [
    [new DomainError('upstream_unavailable', 'down'), RESULT.upstreamUnavailable],
    [new DomainError('mint_budget_exhausted', 'slow down'), RESULT.throttled],
    [new DomainError('upstream_denied', 'denied'), RESULT.misconfigured],
    [new DomainError('invalid_object_name', 'bad prefix'), RESULT.misconfigured],
    [new DomainError('project_mismatch', 'no'), RESULT.internal],
    [new TypeError('a bug'), RESULT.internal]
  ]
  for (const [i, [err, code]] of cases.entries()) {
    failure = err
    t.equal(await ask('D1', `v${i}`), code, `${String(err)} → ${code}`)
  }
  t.match(logger.lines.at(-1), { level: 'error', msg: /vending failed/ }, 'our own bugs are logged as errors')
})

t.test('a failed publish is counted and logged; the redelivery gets the remembered reply', async (t) => {
  let fail = true
  const m = memoryTransport({ failPublish: () => fail })
  const w = world({ D1: target() }, async () => credential(new Date(NOW + 3600_000)))
  const logger = captureLogger()
  const r = await startStorageConfigResponder({ transport: m.transport, gateways: w.gateways, credentials: w.credentials, config: { expireMarginSeconds: 300 }, logger, now: () => NOW })
  const payload = request('p')
  m.deliver('thing/product/D1/requests', payload)
  await settle()
  t.equal(r.counters.publishFailures, 1)
  t.match(logger.lines.at(-1), { level: 'error', msg: /publishing the reply failed/ })
  fail = false
  m.deliver('thing/product/D1/requests', payload)
  await settle()
  t.equal(m.published.length, 1)
  t.equal(w.calls.length, 1, 'one vend')
  t.equal(r.counters.repeats, 1)
})

t.test('a throwing answer is logged, never crashes, and is not remembered', async (t) => {
  const m = memoryTransport()
  const w = world({ D1: target() }, async () => ({ ...credential(new Date()), expiresAt: undefined as unknown as Date }))
  const logger = captureLogger()
  await startStorageConfigResponder({ transport: m.transport, gateways: w.gateways, credentials: w.credentials, config: { expireMarginSeconds: 300 }, logger, now: () => NOW })
  m.deliver('thing/product/D1/requests', request('x'))
  m.deliver('thing/product/D1/requests', request('x'))
  await settle()
  m.deliver('thing/product/D1/requests', request('x'))
  await settle()
  t.equal(m.published.length, 0)
  t.equal(logger.lines.filter((l) => l.msg.includes('responder failed')).length, 3)
  t.equal(w.calls.length, 2, 'the first delivery and its concurrent repeat shared one try; the later one tried again')
})

t.test('stop: waits for replies under way and answers nothing more', async (t) => {
  const m = memoryTransport()
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const w = world({ D1: target() }, async () => { await gate; return credential(new Date(NOW + 3600_000)) })
  const r = await startStorageConfigResponder({ transport: m.transport, gateways: w.gateways, credentials: w.credentials, config: { expireMarginSeconds: 300 }, logger: captureLogger(), now: () => NOW })
  m.deliver('thing/product/D1/requests', request('slow'))
  await settle()
  let stopped = false
  const stopping = r.stop().then(() => { stopped = true })
  await settle()
  t.equal(stopped, false, 'still waiting for the vend')
  release()
  await stopping
  t.equal(m.published.length, 0, 'a reply finished after stop is not published')
  m.deliver('thing/product/D1/requests', request('late'))
  await settle()
  t.equal(r.counters.received, 1, 'deliveries after stop are ignored')
})

t.test('parsing: topics, sizes and excerpts', async (t) => {
  t.equal(requestTopicSn('thing/product/DOCK_1-a/requests'), 'DOCK_1-a')
  t.equal(requestTopicSn(`thing/product/${'A'.repeat(65)}/requests`), undefined, 'longer than any gateway sn')
  t.equal(requestTopicSn('thing/product/a$b/requests'), undefined)
  t.equal(requestTopicSn('thing/product/D1/requests_reply'), undefined)
  t.same(parseStorageConfigRequest(`thing/product/${'A'.repeat(65)}/requests`, Buffer.from(request('x'))), { kind: 'malformed', reason: 'bad_topic' })
  t.same(parseStorageConfigRequest('thing/product/D1/requests', Buffer.from(request('x')), 10), { kind: 'malformed', reason: 'too_large' })
  t.same(parseStorageConfigRequest('thing/product/D1/requests', Buffer.from('{"method":"config"}')), { kind: 'other_method' })
  t.match(parseStorageConfigRequest('thing/product/D1/requests', Buffer.from(JSON.stringify({ ...JSON.parse(request('x')), timestamp: 1234567890123, extra: true }))),
    { kind: 'storage_config_get', sn: 'D1' }, 'a numeric timestamp and extra fields are fine')
  t.equal(payloadExcerpt(Buffer.from('ab\x00\ncd')), 'ab..cd')
  t.equal(payloadExcerpt(Buffer.from('x'.repeat(100)), 10), `${'x'.repeat(10)}…`)
  t.equal(endpointUrl('oss-cn-hangzhou.aliyuncs.com'), 'https://oss-cn-hangzhou.aliyuncs.com')
  t.equal(endpointUrl('https://s3.amazonaws.com/'), 'https://s3.amazonaws.com')
  t.equal(resultForError('not even an error'), RESULT.internal)
})

t.test('RecentReplies: keyed by (sn, tid), bounded in time and size', async (t) => {
  let now = 0
  const recent = new RecentReplies<string>(60_000, 2, () => now)
  let answers = 0
  const answer = async (): Promise<string> => `reply-${++answers}`
  t.equal(await recent.remembered('A', 't1', answer).reply, 'reply-1')
  t.match(recent.remembered('A', 't1', answer), { repeat: true })
  t.equal(await recent.remembered('B', 't1', answer).reply, 'reply-2', 'another sn, same tid: its own answer')
  t.equal(await recent.remembered('C', 't1', answer).reply, 'reply-3')
  t.equal(recent.size, 2, 'the oldest is dropped beyond the size bound')
  t.equal(recent.remembered('A', 't1', answer).repeat, false, 'so A/t1 is answered anew')
  await settle()
  now = 60_000
  t.equal(recent.remembered('C', 't1', answer).repeat, false, 'forgotten after the window')
  t.equal(recent.size, 1)
  t.equal(recent.remembered('["A","t1"]', '', answer).repeat, false, 'keys cannot be forged by concatenation')
  t.throws(() => new RecentReplies(0, 1, () => 0))
  t.throws(() => new RecentReplies(1, 0, () => 0))
})

t.test('20 000 malformed messages: every one counted, one warning per reason, then one per 10 s carrying how many were left out', async (t) => {
  let now = NOW
  const m = memoryTransport()
  const w = world({}, async () => credential(new Date(NOW + 3600_000)))
  const logger = captureLogger()
  const responder = await startStorageConfigResponder({ transport: m.transport, ...w, config: { expireMarginSeconds: 300 }, logger, now: () => now })
  t.teardown(() => responder.stop())
  for (let i = 0; i < 10_000; i++) m.deliver('thing/product/D1/requests', 'not json {')
  for (let i = 0; i < 10_000; i++) m.deliver('thing/product/D1/requests', '[]')
  t.equal(responder.counters.malformed.not_json, 10_000)
  t.equal(responder.counters.malformed.no_method, 10_000)
  const warns = () => logger.lines.filter((l) => l.level === 'warn')
  t.same(warns().map((l) => [l.obj.reason, l.obj.suppressed]), [['not_json', 0], ['no_method', 0]], 'the first of each reason')
  now += 9_999
  m.deliver('thing/product/D1/requests', 'not json {')
  t.equal(warns().length, 2, 'still within the interval')
  now += 1
  m.deliver('thing/product/D1/requests', 'not json {')
  t.same(warns().map((l) => [l.obj.reason, l.obj.suppressed]).at(-1), ['not_json', 10_000], 'the next line says how many were not logged')
  t.equal(responder.counters.malformed.not_json, 10_002)
})
