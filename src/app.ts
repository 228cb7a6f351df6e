import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyHttpOptions } from 'fastify'
import type { Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import type { MasterKey } from './keys.js'
import type { Store } from './store/store.js'
import { hoistComponents } from './openapi-components.js'
import { acceptJsonWithRawBody } from './http-body.js'
import { CallerDirectory } from './auth/callers.js'
import { MemoryReplayGuard, type ReplayGuard } from './auth/replay.js'
import { RedisReplayGuard } from './auth/redis-replay.js'
import { closeRedis, openRedis } from './redis.js'
import { rateLimits } from './limits/rate-limits.js'
import { defaultMaxHeapUsedBytes, overloadGuard } from './limits/overload.js'
import { logRequests } from '../routes/request-log.js'
import { answerBeforeRouting, answerClientError } from '../routes/dialects/client-errors.js'
import { DialectsByPrefix } from '../routes/dialects/install.js'
import type { Redis } from 'ioredis'
import { CredentialService, type CredentialServiceOptions } from './credentials/service.js'
import { createProvider } from './providers/create-provider.js'
import { BindingDirectory } from './credentials/bindings.js'
import { VendAuditLog } from './credentials/vend-audit.js'
import { LastUsedLog } from './auth/last-used.js'
import { MetricSeries } from './operations/series.js'
import { RecordedVending } from './credentials/recorded-vending.js'
import { authentication } from '../routes/authenticate.js'
import { DeviceSecretService } from './devices/service.js'
import { Operations } from './operations/operations.js'
import metrics, { observeRequests } from '../routes/metrics.js'
import health from '../routes/health.js'
import operatorConsole from '../routes/console.js'
import admin from '../routes/admin/index.js'
import { renderAdminError } from '../routes/admin/dialect.js'
import { useErrorDialect } from '../routes/dialects/install.js'
import edas from '../routes/edas.js'
import workspace from '../routes/workspace.js'
import iotda from '../routes/iotda.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    store: Store
    keys: MasterKey
    credentials: CredentialService
    callers: CallerDirectory
    bindings: BindingDirectory
    devices: DeviceSecretService
    operations: Operations
    vendAudit: VendAuditLog
    lastUsed: LastUsedLog
    series: MetricSeries
    /** The shared Redis (STSGATE_REDIS_URL), for the MQTT login limits started beside the app; undefined without one. */
    redis: Redis | undefined
    /** Every contract vends through this: credential, then its audit record. */
    vending: RecordedVending
  }
}

export interface AppDeps {
  config: Config
  store: Store
  keys: MasterKey
  adminToken: string
  /** A pino destination (tests capture log lines through it). */
  logStream?: NodeJS.WritableStream
  version?: string
  /** Shared replay window; by default Redis when STSGATE_REDIS_URL is set, else in memory. */
  replay?: ReplayGuard
  /** A Redis client to use instead of opening one from STSGATE_REDIS_URL (the caller closes it). */
  redis?: Redis
  /** Cache tuning and clock, for tests and benchmarks. */
  credentialOptions?: Partial<CredentialServiceOptions>
  /** Names this instance's vend audit chain; a fresh UUID per start by default. */
  instanceId?: string
}

/** Field names that carry a secret. */
export const SECRET_FIELDS = [
  'secret', 'sk', 'security_token', 'securityToken', 'SecurityToken',
  'AccessKeySecret', 'access_key_secret', 'secret_access_key', 'secretAccessKey',
  'password', 'token', 'adminToken', 'primarySecret', 'secondarySecret'
]
/** Names under which a log call may put an object that holds such a field. */
export const SECRET_CONTAINERS = [
  'credential', 'credentials', 'gateway', 'result', 'upstream', 'body', 'err', 'error', 'target',
  'device', 'data', 'key', 'payload', 'request', 'response', 'config'
]

