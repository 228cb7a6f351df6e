import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { described, KeyPrefix, ProjectId, Timestamp } from './common.js'
import { ERROR_CATALOGUE, type ErrorCode } from '../src/errors.js'

/**
 * The operator API under /admin/v1. Field names are fixed: operators' scripts
 * rely on them (issue "Foundation", part 4; upstream fields per docs/upstream.md "Target configuration").
 */

export const AdminError = Type.Object({
  error: Type.String({ description: 'Stable code: validation, malformed_json, unauthenticated, project_not_found, target_bound, prefix_taken, already_exists, identity_taken, …' }),
  message: Type.String({ description: 'What is wrong, naming the field; never a secret' })
}, { title: 'AdminError' })

const ADMIN_ERROR_CODES: Record<number, string> = {
  400: 'Invalid input: validation (names the field), malformed_json, provider_not_bindable, upstream_endpoint_refused',
  401: 'unauthenticated: missing or wrong admin token',
  404: 'project_not_found, target_not_found, device_not_found, gateway_not_found, access_key_not_found, token_not_found, binding_not_found, route_not_found',
  405: 'method_not_allowed',
  409: 'identity_taken (a device id, dock sn or sub-device sn already registered in any project, in any role), already_exists (target name), prefix_taken (another project holds an overlapping prefix on the bucket), target_bound',
  413: 'body_too_large (64 KiB)',
  415: 'unsupported_media_type: the body must be application/json',
  500: 'internal: details only in the server log',
  503: 'store_unavailable'
}

/** An example body for every code above: the messages the admin API really sends (the catalogue's; Fastify's wording for validation). */
const ADMIN_ERROR_EXAMPLES: Record<number, ErrorCode[]> = {
  400: ['validation', 'malformed_json', 'provider_not_bindable', 'upstream_endpoint_refused'],
  401: ['unauthenticated'],
  404: ['project_not_found', 'target_not_found', 'device_not_found', 'gateway_not_found', 'access_key_not_found', 'token_not_found', 'binding_not_found', 'route_not_found'],
  405: ['method_not_allowed'],
  409: ['identity_taken', 'already_exists', 'prefix_taken', 'target_bound'],
  413: ['body_too_large'],
  415: ['unsupported_media_type'],
  500: ['internal'],
  503: ['store_unavailable']
}
const exampleMessage = (code: ErrorCode): string =>
  code === 'validation' ? 'body/name must NOT have fewer than 1 characters' : ERROR_CATALOGUE[code].message

/** Every admin operation can answer 400, 401, 413, 415, 500 and 503; `more` adds the operation's own. */
export const adminErrors = (...more: number[]): Record<number, TSchema> =>
  Object.fromEntries([400, 401, 413, 415, 500, 503, ...more].map((status) => [status, {
    ...described(AdminError, ADMIN_ERROR_CODES[status] ?? 'error'),
    examples: (ADMIN_ERROR_EXAMPLES[status] ?? []).map((error) => ({ error, message: exampleMessage(error) }))
  }]))

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })
export const DeviceId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'At most 128 of [A-Za-z0-9_-] (IoTDA)' })
export const DeviceSecret = Type.String({ pattern: '^[A-Za-z0-9_-]{8,32}$', description: '8–32 of [A-Za-z0-9_-] (IoTDA)' })
export const GatewaySn = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Dock serial number' })
const Bucket = Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })
const Region = Type.String({ pattern: '^[a-z0-9-]{1,64}$' })
const Endpoint = Type.String({ pattern: '^(https?://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$', description: 'A host, or an http(s):// URL without a path' })
const UpstreamUrl = Type.String({ pattern: '^https?://[^\\s]+$', description: 'Full URL; https and a vendor host unless STSGATE_ALLOW_CUSTOM_UPSTREAMS=1' })
const Secret = Type.String({ minLength: 1, maxLength: 256 })
const AccessKeyIdField = Type.String({ minLength: 1, maxLength: 128 })

// ---- projects ----
export const ProjectParams = Type.Object({ project_id: ProjectId })
export const CreateProjectBody = Type.Object({
  name: Name,
  instance_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'IoTDA instance id callers may send as Instance-Id' }))
}, { additionalProperties: false, examples: [{ name: 'Plant Hamburg', instance_id: 'a1b2c3d4-iotda-hamburg' }] })
export const UpdateProjectBody = Type.Object({
  name: Type.Optional(Name),
  disabled: Type.Optional(Type.Boolean({ description: 'A disabled project\'s keys, tokens, devices and gateways stop working at once' }))
}, { additionalProperties: false, minProperties: 1, examples: [{ name: 'Plant Hamburg North' }, { disabled: true }] })
export const Project = Type.Object({
  project_id: ProjectId,
  name: Type.String(),
  instance_id: Type.Union([Type.String(), Type.Null()]),
  disabled: Type.Boolean(),
  created_at: Timestamp
}, { title: 'Project', description: 'The project' })
export const ProjectList = Type.Object({ projects: Type.Array(Project) }, { description: 'All projects, or those with the name asked for' })
export const ProjectListQuery = Type.Object({
  name: Type.Optional(Type.String({ ...Name, description: 'Only projects with exactly this name (names need not be unique)' }))
}, { additionalProperties: false })

