import { createServer as createNetServer, isIP, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import { deviceMayUse, verifyDeviceLogin, type DeviceDirectory, type DeviceLoginRefusal } from './device-login.js'
import { gatewayMayUse, ServiceSession, type GatewayDirectory } from './gateway-login.js'
import { classifyConnect, clientIdBelongs, SessionRegistry, type LoginKind, type Session } from './sessions.js'
import { DEFAULT_LOGIN_LIMITS, LocalFailureBuckets, LoginLimiter, type FailureBuckets, type LoginLimitRefusal, type LoginLimitSettings } from './login-limits.js'
import { boundedSessionStore, DEFAULT_SESSION_LIMITS, type SessionLimits } from './session-store.js'
import { DEFAULT_PACKET_LIMITS, guardSocket, type GuardCloseReason, type PacketGuard, type PacketLimits } from './packet-guard.js'
import { sampledLog } from './sampled-log.js'

/** pino-compatible subset (Fastify's logger fits). */
export interface BrokerLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  debug? (obj: object, msg: string): void
}

export interface EmbeddedBrokerOptions {
  host: string
  /** 0 picks a free port (tests). */
  port: number
  /** PEM; when given the listener speaks MQTTS only. */
  tls?: { cert: string | Buffer, key: string | Buffer }
  devices: DeviceDirectory
  gateways: GatewayDirectory
  /** STSGATE_MQTT_REQUIRE_TIMESTAMP=1: refuse IoTDA sign_type 0 (docs/security.md rule 7). */
  requireTimestamp: boolean
  logger: BrokerLogger
  /** Clock in epoch milliseconds; tests move it. */
  now?: () => number
  /** Every login decision, for metrics. */
  onLogin?: (kind: LoginKind, accepted: boolean) => void
  /** Every publish refused by the ACL (and dropped), for metrics. */
  onPublishDropped?: (kind: LoginKind | 'unknown') => void
  /** Size and time bounds per connection (docs/operations.md "MQTT limits"). */
  limits?: Partial<Pick<PacketLimits, 'maxPacketBytes' | 'connectTimeoutMs'>>
  /** Every connection the packet guard closed, for metrics. */
  onConnectionRefused?: (reason: GuardCloseReason) => void
  /** Failed-login and concurrent-check limits (docs/operations.md "MQTT limits"). */
  loginLimits?: Partial<LoginLimitSettings>
  /** Where failed-login buckets live; by default in this process. */
  failureBuckets?: FailureBuckets
  /** Every refused login, by reason, for metrics. */
  onLoginRefused?: (reason: LoginRefusal) => void
  /** Offline queues and persistent sessions (docs/operations.md "MQTT limits"). */
  sessionLimits?: Partial<SessionLimits>
  /** A RETAIN not stored, a message not queued for a full queue, a persistent session forgotten: for metrics. */
  onSessionLimit?: (event: SessionLimitEvent) => void
}

export type SessionLimitEvent = 'retain_refused' | 'queue_full' | 'session_expired'

/** Why a login was refused: bounded values only (metric labels, log sampling). */
export type LoginRefusal = LoginLimitRefusal | DeviceLoginRefusal | 'bad_credentials' | 'no_credentials' | 'client_id_not_owned' | 'directory_unavailable'

export interface EmbeddedBroker {
  /** The port actually bound. */
  readonly port: number
  readonly broker: Aedes
  /** Closes a device's live connections (ResetDeviceSecret force_disconnect); returns how many. */
  disconnectDevice (deviceId: string): number
  /** Closes a gateway's live connections (gateway disabled or deleted); returns how many. */
  disconnectGateway (sn: string): number
  /** Closes every live connection of a project (disabled or deleted); returns how many. */
  disconnectProject (projectId: string): number
  /** Live sessions by credential: ending a token's sessions, telling service sessions a gateway changed. */
  readonly sessions: SessionRegistry
  /** Accepted connections now live. */
  connections (): number
  close (): Promise<void>
}

