import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'
import { AuthorizeBody, AuthorizeReply } from '../schemas/workspace.js'
import type { ChildMessage, MemorySample, ParentMessage } from './protocol.js'

/**
 * The server under test, in a child process of its own so that the load
 * generator never shares its event loop. Started by bench/run.ts as
 *   node [--expose-gc] dist-bench/bench/server.js baseline|stsgate
 * with the same node flags and log level for both modes. It reports
 * process.memoryUsage() over IPC every 250 ms and answers counter and gc
 * requests; 'stop' closes it.
 *
 * baseline: bare Fastify 5 routes with the same logger level: GET /baseline
 * answering BENCH_BASELINE_BODY (an EDAS reply), POST /baseline taking a JSON
 * body and answering BENCH_BASELINE_POST_BODY (a Workspace reply), with
 * Workspace's body and reply schemas.
 * stsgate:  startServer() on a fresh embedded store (PGlite) in a temporary
 * directory, embedded MQTT broker on STSGATE_MQTT_PORT; configuration comes
 * from the STSGATE_* environment the parent sets.
 */

const send = (message: ChildMessage): void => { if (process.connected) process.send?.(message) }
const gc = (globalThis as { gc?: () => void }).gc

function memory (): MemorySample {
  const m = process.memoryUsage()
  return { type: 'memory', at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }
}

async function startBaseline (): Promise<{ url: string, counters: () => unknown, close: () => Promise<void> }> {
  const body = JSON.parse(process.env.BENCH_BASELINE_BODY ?? '{}') as Record<string, unknown>
  const postBody = JSON.parse(process.env.BENCH_BASELINE_POST_BODY ?? '{}') as Record<string, unknown>
  // The level stsgate runs at (its own default, info, when STSGATE_LOG_LEVEL is unset): Fastify's own request logging.
  const app = Fastify({ logger: { level: process.env.STSGATE_LOG_LEVEL ?? 'info' } })
  app.get('/baseline', async () => body)
  // Like Workspace authorize: a JSON body checked against the same schema, the reply serialized by the same schema.
  app.post('/baseline', { schema: { body: AuthorizeBody, response: { 200: AuthorizeReply } } }, async () => postBody)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, counters: () => ({}), close: () => app.close() }
}

async function startStsgate (): Promise<{ url: string, counters: () => unknown, close: () => Promise<void> }> {
  // BENCH_DATA_DIR: a data directory the parent owns (start and restart times); else a fresh one, removed on close.
  const kept = process.env.BENCH_DATA_DIR
  const dir = kept ?? await mkdtemp(join(tmpdir(), 'stsgate-bench-'))
  const server = await startServer(loadConfig({ ...process.env, STSGATE_DATA_DIR: dir, STSGATE_HOST: '127.0.0.1', STSGATE_PORT: '0' }))
  return {
    url: server.url,
    counters: () => ({ credentials: server.app.credentials.counters, storageConfig: server.storageConfig?.counters }),
    close: async () => {
      await server.close()
      if (kept === undefined) await rm(dir, { recursive: true, force: true })
    }
  }
}

const mode = process.argv[2]
if (mode !== 'baseline' && mode !== 'stsgate') throw new Error('usage: server.js baseline|stsgate')
const server = mode === 'baseline' ? await startBaseline() : await startStsgate()
const sampler = setInterval(() => send(memory()), 250)
process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'counters':
      send({ type: 'counters', id: message.id, counters: server.counters() })
      break
    case 'gc':
      // Twice: the first pass finalizes, the second frees what finalizers released.
      gc?.()
      gc?.()
      send({ ...memory(), id: message.id })
      break
    case 'stop':
      clearInterval(sampler)
      server.close().finally(() => process.exit(0))
      break
  }
})
// The parent is gone (it failed or was killed): do not outlive it.
process.once('disconnect', () => { clearInterval(sampler); server.close().finally(() => process.exit(0)) })
send({ type: 'ready', url: server.url, pid: process.pid })
