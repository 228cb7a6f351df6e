import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { buildApp } from './app.js'
import { resolveRuntimeSecrets } from './runtime-secrets.js'
import { Store } from './store/store.js'
import { startMqtt, type MqttMode, type MqttRuntime } from './mqtt/runtime.js'
import { GatewayVendDirectory } from './mqtt/gateway-vend-directory.js'
import { startStorageConfigResponder, type StorageConfigResponder } from './mqtt/storage-config.js'

export interface RunningServer {
  app: FastifyInstance
  /** Base URL the HTTP API listens on. */
  url: string
  mqtt: MqttRuntime
  /** The DJI storage_config_get responder (its counters), when MQTT is on. */
  storageConfig: StorageConfigResponder | undefined
  close (): Promise<void>
}

/** STSGATE_MQTT_URL → client of that broker; else the embedded broker unless STSGATE_MQTT_PORT=0. */
export async function mqttModeFrom (config: Config): Promise<MqttMode> {
  if (config.mqtt.url !== undefined) return { mode: 'external', url: config.mqtt.url }
  if (config.mqtt.port === 0) return { mode: 'off' }
  const tls = config.tls === undefined
    ? undefined
    : { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) }
  return {
    mode: 'embedded',
    host: config.mqtt.host,
    port: config.mqtt.port,
    requireTimestamp: config.mqtt.requireTimestamp,
    limits: { connectTimeoutMs: config.mqtt.connectTimeoutMs, maxPacketBytes: config.mqtt.maxPacketBytes },
    loginLimits: {
      failuresPerAddress: config.mqtt.loginFailuresPerAddress,
      failuresPerIdentity: config.mqtt.loginFailuresPerIdentity,
      concurrentChecks: config.mqtt.loginChecks,
      // A fleet reconnecting after a restart (50 docks behind one NAT in the
      // bench) must queue, not be refused: 64 waiting per check is about 2–4 s
      // of scrypt work on 2 cores, well inside the connect timeout.
      queuedChecks: 64 * config.mqtt.loginChecks
    },
    sessionLimits: {
      maxQueuedMessages: config.mqtt.maxQueuedMessages,
      maxQueuedBytes: config.mqtt.maxQueuedBytes,
      sessionExpiryMs: config.mqtt.sessionExpirySeconds * 1000
    },
    ...(tls === undefined ? {} : { tls })
  }
}

/**
 * Starts stsgate: secrets, store (migrations, key check), HTTP API.
 * `close` stops accepting, lets in-flight requests finish, then closes the store.
 */
export async function startServer (config: Config, options: { logStream?: NodeJS.WritableStream } = {}): Promise<RunningServer> {
  const secrets = await resolveRuntimeSecrets(config)
  const store = await Store.open({
    keys: secrets.keys,
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl === undefined ? join(config.dataDir, 'pglite') : undefined
  })
  let app: FastifyInstance
  try {
    app = await buildApp({ config, store, keys: secrets.keys, adminToken: secrets.adminToken, logStream: options.logStream })
  } catch (err) {
    await store.close()
    throw err
  }
  for (const path of secrets.generated) app.log.info({ path }, 'generated a secret into the data directory (mode 0600)')
  if (config.adminToken === undefined) {
    app.log.info({ path: join(config.dataDir, 'admin-token') }, 'the admin token is in this file')
  }
  app.log.info({ store: store.kind, master_key_id: secrets.keys.keyId }, 'store ready')
  let mqtt: MqttRuntime
  let responder: StorageConfigResponder | undefined
  try {
    const mode = await mqttModeFrom(config)
    const { metrics } = app.operations
    mqtt = await startMqtt(mode, {
      store,
      callers: app.callers,
      logger: app.log,
      onLogin: metrics.recordLogin,
      onPublishDropped: metrics.recordPublishDropped,
      onConnectionRefused: metrics.recordConnectionRefused,
      onLoginRefused: metrics.recordLoginRefused,
      onSessionLimit: metrics.recordSessionLimit,
      ...(app.redis === undefined ? {} : { redis: { client: app.redis, prefix: config.redisPrefix } })
    })
    // DJI storage_config_get (docs/dji.md), on whichever broker MQTT uses.
    if (mqtt.transport !== undefined) {
      responder = await startStorageConfigResponder({
        transport: mqtt.transport, gateways: new GatewayVendDirectory(store), credentials: app.vending, config: config.dji, logger: app.log
      }).catch(async (err: unknown) => { await mqtt.close(); throw err })
    }
    app.operations.attachMqtt(mode.mode, {
      ...(mqtt.broker === undefined ? {} : { connections: mqtt.broker.connections }),
      ...(responder === undefined ? {} : { storageConfig: responder.counters })
    })
  } catch (err) {
    await app.close()
    await store.close()
    throw err
  }
  // After in-flight HTTP requests finish: MQTT first, then the store they both use.
  app.addHook('onClose', async () => {
    await responder?.stop()
    await mqtt.close()
    await store.close()
  })
  let url: string
  try {
    url = await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await app.close() // MQTT, then the store (and its lock)
    throw listenError(err as NodeJS.ErrnoException, config)
  }
  return { app, url, mqtt, storageConfig: responder, close: () => app.close() }
}

/** One line naming the variable to change, instead of a bare `listen EADDRINUSE`. */
function listenError (err: NodeJS.ErrnoException, config: Config): Error {
  const where = `${config.host}:${config.port}`
  if (err.code === 'EADDRINUSE') return new Error(`HTTP port ${config.port} on ${config.host} is already in use (is another stsgate running?): set STSGATE_PORT to a free port`, { cause: err })
  if (err.code === 'EACCES') return new Error(`not allowed to listen on ${where}: set STSGATE_PORT to a port above 1023, or grant the capability`, { cause: err })
  if (err.code === 'EADDRNOTAVAIL') return new Error(`${config.host} is not an address of this host: set STSGATE_HOST`, { cause: err })
  return new Error(`cannot listen on ${where} (STSGATE_HOST, STSGATE_PORT): ${err.message}`, { cause: err })
}

/** Closes on SIGTERM/SIGINT; a second signal exits at once. */
export function closeOnSignals (server: RunningServer): void {
  let closing = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1)
    closing = true
    server.app.log.info({ signal }, 'shutting down')
    server.close().then(() => process.exit(0), (err: unknown) => {
      server.app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
}
