import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import { overloadGuard } from '../src/limits/overload.js'
import { ADMIN_TOKEN, buildTestApp } from './helpers/app.js'
import { listen } from './routes/edas-fixtures.js'

/**
 * A freshly started instance is not overloaded by its own start-up work: the
 * event-loop delay counts only from samples taken after the app is ready
 * (src/limits/overload.ts), and /readyz agrees with what requests get.
 */

/** Blocks this process's event loop, as module loading and route compilation do at start-up. */
function busy (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* spin */ }
}

/** One busy-looping process per core, running until killed. */
async function saturateCpu (t: Test): Promise<void> {
  const children: ChildProcess[] = []
  for (let i = 0; i < availableParallelism(); i++) {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("spinning\\n"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'ignore'] })
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve())
      child.once('exit', (code) => reject(new Error(`the CPU burner exited with ${code}`)))
    })
  }
  t.teardown(async () => {
    await Promise.all(children.map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill('SIGKILL') })))
  })
}

t.test('started while every core is busy in another process, the server answers 200 from its first request on', async (t) => {
  await saturateCpu(t)
  const h = await buildTestApp(t) // the default limits: 1000 ms event-loop delay, sampled every second
  const base = await listen(t, h.app)
  const listenedAt = performance.now()
  const statuses = new Map<string, number>()
  // Through the window in which start-up samples would still be read: the grace (2.5 s) and one more sample.
  while (performance.now() - listenedAt < 4000) {
    const [ready, admin] = await Promise.all([
      fetch(`${base}/readyz`).then(async (r) => `${r.status} ${await r.text()}`),
      fetch(`${base}/admin/v1/projects`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(async (r) => { await r.arrayBuffer(); return String(r.status) })
    ])
    for (const s of [`readyz ${ready}`, `admin ${admin}`]) statuses.set(s, (statuses.get(s) ?? 0) + 1)
  }
  t.same([...statuses.keys()].sort(), ['admin 200', 'readyz 200 {"status":"ready"}'], `every answer a 200 (${JSON.stringify(Object.fromEntries(statuses))})`)
})

t.test('event-loop delay from before ready is ignored; delay after the grace still sheds', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(overloadGuard, { maxEventLoopDelayMs: 50, maxHeapUsedBytes: 0, sampleIntervalMs: 1000 })
  app.get('/readyz', async () => ({ status: 'ready' }))
  busy(2000) // start-up work: one 2 s stall, far above the 50 ms limit
  await app.ready()
  // Wait until a sample has recorded the stall, then ask (well inside the 2.5 s grace, also on a busy host).
  while (app.memoryUsage().eventLoopDelay <= 50) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(app.memoryUsage().eventLoopDelay > 50, `the sample holds the start-up stall (${Math.round(app.memoryUsage().eventLoopDelay)} ms)`)
  const fresh = await app.inject('/readyz')
  t.equal(fresh.statusCode, 200, 'not refused for its own start-up')

  // After the grace (2.5 s here), a loop that keeps stalling is overload again.
  let res = fresh
  while (res.statusCode === 200) {
    busy(200)
    await new Promise((resolve) => setImmediate(resolve))
    res = await app.inject('/readyz')
  }
  t.equal(res.statusCode, 503)
  t.same(res.json(), { status: 'overloaded' })
  t.equal(res.headers['retry-after'], '5')
})
