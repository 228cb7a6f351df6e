import t from 'tap'
import fc from 'fast-check'
import type { StorageTarget } from '../../src/domain/target.js'
import { startStorageConfigResponder, type CredentialVendor, type GatewayLookup } from '../../src/mqtt/storage-config.js'
import type { MqttTransport } from '../../src/mqtt/transport.js'
import { captureLogger } from '../mqtt/storage-config-world.js'
import { CredentialService } from '../../src/credentials/service.js'

/**
 * Random payloads and topics through the storage_config_get responder's
 * message handler, in-process: it never throws, never rejects unhandled, and
 * every reply it publishes is the contract's reply (`storage_config_get` with
 * a numeric `data.result`) on the asking dock's reply topic.
 */
const RUNS = Number(process.env.STSGATE_FUZZ_RUNS ?? 4_000)
const TARGET: StorageTarget = {
  id: 't1', projectId: 'p1', version: 1, name: 't', provider: 'local', bucket: 'b', region: 'r',
  endpoint: 'oss.example.com', internalEndpoint: null, vpcEndpoint: null, durationSeconds: 3600, upstream: null
}

t.test(`${RUNS} random MQTT messages to the storage_config_get responder`, async (t) => {
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined
  const published: Array<{ topic: string, payload: string }> = []
  const transport: MqttTransport = {
    async subscribe (_filter, handler) { onMessage = handler },
    async publish (topic, payload) { published.push({ topic, payload: payload.toString() }) },
    async close () {}
  }
  const gateways: GatewayLookup = {
    async resolveForVend (sn) {
      if (sn !== 'DOCK1' && sn !== 'DOCK2') return undefined
      return { gateway: { sn, projectId: 'p1', targetId: 't1', objectKeyPrefix: `media/${sn}/`, subDevices: [], disabled: sn === 'DOCK2', createdAt: new Date() }, disabled: sn === 'DOCK2', target: TARGET }
    }
  }
  const credentials: CredentialVendor = {
    vend: async () => ({ accessKeyId: 'AK', secret: 'SK', securityToken: 'T', expiresAt: new Date(Date.now() + 3600_000), policy: '{}', fromCache: false, scopeKey: 'k' }),
    cacheFloorSeconds: (d) => new CredentialService({ providerFor: () => { throw new Error('never minted here') } }).cacheFloorSeconds(d)
  }
  const responder = await startStorageConfigResponder({ transport, gateways, credentials, config: { expireMarginSeconds: 300 }, logger: captureLogger(), replyWindowMs: 10 })
  t.teardown(() => responder.stop())

  const sn = fc.oneof(fc.constantFrom('DOCK1', 'DOCK2', 'UNKNOWN', '', '+', '#', 'a/b'), fc.string({ maxLength: 20 }))
  const topic = fc.oneof({ arbitrary: sn.map((s) => `thing/product/${s}/requests`), weight: 5 }, { arbitrary: fc.string({ maxLength: 40 }), weight: 1 })
  const nearRequest = fc.record({
    method: fc.oneof(fc.constant('storage_config_get'), fc.string({ maxLength: 10 }), fc.jsonValue()),
    tid: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.jsonValue()),
    bid: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.jsonValue()),
    timestamp: fc.oneof(fc.integer(), fc.string({ maxLength: 15 }), fc.double()),
    data: fc.oneof(fc.record({ module: fc.oneof(fc.constant(0), fc.integer(), fc.string(), fc.jsonValue()) }, { requiredKeys: [] }), fc.jsonValue())
  }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v)))
  const validRequest = fc.record({
    method: fc.constant('storage_config_get'), tid: fc.uuid(), bid: fc.uuid(), timestamp: fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 }),
    data: fc.record({ module: fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 3 })) })
  }).map((v) => Buffer.from(JSON.stringify(v)))
  const payload = fc.oneof(
    { arbitrary: validRequest, weight: 4 },
    { arbitrary: nearRequest, weight: 3 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), weight: 1 },
    { arbitrary: fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)), weight: 1 },
    { arbitrary: fc.constant(Buffer.alloc(70_000, 0x7b)), weight: 1 }
  )
  let cases = 0
  await fc.assert(fc.asyncProperty(topic, payload, async (tp, body) => {
    cases++
    const before = published.length
    onMessage!(tp, body)
    // Let the async answer (gateway lookup, vend, publish) run to the end.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    for (const reply of published.slice(before)) {
      const m = /^thing\/product\/([^/]+)\/requests_reply$/.exec(reply.topic)
      if (m === null || `thing/product/${m[1]}/requests` !== tp) throw new Error(`reply on ${reply.topic} for ${tp}`)
      const parsed = JSON.parse(reply.payload) as { method?: unknown, data?: { result?: unknown } }
      if (parsed.method !== 'storage_config_get' || typeof parsed.data?.result !== 'number') throw new Error(`not a contract reply: ${reply.payload.slice(0, 200)}`)
    }
  }), { numRuns: RUNS })
  await responder.stop()
  t.comment(`fuzz cases run: ${cases}; replies: ${published.length}; malformed dropped: ${JSON.stringify(responder.counters.malformed)}; results: ${JSON.stringify(responder.counters.results)}`)
  t.equal(cases, RUNS)
  t.ok(responder.counters.received >= RUNS - 1, 'every message reached the handler')
})