// ---- access keys ----
export const AccessKeyParams = Type.Object({ project_id: ProjectId, access_key_id: AccessKeyIdField })
export const NewAccessKey = Type.Object({
  access_key_id: Type.String(),
  secret_access_key: Type.String({ description: 'Shown only in this response' })
}, { description: 'The new access key and its secret (shown only here)' })
const LastUsedAt = Type.Union([Timestamp, Type.Null()], {
  description: 'Last successful authentication (written in batches, so up to a few seconds old); null when never used'
})
export const AccessKeyView = Type.Object({
  access_key_id: Type.String(), disabled: Type.Boolean(), created_at: Timestamp, last_used_at: LastUsedAt
}, { title: 'AccessKey', description: 'The access key (never its secret)' })
export const AccessKeyList = Type.Object({ access_keys: Type.Array(AccessKeyView) }, { description: 'The project\'s access keys (ids only)' })
export const UpdateAccessKeyBody = Type.Object({
  disabled: Type.Boolean({ description: 'true stops the key at once on every instance; false re-enables it' })
}, { additionalProperties: false, examples: [{ disabled: true }] })
export const RotatedAccessKey = Type.Object({
  access_key_id: Type.String(),
  secret_access_key: Type.String({ description: 'Shown only in this response' }),
  replaced_access_key_id: Type.String({ description: 'The old key: now disabled (enable it again to undo, delete it once unused)' })
}, { description: 'The new access key and its secret (shown only here); the old key is disabled' })

// ---- tokens ----
export const TokenParams = Type.Object({ project_id: ProjectId, token_id: Type.String({ pattern: '^[0-9a-f]{16}$' }) })
export const CreateTokenBody = Type.Object({
  ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000, default: 86_400 }))
}, { additionalProperties: false, examples: [{ ttl_seconds: 604_800 }] })
export const NewToken = Type.Object({
  token_id: Type.String(),
  token: Type.String({ description: 'Send as X-Auth-Token; shown only in this response' }),
  expires_at: Timestamp
}, { description: 'The new token (shown only here)' })
export const TokenList = Type.Object({
  tokens: Type.Array(Type.Object({ token_id: Type.String(), expires_at: Timestamp, revoked: Type.Boolean(), created_at: Timestamp, last_used_at: LastUsedAt }))
}, { description: 'The project\'s tokens (ids and expiry only)' })

// ---- targets ----
export const AliyunUpstreamInput = Type.Object({
  role_arn: Type.String({ pattern: '^acs:ram::[0-9]+:role/[A-Za-z0-9._-]+$' }),
  access_key_id: AccessKeyIdField,
  access_key_secret: Secret,
  sts_endpoint: Type.Optional(UpstreamUrl),
  role_session_name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._@-]{2,64}$' })),
  external_id: Type.Optional(Type.String({ minLength: 2, maxLength: 1224 }))
}, { additionalProperties: false, title: 'aliyun upstream' })
export const AwsUpstreamInput = Type.Object({
  role_arn: Type.String({ pattern: '^arn:[a-z-]+:iam::[0-9]*:role/.+$' }),
  access_key_id: AccessKeyIdField,
  secret_access_key: Secret,
  sts_endpoint: Type.Optional(UpstreamUrl),
  sts_region: Type.Optional(Region),
  external_id: Type.Optional(Type.String({ minLength: 2, maxLength: 1224 }))
}, { additionalProperties: false, title: 'aws upstream' })
export const HuaweiUpstreamInput = Type.Object({
  agency_name: Type.String({ minLength: 1, maxLength: 64 }),
  domain_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  domain_id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
  access_key_id: AccessKeyIdField,
  secret_access_key: Secret,
  iam_endpoint: Type.Optional(UpstreamUrl)
}, { additionalProperties: false, title: 'huawei upstream' })

export const UPSTREAM_INPUT = { aliyun: AliyunUpstreamInput, aws: AwsUpstreamInput, huawei: HuaweiUpstreamInput } as const

