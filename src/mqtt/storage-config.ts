import type { StorageConfigGetRequestType, StorageConfigGetReplyType, StorageConfigOutputType } from '../../schemas/dji.js'
import { MEDIA_MODULE, STORAGE_CONFIG_GET } from '../../schemas/dji.js'
import { isDomainError } from '../errors.js'
import { endpointUrl } from '../domain/endpoint.js'
import { scopeFor, type Scope, type StorageAction } from '../domain/scope.js'
import type { VendContext } from '../credentials/recorded-vending.js'
import type { VendedCredential } from '../credentials/service.js'
import type { ProviderName, StorageTarget } from '../domain/target.js'
import type { Gateway } from '../store/gateways.js'
import { sampledLog } from './sampled-log.js'
import { RecentReplies } from './recent-replies.js'
import { DEFAULT_MAX_REQUEST_BYTES, parseStorageConfigRequest, payloadExcerpt, replyTopic, type MalformedReason } from './storage-config-request.js'
import { RESULT, resultForError, type ResultCode } from './storage-config-result.js'
import type { MqttTransport } from './transport.js'

/**
 * The DJI Cloud API contract adapter, the MQTT counterpart of the route
 * plugins: the storage_config_get responder (docs/dji.md). A dock asks on
 * `thing/product/{sn}/requests` for temporary object-storage credentials and
 * gets them on `thing/product/{sn}/requests_reply`. Like the routes it builds
 * its scope with `scopeFor`, vends through the recorded vending seam and asks
 * the credential service for the cache floor it adds its margin to.
 */

export const REQUESTS_FILTER = 'thing/product/+/requests'

/** docs/dji.md "3. The exchange": object writes, reads (to resume) and multipart, since media files are large. */
export const GATEWAY_ACTIONS: readonly StorageAction[] = ['put', 'get', 'multipart']

/** docs/dji.md "3. The exchange": DJI docks know `ali` and `aws`; the local issuer poses as `ali`. */
const DJI_PROVIDER: Partial<Record<ProviderName, 'ali' | 'aws'>> = { local: 'ali', aliyun: 'ali', aws: 'aws' }

export interface GatewayLookup {
  resolveForVend (sn: string): Promise<{ gateway: Gateway, disabled: boolean, target: StorageTarget } | undefined>
}

/** The recorded vending seam (src/credentials/recorded-vending.ts), as the responder uses it. */
export interface CredentialVendor {
  vend (scope: Scope, context: VendContext): Promise<VendedCredential>
  /** The least lifetime a served credential has left, for a target duration (the credential service's own rule). */
  cacheFloorSeconds (durationSeconds: number): number
}

export interface ResponderLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export interface StorageConfigResponderOptions {
  transport: MqttTransport
  gateways: GatewayLookup
  credentials: CredentialVendor
  /** STSGATE_DJI_EXPIRE_MARGIN_SECONDS: subtracted from the remaining lifetime in `expire`. */
  config: { expireMarginSeconds: number }
  logger: ResponderLogger
  now?: () => number
  /** How long a (gateway sn, tid) is remembered for redeliveries. Default 60 s. */
  replyWindowMs?: number
  /** At most this many remembered replies. Default 10 000. */
  maxRememberedReplies?: number
  maxRequestBytes?: number
}

export interface StorageConfigCounters {
  /** Messages seen on `thing/product/+/requests`. */
  received: number
  /** Messages with another `method`, left to the operator's server. */
  otherMethods: number
  /** Dropped without a reply, by reason. */
  malformed: Record<MalformedReason, number>
  /** Replies published, by `data.result`. */
  results: Record<string, number>
  /** Redeliveries of a (gateway sn, tid) answered from the reply window. */
  repeats: number
  publishFailures: number
}

export interface StorageConfigResponder {
  readonly counters: StorageConfigCounters
  /** Stops answering and waits for replies under way. The transport stays open (its owner closes it). */
  stop (): Promise<void>
}

