import type { CallerDirectory } from '../auth/callers.js'
import type { Store } from '../store/store.js'
import { startEmbeddedBroker, type BrokerLogger, type EmbeddedBroker, type EmbeddedBrokerOptions } from './broker.js'
import type { DeviceDirectory } from './device-login.js'
import { SERVICE_USERNAME_PREFIX, type GatewayDirectory } from './gateway-login.js'
import type { Redis } from 'ioredis'
import type { GuardCloseReason } from './packet-guard.js'
import { RedisFailureBuckets, type LoginLimitSettings } from './login-limits.js'
import type { LoginRefusal, SessionLimitEvent } from './broker.js'
import type { SessionLimits } from './session-store.js'
import type { LoginKind } from './sessions.js'
import { embeddedTransport, externalTransport, type MqttTransport } from './transport.js'

/** Where MQTT comes from: stsgate's own broker, an external one, or none. */
export type MqttMode =
  | { mode: 'embedded', host: string, port: number, tls?: { cert: Buffer, key: Buffer }, requireTimestamp: boolean, limits?: EmbeddedBrokerOptions['limits'], loginLimits?: Partial<LoginLimitSettings>, sessionLimits?: Partial<SessionLimits> }
  | { mode: 'external', url: string }
  | { mode: 'off' }

export interface MqttRuntime {
  /** The embedded broker, when there is one. */
  broker: EmbeddedBroker | undefined
  /** For the server-side responders (DJI storage_config_get); undefined when MQTT is off. */
  transport: MqttTransport | undefined
  /** Closes a device's live connections on this instance; returns how many. */
  disconnectDevice (deviceId: string): number
  close (): Promise<void>
}

export interface MqttRuntimeDeps {
  store: Store
  callers: CallerDirectory
  logger: BrokerLogger & { error (obj: object, msg: string): void }
  onLogin?: (kind: LoginKind, accepted: boolean) => void
  onPublishDropped?: (kind: LoginKind | 'unknown') => void
  onConnectionRefused?: (reason: GuardCloseReason) => void
  onLoginRefused?: (reason: LoginRefusal) => void
  onSessionLimit?: (event: SessionLimitEvent) => void
  /** Shares the failed-login buckets between instances (STSGATE_REDIS_URL). */
  redis?: { client: Redis, prefix: string }
}

/**
 * Starts MQTT as configured. Device and dock logins are checked against the
 * store on every CONNECT (no cache: a reset secret or disabled dock is refused
 * at once, on every instance). Store notifications close live sessions that
 * must end: force_disconnect, deleted devices, disabled or deleted docks.
 */
export async function startMqtt (mode: MqttMode, deps: MqttRuntimeDeps): Promise<MqttRuntime> {
  const { store, callers, logger } = deps
  if (mode.mode === 'off') {
    return { broker: undefined, transport: undefined, disconnectDevice: () => 0, close: async () => {} }
  }
  if (mode.mode === 'external') {
    const transport = await externalTransport(mode.url, {
      shareGroup: 'stsgate',
      onEvent: (event, detail) => logger.warn({ event, err: detail }, 'external MQTT broker')
    })
    return { broker: undefined, transport, disconnectDevice: () => 0, close: () => transport.close() }
  }

  const devices: DeviceDirectory = { findDevice: (deviceId) => store.devices.findForLogin(deviceId) }
  const gateways: GatewayDirectory = {
    verifyGateway: (sn, password) => store.gateways.verifyLogin(sn, password),
    // The operator's server: username `service:{project_id}`, password a project token.
    async verifyService (username, password) {
      const projectId = username.slice(SERVICE_USERNAME_PREFIX.length)
      let caller: Awaited<ReturnType<CallerDirectory['verifyToken']>>
      try {
        caller = await callers.verifyToken(password.toString('utf8'))
        if (caller.projectId !== projectId || caller.expiresAt === undefined) return undefined
      } catch {
        return undefined
      }
      // The session ends with this token: on revocation (below) and at its expiry (a timer per session).
      return { projectId, sns: () => store.gateways.listOwnedSns(projectId), credential: { principal: caller.principal, expiresAt: caller.expiresAt } }
    }
  }
  const broker = await startEmbeddedBroker({
    host: mode.host,
    port: mode.port,
    ...(mode.tls === undefined ? {} : { tls: mode.tls }),
    devices,
    gateways,
    requireTimestamp: mode.requireTimestamp,
    logger,
    ...(deps.onLogin === undefined ? {} : { onLogin: deps.onLogin }),
    ...(deps.onPublishDropped === undefined ? {} : { onPublishDropped: deps.onPublishDropped }),
    ...(deps.onConnectionRefused === undefined ? {} : { onConnectionRefused: deps.onConnectionRefused }),
    ...(mode.limits === undefined ? {} : { limits: mode.limits }),
    ...(mode.loginLimits === undefined ? {} : { loginLimits: mode.loginLimits }),
    ...(deps.onLoginRefused === undefined ? {} : { onLoginRefused: deps.onLoginRefused }),
    ...(deps.onSessionLimit === undefined ? {} : { onSessionLimit: deps.onSessionLimit }),
    ...(mode.sessionLimits === undefined ? {} : { sessionLimits: mode.sessionLimits }),
    ...(deps.redis === undefined
      ? {}
      : { failureBuckets: new RedisFailureBuckets(deps.redis.client, deps.redis.prefix, (err) => logger.warn({ err }, 'mqtt login limits in redis unavailable; counting per instance')) })
  })
  const stopListening = store.onChange((change) => {
    if (change.kind === 'device' && change.disconnect === true) broker.disconnectDevice(change.id)
    // A revoked token ends the service sessions that logged in with it (docs/dji.md "Sessions end with their credentials").
    if (change.kind === 'token' && change.disconnect === true) broker.sessions.end(`token:${change.id}`)
    if (change.kind === 'project') {
      // A disabled project's devices and docks stop at once, live sessions included.
      store.projects.find(change.projectId).then((project) => {
        if (project === undefined || project.disabled) broker.disconnectProject(change.projectId)
      }, (err: unknown) => logger.error({ err }, 'could not check a changed project'))
    }
    if (change.kind === 'gateway') {
      // Any project's service sessions stop matching this sn at once, then re-read their lists:
      // a dock deleted here and registered elsewhere must not reach the old project.
      for (const session of broker.sessions.services()) session.service.gatewayChanged(change.id)
      // Disabled or deleted: its next login is refused anyway; end the live one now.
      store.gateways.resolveForVend(change.id).then((found) => {
        if (found === undefined || found.disabled) broker.disconnectGateway(change.id)
      }, (err: unknown) => logger.error({ err }, 'could not check a changed gateway'))
    }
  })
  const transport = embeddedTransport(broker.broker, (err, topic) => logger.error({ err, topic }, 'MQTT handler failed'))
  return {
    broker,
    transport,
    disconnectDevice: (deviceId) => broker.disconnectDevice(deviceId),
    async close () {
      stopListening()
      await transport.close()
      await broker.close()
    }
  }
}