export const Provider = Type.Union([Type.Literal('local'), Type.Literal('aliyun'), Type.Literal('aws'), Type.Literal('huawei')])
export const TargetParams = Type.Object({ project_id: ProjectId, target_id: Type.String({ pattern: '^[0-9a-f]{16}$' }) })
export const CreateTargetBody = Type.Object({
  name: Name,
  provider: Provider,
  bucket: Bucket,
  region: Region,
  endpoint: Endpoint,
  internal_endpoint: Type.Optional(Endpoint),
  vpc_endpoint: Type.Optional(Endpoint),
  duration_seconds: Type.Optional(Type.Integer({ minimum: 900, maximum: 43_200, default: 3600, description: 'Lifetime of minted credentials (all providers accept 900–43200 s; the role\'s own maximum may be lower)' })),
  upstream: Type.Optional(Type.Union([AliyunUpstreamInput, AwsUpstreamInput, HuaweiUpstreamInput], { description: 'Required for aliyun, aws and huawei; absent for local' }))
}, {
  additionalProperties: false,
  // One per provider, each with its own upstream object (docs/upstream.md "Target configuration").
  examples: [
    {
      name: 'edas-releases', provider: 'aliyun', bucket: 'edas-releases-hz', region: 'cn-hangzhou', endpoint: 'oss-cn-hangzhou.aliyuncs.com',
      duration_seconds: 3600,
      upstream: { role_arn: 'acs:ram::1234567890123456:role/stsgate-vend', access_key_id: 'LTAI5tExampleUpstreamKey', access_key_secret: 'upstream-access-key-secret', role_session_name: 'stsgate' }
    },
    {
      name: 'firmware-s3', provider: 'aws', bucket: 'acme-firmware', region: 'eu-central-1', endpoint: 's3.eu-central-1.amazonaws.com',
      upstream: { role_arn: 'arn:aws:iam::123456789012:role/stsgate-vend', access_key_id: 'AKIAIOSFODNN7EXAMPLE', secret_access_key: 'upstream-secret-access-key', sts_region: 'eu-central-1', external_id: 'stsgate-acme' }
    },
    {
      name: 'app-warehouse', provider: 'huawei', bucket: 'workspace-apps', region: 'cn-north-4', endpoint: 'obs.cn-north-4.myhuaweicloud.com',
      upstream: { agency_name: 'stsgate_vend', domain_name: 'acme-cloud', access_key_id: 'HPUAEXAMPLEUPSTREAMKEY', secret_access_key: 'upstream-secret-access-key' }
    },
    { name: 'lab-minio', provider: 'local', bucket: 'lab-media', region: 'us-east-1', endpoint: 'http://minio.lab.internal:9000' }
  ]
})
/** Upstream as shown back: every non-secret field. */
export const UpstreamView = Type.Record(Type.String(), Type.String(), { description: 'The upstream fields, secrets left out' })
export const TargetView = Type.Object({
  target_id: Type.String(),
  name: Type.String(),
  provider: Provider,
  bucket: Type.String(),
  region: Type.String(),
  endpoint: Type.String(),
  internal_endpoint: Type.Union([Type.String(), Type.Null()]),
  vpc_endpoint: Type.Union([Type.String(), Type.Null()]),
  duration_seconds: Type.Integer(),
  upstream: Type.Union([UpstreamView, Type.Null()]),
  created_at: Timestamp
}, { title: 'Target', description: 'The storage target, upstream secrets left out' })
export const TargetList = Type.Object({ targets: Type.Array(TargetView) }, { description: 'The project\'s storage targets' })

// ---- bindings ----
export const PutBindingsBody = Type.Object({
  edas: Type.Optional(Type.Object({ target_id: Type.String(), key_prefix: Type.Optional(KeyPrefix) }, { additionalProperties: false })),
  workspace: Type.Optional(Type.Object({ target_id: Type.String(), directory: Type.Optional(KeyPrefix) }, { additionalProperties: false }))
}, {
  additionalProperties: false,
  minProperties: 1,
  examples: [{ edas: { target_id: '9c2f4e1a7b3d5e60', key_prefix: 'release-pkg/hamburg/' }, workspace: { target_id: '4a7e1c9b2d3f5a68', directory: 'file/hamburg/' } }]
})
export const BindingParams = Type.Object({ project_id: ProjectId, kind: Type.Union([Type.Literal('edas'), Type.Literal('workspace')]) })
export const Bindings = Type.Object({
  edas: Type.Optional(Type.Object({ target_id: Type.String(), key_prefix: Type.String() })),
  workspace: Type.Optional(Type.Object({ target_id: Type.String(), directory: Type.String() }))
}, { description: 'The project\'s contract bindings' })

