import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * Configuration from the environment: the only reader of `process.env`.
 * Every variable is validated at start-up; each bad one gets one line naming it.
 */
export interface Config {
  host: string
  port: number
  dataDir: string
  databaseUrl: string | undefined
  /** From STSGATE_ADMIN_TOKEN; undefined → generated into the data dir (embedded store only). */
  adminToken: string | undefined
  /** From STSGATE_MASTER_KEY (base64, 32 bytes); undefined → generated into the data dir. */
  masterKey: Buffer | undefined
  tls: { certFile: string, keyFile: string } | undefined
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Fastify's trustProxy: false, true, a hop count, or a list of addresses/CIDRs. */
  trustProxy: boolean | number | string
  allowCustomUpstreams: boolean
  upstreamTimeoutMs: number
  redisUrl: string | undefined
  /** Prefix of every Redis key stsgate writes, so deployments (and test runs) can share one Redis. */
  redisPrefix: string
  /** Memory ceiling (bytes) of the in-memory replay window; beyond it new signed requests get the contract's 503. */
  replayMemoryBytes: number
  /** Requests per minute; 0 turns a limit off. */
  rateLimits: { perAddress: number, perPrincipal: number, perProject: number }
  overload: {
    /** Mean event-loop delay (ms) above which requests get the contract's 503; 0 = not checked. */
    maxEventLoopDelayMs: number
    /** Heap use (bytes) above which requests get the 503; undefined = 90 % of V8's limit; 0 = not checked. */
    maxHeapUsedBytes: number | undefined
  }
  /** Against slow and oversized clients. */
  http: { headersTimeoutMs: number, requestTimeoutMs: number, maxHeaderBytes: number }
  mqtt: {
    /** Embedded broker port; 0 = no embedded broker. */
    port: number
    host: string
    /** External broker: stsgate becomes its client instead of embedding one. */
    url: string | undefined
    requireTimestamp: boolean
    /** Embedded broker: from accept to a successful login, else the connection is closed. */
    connectTimeoutMs: number
    /** Embedded broker: largest packet after login; a larger one closes the connection. */
    maxPacketBytes: number
    /** Embedded broker: failed logins per source address and per username (burst, regained per minute; 0 = off). */
    loginFailuresPerAddress: number
    loginFailuresPerIdentity: number
    /** Embedded broker: password checks at once (64 times as many may wait). */
    loginChecks: number
    /** Embedded broker: per client id, messages held for it (offline or unacknowledged). */
    maxQueuedMessages: number
    maxQueuedBytes: number
    /** Embedded broker: a clean=false session is forgotten this long after its client left. */
    sessionExpirySeconds: number
  }
  dji: {
    /** Seconds subtracted from a credential's remaining life in `expire` (DJI's reference server uses 300). */
    expireMarginSeconds: number
    /** Default gateway prefix; `{gateway_sn}` is replaced. */
    prefixTemplate: string
  }
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const Port = Type.Integer({ minimum: 0, maximum: 65535 })
const PerMinute = Type.Integer({ minimum: 0, maximum: 10_000_000 })
const Flag = Type.Union([Type.Literal('0'), Type.Literal('1'), Type.Literal('true'), Type.Literal('false')])

/** Each variable: its schema, its default, and how the string becomes a value. */
const VARIABLES = {
  STSGATE_HOST: { schema: Type.String({ minLength: 1 }), default: '127.0.0.1' },
  STSGATE_PORT: { schema: Port, default: '3000', parse: Number },
  STSGATE_DATA_DIR: { schema: Type.String({ minLength: 1 }), default: './data' },
  STSGATE_DATABASE_URL: { schema: Type.String({ pattern: '^postgres(ql)?://' }) },
  STSGATE_ADMIN_TOKEN: { schema: Type.String({ minLength: 32 }) },
  STSGATE_MASTER_KEY: { schema: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }) },
  STSGATE_TLS_CERT: { schema: Type.String({ minLength: 1 }) },
  STSGATE_TLS_KEY: { schema: Type.String({ minLength: 1 }) },
  STSGATE_LOG_LEVEL: { schema: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))), default: 'info' },
  STSGATE_TRUST_PROXY: { schema: Type.String(), default: 'false' },
  STSGATE_ALLOW_CUSTOM_UPSTREAMS: { schema: Flag, default: '0' },
  STSGATE_UPSTREAM_TIMEOUT_MS: { schema: Type.Integer({ minimum: 100, maximum: 120000 }), default: '5000', parse: Number },
  STSGATE_REDIS_URL: { schema: Type.String({ pattern: '^rediss?://' }) },
  STSGATE_REDIS_PREFIX: { schema: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }), default: 'stsgate:' },
  STSGATE_REPLAY_MEMORY_MB: { schema: Type.Integer({ minimum: 1, maximum: 65536 }), default: '64', parse: Number },
  STSGATE_RATE_LIMIT_IP_PER_MINUTE: { schema: PerMinute, default: '600', parse: Number },
  STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE: { schema: PerMinute, default: '6000', parse: Number },
  STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE: { schema: PerMinute, default: '12000', parse: Number },
  STSGATE_MAX_EVENT_LOOP_DELAY_MS: { schema: Type.Integer({ minimum: 0, maximum: 60000 }), default: '1000', parse: Number },
  STSGATE_MAX_HEAP_USED_MB: { schema: Type.Integer({ minimum: 0, maximum: 1048576 }), parse: Number },
  STSGATE_HEADERS_TIMEOUT_MS: { schema: Type.Integer({ minimum: 100, maximum: 600000 }), default: '10000', parse: Number },
  STSGATE_REQUEST_TIMEOUT_MS: { schema: Type.Integer({ minimum: 100, maximum: 600000 }), default: '30000', parse: Number },
  STSGATE_MAX_HEADER_BYTES: { schema: Type.Integer({ minimum: 1024, maximum: 1048576 }), default: '16384', parse: Number },
  STSGATE_MQTT_PORT: { schema: Port, default: '1883', parse: Number },
  STSGATE_MQTT_HOST: { schema: Type.String({ minLength: 1 }) },
  STSGATE_MQTT_URL: { schema: Type.String({ pattern: '^(mqtts?|wss?)://' }) },
  STSGATE_MQTT_REQUIRE_TIMESTAMP: { schema: Flag, default: '0' },
  STSGATE_MQTT_CONNECT_TIMEOUT_MS: { schema: Type.Integer({ minimum: 100, maximum: 120000 }), default: '10000', parse: Number },
  STSGATE_MQTT_MAX_PACKET_BYTES: { schema: Type.Integer({ minimum: 8192, maximum: 268435455 }), default: '262144', parse: Number },
  STSGATE_MQTT_LOGIN_FAILURES_PER_ADDRESS: { schema: Type.Integer({ minimum: 0, maximum: 1000000 }), default: '30', parse: Number },
  STSGATE_MQTT_LOGIN_FAILURES_PER_IDENTITY: { schema: Type.Integer({ minimum: 0, maximum: 1000000 }), default: '10', parse: Number },
  STSGATE_MQTT_LOGIN_CHECKS: { schema: Type.Integer({ minimum: 1, maximum: 256 }), default: '4', parse: Number },
  STSGATE_MQTT_MAX_QUEUED_MESSAGES: { schema: Type.Integer({ minimum: 1, maximum: 1000000 }), default: '1000', parse: Number },
  STSGATE_MQTT_MAX_QUEUED_BYTES: { schema: Type.Integer({ minimum: 1024, maximum: 1073741824 }), default: '1048576', parse: Number },
  STSGATE_MQTT_SESSION_EXPIRY_SECONDS: { schema: Type.Integer({ minimum: 1, maximum: 604800 }), default: '3600', parse: Number },
  STSGATE_DJI_EXPIRE_MARGIN_SECONDS: { schema: Type.Integer({ minimum: 0, maximum: 3600 }), default: '300', parse: Number },
  STSGATE_DJI_PREFIX_TEMPLATE: { schema: Type.String({ pattern: '^[^*?${}]*\\{gateway_sn\\}[^*?${}]*/$' }), default: 'media/{gateway_sn}/' }
} satisfies Record<string, { schema: import('@sinclair/typebox').TSchema, default?: string, parse?: (raw: string) => unknown }>

