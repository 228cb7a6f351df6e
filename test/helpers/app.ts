import { Writable } from 'node:stream'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp, SECRET_CONTAINERS, SECRET_FIELDS, type AppDeps } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import type { MasterKey } from '../../src/keys.js'
import type { Store } from '../../src/store/store.js'
import { openTestStore, testMasterKey } from './store.js'

/**
 * Rate limits and load shedding off unless a test turns them on: a route test
 * may send more than a minute's allowance from 127.0.0.1, and PGlite's start-up
 * blocks the event loop long enough to trip the lag check on a busy CI machine.
 * test/rate-limit.test.ts and test/overload.test.ts set their own.
 */
export const QUIET_LIMITS: Record<string, string> = {
  STSGATE_RATE_LIMIT_IP_PER_MINUTE: '0',
  STSGATE_RATE_LIMIT_PRINCIPAL_PER_MINUTE: '0',
  STSGATE_RATE_LIMIT_PROJECT_PER_MINUTE: '0',
  STSGATE_MAX_EVENT_LOOP_DELAY_MS: '0'
}

const REDACTED_NAMES = new Set([...SECRET_FIELDS, ...SECRET_CONTAINERS])

/**
 * The keys of a log line that the redaction watches. A request line must have
 * none: then pino writes it without running the redaction (routes/request-log.ts).
 */
export const redactedNamesIn = (line: object): string[] => Object.keys(line).filter((key) => REDACTED_NAMES.has(key))

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789'

export interface TestApp {
  app: FastifyInstance
  store: Store
  keys: MasterKey
  config: Config
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>
  /** Raw log text, for "no secret in the logs" assertions. */
  logText: () => string
  /** Admin API call through inject; returns status and parsed JSON. */
  admin: (method: string, url: string, body?: unknown) => Promise<{ status: number, body: any }>
}

/**
 * A built (not listening) app on a fresh store, with the given environment
 * overrides. `kind` picks PGlite or PostgreSQL (see STORE_KINDS).
 */
export async function buildTestApp (t: Test, options: { env?: Record<string, string>, kind?: 'pglite' | 'postgres', store?: Store, keys?: MasterKey, credentialOptions?: AppDeps['credentialOptions'], replay?: AppDeps['replay'] } = {}): Promise<TestApp> {
  const config = loadConfig({ ...QUIET_LIMITS, STSGATE_LOG_LEVEL: 'info', STSGATE_MQTT_PORT: '0', ...options.env })
  const keys = options.keys ?? testMasterKey()
  const store = options.store ?? await openTestStore(t, options.kind, keys)
  const lines: string[] = []
  const logStream = new Writable({ write (chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done() } })
  const app = await buildApp({ config, store, keys, adminToken: ADMIN_TOKEN, logStream, credentialOptions: options.credentialOptions, ...(options.replay === undefined ? {} : { replay: options.replay }) })
  t.teardown(() => app.close())
  await app.ready()
  return {
    app,
    store,
    keys,
    config,
    get logs () { return lines.map((l) => JSON.parse(l) as Record<string, unknown>) },
    logText: () => lines.join('\n'),
    admin: async (method, url, body) => {
      const res = await app.inject({
        method: method as 'GET',
        url: `/admin/v1${url}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        payload: body === undefined ? undefined : JSON.stringify(body)
      })
      return { status: res.statusCode, body: res.body === '' ? undefined : res.json() }
    }
  }
}
