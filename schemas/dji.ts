import { Type, type Static } from '@sinclair/typebox'

/**
 * DJI Cloud API `storage_config_get` ("Obtain Temporary Credential",
 * docs/dji.md "3. The exchange"): the dock publishes the request
 * on `thing/product/{gateway_sn}/requests`, the server answers on
 * `thing/product/{gateway_sn}/requests_reply`.
 */

export const STORAGE_CONFIG_GET = 'storage_config_get'

/** Vendor table: `module` 0 - Media is the only value defined. */
export const MEDIA_MODULE = 0

/**
 * `tid`/`bid` are opaque strings that the reply echoes (DJI sends UUIDs);
 * bounded so an echo cannot grow a reply.
 */
const Id = Type.String({ minLength: 1, maxLength: 128 })

/**
 * "13-bit timestamp", typed `int` in the vendor table, yet the vendor's own
 * example sends `"1234567890123"`: accept both, 13 digits either way.
 */
const Timestamp13 = Type.Union([
  Type.Integer({ minimum: 1_000_000_000_000, maximum: 9_999_999_999_999 }),
  Type.String({ pattern: '^[0-9]{13}$' })
])

/**
 * Just enough to tell a storage_config_get from the other `requests` methods
 * (flighttask_resource_get, config, airport_bind_status…), which the
 * operator's own server may answer and stsgate leaves alone.
 */
export const RequestEnvelope = Type.Object({ method: Type.String() })

/** Extra fields are tolerated: docks add fields across firmware versions. */
export const StorageConfigGetRequest = Type.Object({
  method: Type.Literal(STORAGE_CONFIG_GET),
  tid: Id,
  bid: Id,
  timestamp: Timestamp13,
  data: Type.Object({
    // Any integer is well-formed; an unknown one gets a result code, not silence.
    module: Type.Integer()
  })
})
export type StorageConfigGetRequestType = Static<typeof StorageConfigGetRequest>

export const StorageCredentials = Type.Object({
  access_key_id: Type.String(),
  access_key_secret: Type.String(),
  /** Whole seconds the credential may still be used, the refresh margin already taken off. */
  expire: Type.Integer({ minimum: 0 }),
  security_token: Type.String()
})

export const StorageConfigOutput = Type.Object({
  bucket: Type.String(),
  /** An https:// URL (the vendor example: `https://oss-cn-hangzhou.aliyuncs.com`). */
  endpoint: Type.String(),
  object_key_prefix: Type.String(),
  /** Vendor enumeration: `ali` - Alibaba Cloud, `aws` - Amazon (and S3-compatible). */
  provider: Type.Union([Type.Literal('ali'), Type.Literal('aws')]),
  region: Type.String(),
  credentials: StorageCredentials
})

/** `result` 0 carries `output`; any other result carries none (docs/dji.md, result codes). */
export const StorageConfigGetReply = Type.Object({
  method: Type.Literal(STORAGE_CONFIG_GET),
  tid: Type.String(),
  bid: Type.String(),
  /** Milliseconds, as a number (the vendor table says `int`). */
  timestamp: Type.Integer(),
  data: Type.Union([
    Type.Object({ result: Type.Literal(0), output: StorageConfigOutput }, { additionalProperties: false }),
    Type.Object({ result: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
  ])
}, { additionalProperties: false })
export type StorageConfigGetReplyType = Static<typeof StorageConfigGetReply>
export type StorageConfigOutputType = Static<typeof StorageConfigOutput>