type Name = keyof typeof VARIABLES
export const CONFIG_VARIABLES = Object.keys(VARIABLES) as Name[]

/** Parses and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = []
  const values = {} as Record<Name, unknown>
  for (const name of CONFIG_VARIABLES) {
    const spec: { schema: import('@sinclair/typebox').TSchema, default?: string, parse?: (raw: string) => unknown } = VARIABLES[name]
    const raw = env[name] === '' ? undefined : env[name]
    if (raw === undefined && spec.default === undefined) continue
    const text = raw ?? spec.default as string
    const value = spec.parse === undefined ? text : spec.parse(text)
    if (!Value.Check(spec.schema, value)) {
      // Never echo the value: some of these are secrets.
      problems.push(`${name}: ${describe(name, spec.schema)}`)
      continue
    }
    values[name] = value
  }
  const get = <T>(name: Name): T => values[name] as T
  if ((get<string>('STSGATE_TLS_CERT') === undefined) !== (get<string>('STSGATE_TLS_KEY') === undefined)) {
    problems.push('STSGATE_TLS_CERT and STSGATE_TLS_KEY: set both or neither')
  }
  const databaseUrl = get<string | undefined>('STSGATE_DATABASE_URL')
  if (databaseUrl !== undefined) {
    // Instances sharing a database must share these; generated ones only make sense embedded (docs/security.md rule 3).
    if (get('STSGATE_MASTER_KEY') === undefined) problems.push('STSGATE_MASTER_KEY: required when STSGATE_DATABASE_URL is set (every instance must use the same key)')
    if (get('STSGATE_ADMIN_TOKEN') === undefined) problems.push('STSGATE_ADMIN_TOKEN: required when STSGATE_DATABASE_URL is set (every instance must use the same token)')
  }
  if (get<number>('STSGATE_HEADERS_TIMEOUT_MS') > get<number>('STSGATE_REQUEST_TIMEOUT_MS')) {
    // Node refuses to start a server whose headers timeout exceeds its request timeout.
    problems.push('STSGATE_HEADERS_TIMEOUT_MS: must not exceed STSGATE_REQUEST_TIMEOUT_MS')
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const masterKey = get<string | undefined>('STSGATE_MASTER_KEY')
  const cert = get<string | undefined>('STSGATE_TLS_CERT')
  const key = get<string | undefined>('STSGATE_TLS_KEY')
  const host = get<string>('STSGATE_HOST')
  const heapMb = get<number | undefined>('STSGATE_MAX_HEAP_USED_MB')
  return {
    host,
    port: get('STSGATE_PORT'),
    dataDir: get('STSGATE_DATA_DIR'),
    databaseUrl,
    adminToken: get('STSGATE_ADMIN_TOKEN'),
    masterKey: masterKey === undefined ? undefined : Buffer.from(masterKey, 'base64'),
    tls: cert !== undefined && key !== undefined ? { certFile: cert, keyFile: key } : undefined,
    logLevel: get('STSGATE_LOG_LEVEL'),
    trustProxy: parseTrustProxy(get('STSGATE_TRUST_PROXY')),
    allowCustomUpstreams: isOn(get('STSGATE_ALLOW_CUSTOM_UPSTREAMS')),
    upstreamTimeoutMs: get('STSGATE_UPSTREAM_TIMEOUT_MS'),
    redisUrl: get('STSGATE_REDIS_URL'),
    redisPrefix: get('STSGATE_REDIS_PREFIX'),
    replayMemoryBytes: get<number>('STSGATE_REPLAY_MEMORY_MB') * 1024 * 1024,
    rateLimits: {
      perAddress: get('STSGATE_RATE_LIMIT_IP_PER_MINUTE'),
      perPrincipal: get('STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE'),
      perProject: get('STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE')
    },
    overload: {
      maxEventLoopDelayMs: get('STSGATE_MAX_EVENT_LOOP_DELAY_MS'),
      maxHeapUsedBytes: heapMb === undefined ? undefined : heapMb * 1024 * 1024
    },
    http: {
      headersTimeoutMs: get('STSGATE_HEADERS_TIMEOUT_MS'),
      requestTimeoutMs: get('STSGATE_REQUEST_TIMEOUT_MS'),
      maxHeaderBytes: get('STSGATE_MAX_HEADER_BYTES')
    },
    mqtt: {
      port: get('STSGATE_MQTT_PORT'),
      host: get<string | undefined>('STSGATE_MQTT_HOST') ?? host,
      url: get('STSGATE_MQTT_URL'),
      requireTimestamp: isOn(get('STSGATE_MQTT_REQUIRE_TIMESTAMP')),
      connectTimeoutMs: get('STSGATE_MQTT_CONNECT_TIMEOUT_MS'),
      maxPacketBytes: get('STSGATE_MQTT_MAX_PACKET_BYTES'),
      loginFailuresPerAddress: get('STSGATE_MQTT_LOGIN_FAILURES_PER_ADDRESS'),
      loginFailuresPerIdentity: get('STSGATE_MQTT_LOGIN_FAILURES_PER_IDENTITY'),
      loginChecks: get('STSGATE_MQTT_LOGIN_CHECKS'),
      maxQueuedMessages: get('STSGATE_MQTT_MAX_QUEUED_MESSAGES'),
      maxQueuedBytes: get('STSGATE_MQTT_MAX_QUEUED_BYTES'),
      sessionExpirySeconds: get('STSGATE_MQTT_SESSION_EXPIRY_SECONDS')
    },
    dji: {
      expireMarginSeconds: get('STSGATE_DJI_EXPIRE_MARGIN_SECONDS'),
      prefixTemplate: get('STSGATE_DJI_PREFIX_TEMPLATE')
    }
  }
}

const isOn = (flag: Static<typeof Flag>): boolean => flag === '1' || flag === 'true'

/** `false`/`true`, a hop count, or a comma-separated list of trusted addresses (Fastify's trustProxy). */
function parseTrustProxy (raw: string): boolean | number | string {
  if (raw === 'false' || raw === '0' || raw === '') return false
  if (raw === 'true') return true
  if (/^[1-9]\d*$/.test(raw)) return Number(raw)
  return raw
}

