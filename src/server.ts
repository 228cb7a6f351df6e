import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { buildApp } from './app.js'
import { resolveRuntimeSecrets } from './runtime-secrets.js'
import { Store } from './store/store.js'

export interface RunningServer {
  app: FastifyInstance
  /** Base URL the HTTP API listens on. */
  url: string
  close (): Promise<void>
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
    app.addHook('onClose', async () => { await store.close() })
  } catch (err) {
    await store.close()
    throw err
  }
  for (const path of secrets.generated) app.log.info({ path }, 'generated a secret into the data directory (mode 0600)')
  if (config.adminToken === undefined) {
    app.log.info({ path: join(config.dataDir, 'admin-token') }, 'the admin token is in this file')
  }
  app.log.info({ store: store.kind, master_key_id: secrets.keys.keyId }, 'store ready')
  const url = await app.listen({ host: config.host, port: config.port })
  return { app, url, close: () => app.close() }
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