// ---- devices ----
export const DeviceParams = Type.Object({ project_id: ProjectId, device_id: DeviceId })
export const CreateDeviceBody = Type.Object({
  device_id: Type.Optional(DeviceId),
  secret: Type.Optional(DeviceSecret),
  secondary_secret: Type.Optional(DeviceSecret)
}, { additionalProperties: false, examples: [{ device_id: 'thermostat-hh-0001', secret: 'Kx7_m2Qp9vLs4TzA' }] })
export const NewDevice = Type.Object({
  device_id: Type.String(),
  secret: Type.String({ description: 'The primary secret; shown only in this response' })
}, { description: 'The device and its primary secret (shown only here)' })
export const DeviceView = Type.Object({
  device_id: Type.String(), has_secondary_secret: Type.Boolean(), created_at: Timestamp, updated_at: Timestamp
}, { title: 'Device', description: 'The device (never its secrets)' })
export const ResetDeviceSecretBody = Type.Object({
  secret: Type.Optional(DeviceSecret),
  secret_type: Type.Optional(Type.Union([Type.Literal('PRIMARY'), Type.Literal('SECONDARY')], { default: 'PRIMARY' })),
  force_disconnect: Type.Optional(Type.Boolean({ default: false, description: 'Close the device\'s live MQTT sessions on every instance' }))
}, { additionalProperties: false, examples: [{ secret_type: 'PRIMARY', force_disconnect: true }] })
export const DeviceSecretReset = Type.Object({
  device_id: Type.String(),
  secret: Type.String({ description: 'The new secret; shown only in this response' }),
  secret_type: Type.String()
}, { description: 'The device\'s new secret (shown only here)' })
export const DeviceList = Type.Object({ devices: Type.Array(DeviceView) }, { description: 'The project\'s devices' })

// ---- gateways ----
export const GatewayParams = Type.Object({ project_id: ProjectId, sn: GatewaySn })
export const CreateGatewayBody = Type.Object({
  sn: GatewaySn,
  target_id: Type.String(),
  object_key_prefix: Type.Optional(KeyPrefix),
  password: Type.Optional(Type.String({ minLength: 12, maxLength: 128 })),
  sub_devices: Type.Optional(Type.Array(GatewaySn, { maxItems: 16, description: 'Serial numbers of the aircraft behind this dock (topic ACLs)' }))
}, { additionalProperties: false, examples: [{ sn: '4TADKAQ000002J', target_id: '9c2f4e1a7b3d5e60', object_key_prefix: 'dock-media/4TADKAQ000002J/', sub_devices: ['1581F5BMD228Q00A82XX'] }] })
export const UpdateGatewayBody = Type.Object({
  disabled: Type.Optional(Type.Boolean()),
  target_id: Type.Optional(Type.String()),
  object_key_prefix: Type.Optional(KeyPrefix)
}, { additionalProperties: false, minProperties: 1, examples: [{ disabled: true }, { target_id: '4a7e1c9b2d3f5a68', object_key_prefix: 'dock-media/4TADKAQ000002J/' }] })
export const GatewayView = Type.Object({
  sn: Type.String(),
  target_id: Type.String(),
  object_key_prefix: Type.String(),
  sub_devices: Type.Array(Type.String()),
  disabled: Type.Boolean(),
  created_at: Timestamp
}, { title: 'Gateway', description: 'The dock' })
export const NewGateway = Type.Composite([GatewayView, Type.Object({
  username: Type.String({ description: 'Broker login: the serial number' }),
  password: Type.String({ description: 'Broker login; shown only in this response' })
})], { description: 'The dock and its broker login (password shown only here)' })
export const GatewayList = Type.Object({ gateways: Type.Array(GatewayView) }, { description: 'The project\'s docks' })

export type CreateTargetInput = Static<typeof CreateTargetBody>

// ---- local credentials ----
export const IntrospectBody = Type.Object({
  access_key_id: Type.String({ minLength: 1, maxLength: 128 }),
  security_token: Type.String({ minLength: 1, maxLength: 16_384 })
}, { additionalProperties: false, examples: [{ access_key_id: 'STS.NUgYrLnoC37mZZCNnAbez2bo', security_token: 'CAIS8gF1q6Ft5B2yfSjIr5bSEsnTopdj5ae6ZmL2jnE5T/5ugp' }] })
export const Introspection = Type.Object({
  active: Type.Boolean({ description: 'Minted by this deployment\'s local issuer for this access key, and not expired' }),
  expires_at: Type.Optional(Timestamp),
  policy: Type.Optional(Type.Unknown({ description: 'The session policy the credential was minted with (IAM dialect)' })),
  project_id: Type.Optional(Type.String()),
  target_id: Type.Optional(Type.String())
}, { description: 'Whether a local credential is genuine and unexpired, and what it allows (nothing more when inactive)' })