/**
 * Every path that may carry a secret in a log object, spelled out: pino
 * compiles explicit paths into straight-line checks, where a wildcard
 * (`*.secret`) walks and clones every logged object, ~25 µs a line
 * (docs/performance.md). test/logging.test.ts logs each container with each
 * field and checks that none reaches the log.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'req.headers["x-security-token"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-auth-token"]',
  'headers["x-security-token"]',
  'headers.cookie',
  ...SECRET_FIELDS,
  ...SECRET_CONTAINERS.flatMap((container) => SECRET_FIELDS.map((field) => `${container}.${field}`))
]

/** Builds the HTTP application; never listens (server.ts and tests do). */
export async function buildApp (deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps
  // Filled by each contract plugin as it registers; read only by the two answerers before routing.
  const dialects = new DialectsByPrefix({ render: renderAdminError, requestIdHeaders: [] })
  // HTTPS when configured; typed as the plain server since nothing here depends on the difference.
  // Against slowloris: Node checks these timeouts only every connectionsCheckingInterval (30 s by default).
  const serverOptions = {
    headersTimeout: config.http.headersTimeoutMs,
    maxHeaderSize: config.http.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.http.headersTimeoutMs / 2)))
  }
  const tls = config.tls === undefined
    ? { http: serverOptions }
    : { https: { ...serverOptions, cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) } }
  const options: FastifyHttpOptions<Server> = {
    ...tls,
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      ...(deps.logStream === undefined ? {} : { stream: deps.logStream })
    },
    // One line per request instead, from routes/request-log.ts.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    childLoggerFactory: bindWithoutRedaction,
    requestIdHeader: false,
    trustProxy: trustProxyOption(config.trustProxy),
    // A 128-character device id is legal (IoTDA); Fastify's default of 100 would answer 414 itself.
    routerOptions: { maxParamLength: 512 },
    bodyLimit: 64 * 1024,
    // Slow clients must not hold connections open (slowloris).
    connectionTimeout: config.http.requestTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // Oversized headers and non-HTTP bytes, refused by Node before routing: in the contract's dialect.
    clientErrorHandler: (err, socket) => { answerClientError(err, socket, dialects) },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Failures before routing (bad URL encoding, an over-long path parameter) in the contract's own dialect.
    frameworkErrors: answerBeforeRouting(dialects)
  }
  const app = Fastify(options).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('config', config)
  app.decorate('store', deps.store)
  app.decorate('keys', deps.keys)
  app.decorate('dialects', dialects)
  app.decorate('devices', new DeviceSecretService(deps.store.devices))
  const callers = new CallerDirectory(deps.store)
  app.decorate('callers', callers)
  app.decorate('bindings', new BindingDirectory(deps.store))
  const vendAudit = new VendAuditLog(deps.store, { instanceId: deps.instanceId ?? randomUUID(), logger: app.log })
  app.decorate('vendAudit', vendAudit)
  // Registered first, so it runs before whoever closes the store: the last batch is written on shutdown.
  app.addHook('onClose', async () => { await vendAudit.close() })
  const lastUsed = new LastUsedLog(deps.store, { logger: app.log })
  app.decorate('lastUsed', lastUsed)
  app.addHook('onClose', async () => { await lastUsed.close() })
  const operations = new Operations(deps.version ?? '0.1.0')
  app.decorate('operations', operations)
  app.decorate('credentials', new CredentialService({
    onUpstreamCall: operations.metrics.observeUpstream,
    providerFor: (target) => createProvider(target, {
      masterKey: deps.keys,
      timeoutMs: config.upstreamTimeoutMs,
      allowCustomUpstreams: config.allowCustomUpstreams
    }),
    ...deps.credentialOptions
  }))
  app.decorate('vending', new RecordedVending(app.credentials, vendAudit))
  operations.metrics.collectCredentials(app.credentials)
  const series = new MetricSeries({ counters: app.credentials.counters, mqttSessions: () => operations.mqttStatus().connections ?? undefined })
  series.start()
  app.decorate('series', series)
  app.addHook('onClose', async () => { series.stop() })
  observeRequests(app, operations.metrics)
  logRequests(app)
  // Every answer carries X-Request-Id; a contract adds its own header in its plugin (useErrorDialect).
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id)
    done()
  })
  const redis = deps.redis ?? (config.redisUrl === undefined ? undefined : await openRedis({ url: config.redisUrl, logger: app.log }))
  if (redis !== undefined && deps.redis === undefined) app.addHook('onClose', async () => { await closeRedis(redis) })
  app.decorate('redis', redis)
  // Their order is declared by the plugins (fastify-plugin `dependencies`): overload, then rate limits.
  await app.register(overloadGuard, {
    maxEventLoopDelayMs: config.overload.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.overload.maxHeapUsedBytes ?? defaultMaxHeapUsedBytes()
  })
  await app.register(rateLimits, { ...config.rateLimits, ...(redis === undefined ? {} : { redis }), prefix: config.redisPrefix })
  const replay = deps.replay ?? (redis === undefined
    ? new MemoryReplayGuard(Date.now, { budgetBytes: config.replayMemoryBytes })
    : new RedisReplayGuard(redis, config.redisPrefix))
  if (replay instanceof MemoryReplayGuard) operations.metrics.collectReplayWindow(replay)
  await app.register(authentication, {
    callers,
    replay,
    onAuthenticated: (caller) => { lastUsed.record(caller.principal) }
  })
  acceptJsonWithRawBody(app)
  // Paths outside every contract answer in the operator dialect; each contract plugin installs its own.
  useErrorDialect(app, renderAdminError)

  await app.register(swagger, {
    // Error bodies and repeated objects once, under components.schemas (src/openapi-components.ts).
    transformObject: (documents) => 'openapiObject' in documents ? hoistComponents(documents.openapiObject) : documents.swaggerObject,
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'stsgate',
        version: deps.version ?? '0.1.0',
        description: 'Short-lived, narrowly scoped object-storage credentials and IoT device secrets, ' +
          'through the Alibaba EDAS, Huawei Workspace, Huawei IoTDA and DJI Cloud API contracts.'
      },
      tags: [
        { name: 'edas', description: 'Alibaba EDAS GetPackageStorageCredential (ROA signature)' },
        { name: 'workspace', description: 'Huawei Workspace app-warehouse authorize (AK/SK or X-Auth-Token)' },
        { name: 'iotda', description: 'Huawei IoTDA ResetDeviceSecret (AK/SK or X-Auth-Token)' },
        { name: 'admin', description: 'Operator API (Bearer admin token)' },
        { name: 'operations', description: 'Health' }
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token (STSGATE_ADMIN_TOKEN or <data dir>/admin-token)' },
          authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A project token issued through the admin API' }
        }
      }
    }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The page says whose API it is, not the generator's name.
    theme: { title: 'stsgate API' },
    logo: { type: 'image/svg+xml', content: STSGATE_LOGO, href: '/docs', target: '_self' }
  })

  await app.register(health)
  await app.register(metrics, { adminToken: deps.adminToken })
  await app.register(admin, { prefix: '/admin/v1', adminToken: deps.adminToken })
  await app.register(operatorConsole)
  // Each contract under its own prefix, so unknown paths and methods below it answer in its dialect.
  await app.register(edas, { prefix: '/pop' })
  await app.register(workspace, { prefix: '/v1' })
  await app.register(iotda, { prefix: '/v5' })
  return app
}

