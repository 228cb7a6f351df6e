import { TypeCompiler } from '@sinclair/typebox/compiler'
import { RequestEnvelope, STORAGE_CONFIG_GET, StorageConfigGetRequest, type StorageConfigGetRequestType } from '../../schemas/dji.js'
import { isSafeTopicLevel } from './topics.js'

/** Why a message on a `requests` topic was dropped without a reply. */
export type MalformedReason = 'too_large' | 'not_json' | 'no_method' | 'invalid_request' | 'bad_topic'

export type ParsedRequest =
  | { kind: 'storage_config_get', sn: string, request: StorageConfigGetRequestType }
  /** Another `requests` method: the operator's own server may answer it. */
  | { kind: 'other_method' }
  | { kind: 'malformed', reason: MalformedReason }

/** A storage_config_get request is ~150 bytes; anything near this is not one. */
export const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024

const envelope = TypeCompiler.Compile(RequestEnvelope)
const storageConfigGet = TypeCompiler.Compile(StorageConfigGetRequest)

/** `thing/product/{sn}/requests` → sn (one safe level, as the ACLs require), else undefined. */
export function requestTopicSn (topic: string): string | undefined {
  const m = /^thing\/product\/([^/]+)\/requests$/.exec(topic)
  const sn = m?.[1]
  return sn !== undefined && sn.length <= 64 && isSafeTopicLevel(sn) ? sn : undefined
}

export const replyTopic = (sn: string): string => `thing/product/${sn}/requests_reply`

/**
 * Sorts a message on `thing/product/+/requests` (docs/dji.md "3. The exchange").
 * Never throws: whatever arrives is one of the three kinds.
 */
export function parseStorageConfigRequest (topic: string, payload: Buffer, maxBytes = DEFAULT_MAX_REQUEST_BYTES): ParsedRequest {
  if (payload.length > maxBytes) return { kind: 'malformed', reason: 'too_large' }
  let body: unknown
  try {
    body = JSON.parse(payload.toString('utf8'))
  } catch {
    return { kind: 'malformed', reason: 'not_json' }
  }
  if (!envelope.Check(body)) return { kind: 'malformed', reason: 'no_method' }
  if (body.method !== STORAGE_CONFIG_GET) return { kind: 'other_method' }
  if (!storageConfigGet.Check(body)) return { kind: 'malformed', reason: 'invalid_request' }
  const sn = requestTopicSn(topic)
  if (sn === undefined) return { kind: 'malformed', reason: 'bad_topic' }
  return { kind: 'storage_config_get', sn, request: body }
}

/** A short, printable, log-safe start of a payload (never a dump). */
export function payloadExcerpt (payload: Buffer, max = 48): string {
  const text = payload.subarray(0, max).toString('latin1').replace(/[^\x20-\x7e]/g, '.')
  return payload.length > max ? `${text}…` : text
}