const HINTS: Partial<Record<Name, string>> = {
  STSGATE_PORT: 'an integer port from 0 to 65535',
  STSGATE_MQTT_PORT: 'an integer port from 0 (off) to 65535',
  STSGATE_DATABASE_URL: 'a postgres:// or postgresql:// URL',
  STSGATE_ADMIN_TOKEN: 'at least 32 characters',
  STSGATE_MASTER_KEY: 'base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)',
  STSGATE_LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')}`,
  STSGATE_ALLOW_CUSTOM_UPSTREAMS: '0 or 1',
  STSGATE_MQTT_REQUIRE_TIMESTAMP: '0 or 1',
  STSGATE_UPSTREAM_TIMEOUT_MS: 'an integer from 100 to 120000 (milliseconds)',
  STSGATE_REDIS_URL: 'a redis:// or rediss:// URL',
  STSGATE_REDIS_PREFIX: '1 to 64 of A-Z a-z 0-9 _ . : -',
  STSGATE_REPLAY_MEMORY_MB: 'an integer from 1 to 65536 (MiB)',
  STSGATE_RATE_LIMIT_IP_PER_MINUTE: 'an integer from 0 (off) to 10000000 (requests per minute)',
  STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE: 'an integer from 0 (off) to 10000000 (requests per minute)',
  STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE: 'an integer from 0 (off) to 10000000 (requests per minute)',
  STSGATE_MAX_EVENT_LOOP_DELAY_MS: 'an integer from 0 (off) to 60000 (milliseconds)',
  STSGATE_MAX_HEAP_USED_MB: 'an integer from 0 (off) to 1048576 (MiB)',
  STSGATE_HEADERS_TIMEOUT_MS: 'an integer from 100 to 600000 (milliseconds)',
  STSGATE_REQUEST_TIMEOUT_MS: 'an integer from 100 to 600000 (milliseconds)',
  STSGATE_MAX_HEADER_BYTES: 'an integer from 1024 to 1048576 (bytes)',
  STSGATE_MQTT_URL: 'an mqtt://, mqtts://, ws:// or wss:// URL',
  STSGATE_MQTT_CONNECT_TIMEOUT_MS: 'an integer from 100 to 120000 (milliseconds)',
  STSGATE_MQTT_MAX_PACKET_BYTES: 'an integer from 8192 to 268435455 (bytes)',
  STSGATE_MQTT_LOGIN_FAILURES_PER_ADDRESS: 'an integer from 0 (off) to 1000000 (failed logins per minute)',
  STSGATE_MQTT_LOGIN_FAILURES_PER_IDENTITY: 'an integer from 0 (off) to 1000000 (failed logins per minute)',
  STSGATE_MQTT_LOGIN_CHECKS: 'an integer from 1 to 256 (password checks at once)',
  STSGATE_MQTT_MAX_QUEUED_MESSAGES: 'an integer from 1 to 1000000 (messages per client)',
  STSGATE_MQTT_MAX_QUEUED_BYTES: 'an integer from 1024 to 1073741824 (bytes per client)',
  STSGATE_MQTT_SESSION_EXPIRY_SECONDS: 'an integer from 1 to 604800 (seconds)',
  STSGATE_DJI_EXPIRE_MARGIN_SECONDS: 'an integer from 0 to 3600 (seconds)',
  STSGATE_DJI_PREFIX_TEMPLATE: 'a key prefix containing {gateway_sn}, ending in /, without * ? $ { }'
}