/** The wordmark in the Swagger UI's top bar. */
const STSGATE_LOGO = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="150" height="32" viewBox="0 0 150 32">' +
  '<text x="0" y="24" font-family="system-ui, sans-serif" font-size="24" font-weight="700" fill="#ffffff">stsgate</text>' +
  '<text x="88" y="24" font-family="system-ui, sans-serif" font-size="16" fill="#c7d2fe">API</text></svg>')

const CHINDINGS = pino.symbols.chindingsSym

/**
 * Fastify gives every request a child logger bound to its id. pino runs each
 * binding through the wildcard redaction (`*.secret`, …): a selective clone
 * and a walk of every path, several µs per request, for a string value that
 * no two-level path can match. String bindings (the request id we generate)
 * are appended the way pino would write them; anything else takes pino's own
 * route. Everything logged through the child is still redacted.
 */
function bindWithoutRedaction (logger: FastifyBaseLogger, bindings: pino.Bindings, opts: pino.ChildLoggerOptions): FastifyBaseLogger {
  if (Object.values(bindings).some((value) => typeof value !== 'string')) return logger.child(bindings, opts)
  const child = logger.child({}, opts) as FastifyBaseLogger & { [CHINDINGS]: string }
  for (const [key, value] of Object.entries(bindings)) child[CHINDINGS] += `,${JSON.stringify(key)}:${JSON.stringify(value)}`
  return child
}

/** A hop count trusts that many proxies nearest to us (proxy-addr semantics). */
function trustProxyOption (value: Config['trustProxy']): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value
}