export async function startStorageConfigResponder (options: StorageConfigResponderOptions): Promise<StorageConfigResponder> {
  const { transport, gateways, credentials, logger } = options
  const margin = options.config.expireMarginSeconds
  const now = options.now ?? Date.now
  // Every malformed message is counted; one line per reason is logged every 10 s at most (docs/dji.md).
  const sampleMalformed = sampledLog(undefined, now)
  const maxBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  const recent = new RecentReplies<{ text: string, result: ResultCode }>(options.replyWindowMs ?? 60_000, options.maxRememberedReplies ?? 10_000, now)
  const counters: StorageConfigCounters = {
    received: 0, otherMethods: 0, repeats: 0, publishFailures: 0, results: {},
    malformed: { too_large: 0, not_json: 0, no_method: 0, invalid_request: 0, bad_topic: 0 }
  }
  const underway = new Set<Promise<void>>()
  let stopped = false

  interface Reply { text: string, result: ResultCode }
  const reply = (request: StorageConfigGetRequestType, data: StorageConfigGetReplyType['data'] & { result: ResultCode }, at = now()): Reply => {
    // Field order as in the vendor's example reply.
    const body: StorageConfigGetReplyType = { method: STORAGE_CONFIG_GET, tid: request.tid, bid: request.bid, timestamp: at, data }
    return { text: JSON.stringify(body), result: data.result }
  }
  const failure = (request: StorageConfigGetRequestType, result: Exclude<ResultCode, 0>): Reply => reply(request, { result })

  async function answer (sn: string, request: StorageConfigGetRequestType): Promise<Reply> {
    const log = { sn, tid: request.tid }
    if (request.data.module !== MEDIA_MODULE) {
      logger.info({ ...log, module: request.data.module }, 'storage_config_get for an unknown module')
      return failure(request, RESULT.unknownModule)
    }
    let found: Awaited<ReturnType<GatewayLookup['resolveForVend']>>
    try {
      found = await gateways.resolveForVend(sn)
    } catch (err) {
      logger.error({ ...log, err }, 'storage_config_get: gateway lookup failed')
      return failure(request, isDomainError(err) ? resultForError(err) : RESULT.upstreamUnavailable)
    }
    if (found === undefined) {
      logger.info(log, 'storage_config_get from an unknown gateway')
      return failure(request, RESULT.unknownGateway)
    }
    if (found.disabled) {
      logger.info(log, 'storage_config_get from a disabled gateway')
      return failure(request, RESULT.gatewayDisabled)
    }
    const { gateway, target } = found
    const provider = DJI_PROVIDER[target.provider]
    if (provider === undefined) {
      logger.error({ ...log, target_id: target.id, provider: target.provider }, 'storage_config_get: the gateway\'s target provider is not one DJI docks know (ali, aws)')
      return failure(request, RESULT.misconfigured)
    }
    // docs/dji.md "3. The exchange": ask for at least margin + floor, so that `expire` never drops below the floor;
    // a target whose duration cannot cover that is refused here, for this gateway only.
    const minRemainingSeconds = margin + credentials.cacheFloorSeconds(target.durationSeconds)
    if (minRemainingSeconds >= target.durationSeconds) {
      logger.error({ ...log, target_id: target.id, duration_seconds: target.durationSeconds, expire_margin_seconds: margin },
        `storage_config_get: the target's duration_seconds must exceed STSGATE_DJI_EXPIRE_MARGIN_SECONDS + the cache floor (${minRemainingSeconds} s)`)
      return failure(request, RESULT.misconfigured)
    }
    const scope = scopeFor({ target, prefix: gateway.objectKeyPrefix }, { projectId: gateway.projectId, actions: GATEWAY_ACTIONS })
    let credential: VendedCredential
    try {
      credential = await credentials.vend(scope, { minRemainingSeconds, principal: `gateway:${sn}`, contract: 'dji' })
    } catch (err) {
      const result = resultForError(err)
      // Domain messages are safe to log (errors.ts); anything else is our bug and gets the stack.
      if (isDomainError(err) && result !== RESULT.internal) logger.warn({ ...log, result, code: err.code, message: err.message }, 'storage_config_get: vending failed')
      else logger.error({ ...log, err }, 'storage_config_get: vending failed')
      return failure(request, result)
    }
    const at = now()
    const output: StorageConfigOutputType = {
      bucket: target.bucket,
      endpoint: endpointUrl(target.endpoint),
      object_key_prefix: gateway.objectKeyPrefix,
      provider,
      region: target.region,
      credentials: {
        access_key_id: credential.accessKeyId,
        access_key_secret: credential.secret,
        // Whole seconds left at reply time, minus the margin, so the dock asks again before it dies.
        expire: Math.max(0, Math.floor((credential.expiresAt.getTime() - at) / 1000) - margin),
        security_token: credential.securityToken
      }
    }
    logger.info({ ...log, from_cache: credential.fromCache, expire: output.credentials.expire }, 'storage_config_get answered')
    return reply(request, { result: RESULT.ok, output }, at)
  }

  async function respond (sn: string, request: StorageConfigGetRequestType): Promise<void> {
    const { reply: payload, repeat } = recent.remembered(sn, request.tid, () => answer(sn, request))
    if (repeat) counters.repeats++
    const { text, result } = await payload
    if (stopped) return
    try {
      await transport.publish(replyTopic(sn), text, 1)
    } catch (err) {
      counters.publishFailures++
      logger.error({ sn, tid: request.tid, err }, 'storage_config_get: publishing the reply failed')
      return
    }
    counters.results[result] = (counters.results[result] ?? 0) + 1
  }

  function onMessage (topic: string, payload: Buffer): void {
    if (stopped) return
    counters.received++
    const parsed = parseStorageConfigRequest(topic, payload, maxBytes)
    if (parsed.kind === 'other_method') { counters.otherMethods++; return }
    if (parsed.kind === 'malformed') {
      counters.malformed[parsed.reason]++
      // No payload dump: a short printable excerpt and the size only.
      sampleMalformed(parsed.reason, (suppressed) => logger.warn(
        { topic: topic.slice(0, 200), reason: parsed.reason, bytes: payload.length, excerpt: payloadExcerpt(payload), suppressed },
        'dropped a malformed message on a DJI requests topic (no reply)'))
      return
    }
    const done = respond(parsed.sn, parsed.request).catch((err: unknown) => {
      logger.error({ sn: parsed.sn, tid: parsed.request.tid, err }, 'storage_config_get: responder failed')
    })
    underway.add(done)
    void done.finally(() => underway.delete(done))
  }

  await transport.subscribe(REQUESTS_FILTER, onMessage)
  return {
    counters,
    async stop () {
      stopped = true
      await Promise.allSettled([...underway])
    }
  }
}