/** The broker must stay loopback-only unless TLS is configured (docs/security.md rule 7). */
export function isLoopback (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1' || /^::ffff:127\./i.test(host)
}

export async function startEmbeddedBroker (opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { logger, gateways } = opts
  const now = opts.now ?? Date.now
  const registry = new SessionRegistry(now)
  const onLogin = opts.onLogin ?? (() => {})
  const onDropped = opts.onPublishDropped ?? (() => {})
  const onRefused = opts.onConnectionRefused ?? (() => {})
  const limits: PacketLimits = { ...DEFAULT_PACKET_LIMITS, ...opts.limits }
  // Lines a client can provoke at will are sampled; the metrics count every one.
  const sample = sampledLog()
  const onLoginRefused = opts.onLoginRefused ?? (() => {})
  const loginLimiter = new LoginLimiter({ ...DEFAULT_LOGIN_LIMITS, ...opts.loginLimits }, opts.failureBuckets ?? new LocalFailureBuckets(now))
  const onSessionLimit = opts.onSessionLimit ?? (() => {})
  const sessions = boundedSessionStore({ ...DEFAULT_SESSION_LIMITS, ...opts.sessionLimits }, {
    onQueueFull: () => {
      onSessionLimit('queue_full')
      sample('queue_full', (suppressed) => logger.info({ suppressed }, 'mqtt offline queue full; message not queued for that client'))
    },
    onSessionExpired: () => onSessionLimit('session_expired')
  })
  const refuseLogin = (fields: object, reason: LoginRefusal): void => {
    onLoginRefused(reason)
    sample(`login:${reason}`, (suppressed) => logger.info({ ...fields, reason, suppressed }, 'mqtt login refused'))
  }

  async function login (client: Client, username: string | undefined, password: Buffer | undefined): Promise<Session | typeof CLIENT_ID_NOT_OWNED | undefined> {
    const kind = classifyConnect(client.id, username)
    const fields = { clientId: client.id, username, kind }
    let session: Session | undefined
    if (kind === 'device') {
      const r = await verifyDeviceLogin(opts.devices, { requireTimestamp: opts.requireTimestamp, now }, client.id, username, password)
      if (r.ok) session = { kind: 'device', deviceId: r.deviceId, projectId: r.projectId }
      else refuseLogin(fields, r.reason)
    } else if (username !== undefined && username !== '' && password !== undefined) {
      if (kind === 'service') {
        const s = await gateways.verifyService?.(username, password)
        if (s !== undefined) {
          const service = new ServiceSession(s.projectId, s.sns, now,
            (err) => logger.warn({ err, projectId: s.projectId }, 'mqtt service role: listing gateway sns failed'))
          session = { kind: 'service', projectId: s.projectId, service, ...(s.credential === undefined ? {} : { credential: s.credential }) }
        }
      } else {
        const g = await gateways.verifyGateway(username, password)
        if (g !== undefined) session = { kind: 'gateway', sn: username, projectId: g.projectId, sns: new Set([username, ...g.sns]) }
      }
      if (session === undefined) refuseLogin(fields, 'bad_credentials')
    } else {
      refuseLogin(fields, 'no_credentials')
    }
    if (session !== undefined && !clientIdBelongs(client.id, session)) {
      refuseLogin(fields, 'client_id_not_owned')
      onLogin(kind, false)
      return CLIENT_ID_NOT_OWNED
    }
    onLogin(kind, session !== undefined)
    return session
  }

  /** May this session use this topic name (publish) or filter (subscribe)? */
  async function mayUse (session: Session | undefined, topic: string): Promise<boolean> {
    switch (session?.kind) {
      case 'device': return deviceMayUse(session.deviceId, topic)
      case 'gateway': return gatewayMayUse(session.sns, topic)
      case 'service':
        if (ServiceSession.isSnWildcard(topic)) {
          await session.service.refresh() // deliveries are filtered in authorizeForward
          return true
        }
        return await session.service.mayUse(topic)
      default: return false
    }
  }

  /*
   * Refused publishes are dropped, not answered by a disconnect (docs/dji.md "Topics and ACLs":
   * docks would loop reconnecting). MQTT 3.1.1 allows exactly that:
   * "It MUST either make a positive acknowledgement … or close the Network
   * Connection" [MQTT-3.3.5-2]. aedes has no drop: an error from
   * authorizePublish closes the connection (moscajs/aedes#210). So
   * authorizePublish approves the refused packet object and marks it, and the
   * instance's publish() — which aedes calls next with that same object, for
   * QoS 0, 1 (after PUBACK), 2 (after storing it, before PUBREC) and for wills —
   * swallows marked packets before they reach retained storage, offline queues
   * or any subscriber (in-process ones included).
   */
  const refused = new WeakSet<object>()

  const broker = await Aedes.createBroker({
    connectTimeout: limits.connectTimeoutMs,
    persistence: sessions.persistence,
    authenticate (client, username, password, done) {
      // Limits first: a refused attempt costs no password check (docs/operations.md "MQTT limits").
      loginLimiter.admit('remoteAddress' in client.conn ? client.conn.remoteAddress : undefined, username ?? undefined).then(async (admission) => {
        if (!admission.admitted) {
          refuseLogin({ clientId: client.id, username }, admission.reason)
          return done(refusal(3, 'Server unavailable'), false)
        }
        const { ticket } = admission
        if (client.closed) return ticket.finish(false) // timed out while queued
        let session: Session | typeof CLIENT_ID_NOT_OWNED | undefined
        try {
          session = await login(client, username ?? undefined, password ?? undefined)
        } catch (err) {
          // A directory failure (store down) is not the device's fault: "server unavailable", and no failure counted.
          ticket.finish(false)
          onLoginRefused('directory_unavailable')
          logger.warn({ err, clientId: client.id }, 'mqtt login failed: directory unavailable')
          return done(refusal(3, 'Server unavailable'), false)
        }
        ticket.finish(session === undefined || session === CLIENT_ID_NOT_OWNED)
        if (session === undefined) return done(refusal(4, 'Bad username or password'), false)
        // The right password for the wrong client id: the session owning that id stays up.
        if (session === CLIENT_ID_NOT_OWNED) return done(refusal(5, 'Not authorized'), false)
        registry.bind(client, session)
        done(null, true)
      }).catch((err: unknown) => {
        logger.warn({ err, clientId: client.id }, 'mqtt login failed')
        done(refusal(3, 'Server unavailable'), false)
      })
    },
    authorizePublish (client, packet, callback) {
      const session = registry.sessionOf(client)
      mayUse(session, packet.topic).catch((err: unknown) => {
        logger.warn({ err, clientId: client?.id }, 'mqtt publish check failed')
        return false
      }).then((ok) => {
        if (!ok) {
          logger.warn({ clientId: client?.id, kind: session?.kind, topic: packet.topic }, 'mqtt publish refused by ACL; dropped')
          onDropped(session?.kind ?? 'unknown')
          refused.add(packet)
        }
        callback(null)
      }, callback)
    },
    authorizeSubscribe (client, sub, callback) {
      const session = registry.sessionOf(client)
      mayUse(session, sub.topic).catch((err: unknown) => {
        logger.warn({ err, clientId: client.id }, 'mqtt subscribe check failed')
        return false
      }).then((ok) => {
        if (ok) return callback(null, sub)
        logger.warn({ clientId: client.id, kind: session?.kind, topic: sub.topic }, 'mqtt subscribe refused by ACL')
        callback(null, null) // failure SUBACK (0x80), connection stays
      }, (err: Error) => callback(err))
    },
    authorizeForward (client, packet) {
      const session = registry.sessionOf(client)
      if (session?.kind === 'service' && !session.service.mayReceive(packet.topic)) return null
      return packet
    }
  })

  dropMarked(broker, refused, (client) => {
    onSessionLimit('retain_refused')
    sample('retain_refused', (suppressed) => logger.info({ clientId: client?.id, suppressed }, 'mqtt RETAIN not stored (no contract topic is retained); message delivered'))
  })

  broker.on('client', (client) => {
    guards.get(client.conn)?.loggedIn()
    registry.add(client)
    sessions.connected(client)
  })
  broker.on('clientDisconnect', (client) => {
    registry.remove(client)
    sessions.disconnected(client)
  })
  broker.on('clientError', (client, err) => logger.debug?.({ err, clientId: client.id }, 'mqtt client error'))
  broker.on('connectionError', (client, err) => logger.debug?.({ err, clientId: client.id }, 'mqtt connection error'))

  // Every connection gets a packet guard before aedes parses a byte of it (docs/operations.md "MQTT limits").
  const guards = new WeakMap<object, PacketGuard>()
  const accept = (socket: Socket): void => {
    broker.handle(socket)
    guards.set(socket, guardSocket(socket, limits, (reason) => {
      onRefused(reason)
      sample(`guard:${reason}`, (suppressed) => logger.info({ reason, remoteAddress: socket.remoteAddress, suppressed }, 'mqtt connection closed by the packet guard'))
    }))
  }
  const server: Server = opts.tls === undefined
    ? createNetServer(accept)
    : createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: limits.connectTimeoutMs }, accept)
  // Connections that never finish CONNECT are not aedes clients yet; close() must end them too.
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  try {
    await listen(server, opts.host, opts.port)
  } catch (err) {
    await closeAedes(broker)
    throw err
  }
  server.on('error', (err) => logger.warn({ err }, 'mqtt listener error'))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : opts.port
  const scheme = opts.tls === undefined ? 'mqtt' : 'mqtts'
  if (opts.tls === undefined && !isLoopback(opts.host)) {
    logger.warn({ host: opts.host, port },
      'embedded MQTT broker listens in plaintext on a non-loopback address: device and dock passwords cross the network readable; configure TLS (docs/security.md rule 7)')
  }
  logger.info({ url: `${scheme}://${opts.host}:${port}` }, 'embedded MQTT broker listening')

  return {
    port,
    broker,
    disconnectDevice: (deviceId) => registry.disconnect('device', deviceId),
    disconnectGateway: (sn) => registry.disconnect('gateway', sn),
    disconnectProject: (projectId) => registry.disconnectProject(projectId),
    sessions: registry,
    connections: () => registry.count(),
    async close () {
      sessions.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await closeAedes(broker)
      for (const socket of sockets) socket.destroy()
      await closed
    }
  }
}

