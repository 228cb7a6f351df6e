import { randomBytes, randomUUID } from 'node:crypto'
import { MemoryReplayGuard } from '../src/auth/replay.js'

/**
 * Bytes of memory per remembered nonce in the in-memory replay window:
 *   node --expose-gc dist-bench/bench/replay-memory.js [N]
 * Full GC, heap + array buffers before; N signed-request keys (half ROA
 * nonces, half Huawei signatures, as src/auth/aliyun.ts and huawei.ts make
 * them) remembered for 15 minutes; full GC, after. Prints one JSON line.
 * bench/run.ts runs it in a child process of its own.
 */
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const n = Number(process.argv[2] ?? 1_000_000)

const used = (): number => {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const keys = (i: number): string => i % 2 === 0
  ? `aliyun:roa:LTAI5tBenchAccessKey01:${randomUUID()}`
  : `hw:HWBENCHACCESSKEY0001:${randomBytes(32).toString('hex')}`

const now = Date.now()
const guard = new MemoryReplayGuard(() => now)
const before = used()
const started = process.hrtime.bigint()
for (let i = 0; i < n; i++) {
  // Request times spread over the last minute, as a steady stream of signed requests would be.
  if (await guard.remember(keys(i), now - (i % 60_000) + 15 * 60_000) !== true) throw new Error('a fresh key was refused')
}
const nsPerKey = Number(process.hrtime.bigint() - started) / n
const after = used()
// Read after the measurement, so the guard is still alive for it.
const held = (guard as { size?: number }).size
process.stdout.write(JSON.stringify({ keys: n, held, bytesPerKey: (after - before) / n, heapDeltaMb: (after - before) / 1024 / 1024, nsPerRememberIncludingKeyMaking: nsPerKey }) + '\n')