function describe (name: Name, _schema: unknown): string {
  return `invalid value; expected ${HINTS[name] ?? 'a non-empty string'}`
}

/** What the admin CLI needs: where the server is, and where its admin token may be found. */
export interface CliConfig {
  /** STSGATE_URL; default http://127.0.0.1:3000. */
  url: string
  /** STSGATE_ADMIN_TOKEN, if set (otherwise the CLI reads `<dataDir>/admin-token`). */
  adminToken: string | undefined
  /** STSGATE_DATA_DIR; default ./data, as for `stsgate serve`. */
  dataDir: string
}

/**
 * The CLI's slice of the environment. Looser than loadConfig on purpose: a
 * client must not refuse to run because a server-only variable is malformed.
 */
export function loadCliConfig (env: Record<string, string | undefined> = process.env, defaultUrl = 'http://127.0.0.1:3000'): CliConfig {
  const value = (name: string): string | undefined => (env[name] === '' ? undefined : env[name])
  const url = value('STSGATE_URL') ?? defaultUrl
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new ConfigError(['STSGATE_URL: invalid value; expected an http:// or https:// URL'])
  return { url: url.replace(/\/+$/, ''), adminToken: value('STSGATE_ADMIN_TOKEN'), dataDir: value('STSGATE_DATA_DIR') ?? './data' }
}

/** Where `stsgate serve` with this configuration answers on this host (the CLI's default for it). */
export function localServerUrl (config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host
  return `${config.tls === undefined ? 'http' : 'https'}://${host}:${config.port}`
}