type Done = (err?: Error) => void
type RawPublish = (packet: PublishPacket, client: Client | null | Done, done?: Done) => void

/**
 * Wraps the instance's publish (runtime signature `(packet, client?, done)`)
 * to swallow marked packets, and to clear RETAIN on everything else: no
 * contract topic is retained (src/mqtt/session-store.ts), so the message is
 * delivered and never stored. Wills come through here too.
 */
function dropMarked (broker: Aedes, refused: WeakSet<object>, onRetain: (client: Client | null) => void): void {
  const target = broker as unknown as { publish: RawPublish }
  const publish = target.publish.bind(broker)
  target.publish = (packet, client, done) => {
    if (typeof client === 'function') { done = client; client = null }
    if (refused.has(packet)) return done?.()
    if (packet.retain) {
      packet.retain = false
      onRetain(client ?? null)
    }
    publish(packet, client, done)
  }
}

/** login()'s answer for valid credentials presented under someone else's client id. */
const CLIENT_ID_NOT_OWNED = Symbol('client id not owned')

function refusal (returnCode: 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode })
}

const closeAedes = (broker: Aedes): Promise<void> => new Promise((resolve) => broker.close(() => resolve()))

function listen (server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`MQTT port ${port} on ${host} is already in use (is another MQTT broker running there?): ` +
          'set STSGATE_MQTT_PORT to a free port for the embedded broker, or set STSGATE_MQTT_URL to use that broker as an external broker', { cause: err }))
      } else {
        reject(new Error(`embedded MQTT broker cannot listen on ${host}:${port}: ${err.message}`, { cause: err }))
      }
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
