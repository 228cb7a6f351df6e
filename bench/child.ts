import { fork, type ChildProcess } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SERVE_FLAGS } from '../src/store/pglite-tuning.js'
import type { ChildMessage, MemorySample, ParentMessage } from './protocol.js'

/** Node flags of every server child, baseline and stsgate alike. */
export const SERVER_NODE_FLAGS = ['--expose-gc']

export interface ServerChild {
  mode: 'baseline' | 'stsgate'
  url: string
  pid: number
  /** Every memory sample so far (one each 250 ms). */
  samples: MemorySample[]
  /** Peak RSS since the last resetPeak(). */
  peakRss: number
  /** Milliseconds from fork to 'ready' (node start, module loading, store open, listen). */
  startMs: number
  /** Highest RSS of any child process it ran while starting (the embedded store's initdb), in bytes; 0 if none. */
  startChildPeakRss: number
  /** The kernel's high-water mark of the process's RSS (VmHWM), in bytes: the true peak, not a sample. */
  highWaterRss (): number
  resetPeak (): void
  counters (): Promise<any>
  /** Full GC in the child, then a memory sample. */
  gcSample (): Promise<MemorySample>
  stop (): Promise<void>
}

export interface StartOptions {
  env: Record<string, string>
  /** The child's stdout (its log) goes to this file. */
  logFile: string
  /** Write a V8 CPU profile into this directory on exit. */
  cpuProfDir?: string
}

export async function startServerChild (mode: 'baseline' | 'stsgate', options: StartOptions): Promise<ServerChild> {
  const log = openSync(options.logFile, 'w')
  const forkedAt = process.hrtime.bigint()
  // stsgate as its bin and `npm start` run it (src/store/pglite-tuning.ts); the baseline runs no WASM.
  const execArgv = [...SERVER_NODE_FLAGS, ...(mode === 'stsgate' ? SERVE_FLAGS : []), ...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`])]
  const proc: ChildProcess = fork(fileURLToPath(new URL('./server.js', import.meta.url)), [mode], {
    execArgv,
    // Only the configuration the bench gives: an STSGATE_* variable of the calling shell must not change what is measured.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STSGATE_'))), ...options.env },
    stdio: ['ignore', log, 'inherit', 'ipc']
  })
  closeSync(log)
  let nextId = 1
  const waiting = new Map<number, (message: ChildMessage) => void>()
  const child: ServerChild = {
    mode,
    url: '',
    pid: proc.pid ?? 0,
    samples: [],
    peakRss: 0,
    startMs: 0,
    startChildPeakRss: 0,
    highWaterRss: () => statusBytes(proc.pid ?? 0, 'VmHWM'),
    resetPeak () { child.peakRss = 0 },
    counters: () => ask({ type: 'counters', id: nextId++ }).then((m) => (m as { counters: unknown }).counters),
    gcSample: () => ask({ type: 'gc', id: nextId++ }) as Promise<MemorySample>,
    async stop () {
      if (proc.exitCode !== null) return
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
      proc.send({ type: 'stop' } satisfies ParentMessage)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  function ask (message: ParentMessage & { id: number }): Promise<ChildMessage> {
    return new Promise((resolve) => {
      waiting.set(message.id, resolve)
      proc.send(message)
    })
  }
  const ready = new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${mode} server exited with ${String(code)} before it was ready (log: ${options.logFile})`)))
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        child.url = message.url
        resolve()
      } else if (message.type === 'memory') {
        if (message.id === undefined) child.samples.push(message)
        child.peakRss = Math.max(child.peakRss, message.rss)
      }
      const id = (message as { id?: number }).id
      if (id !== undefined) {
        waiting.get(id)?.(message)
        waiting.delete(id)
      }
    })
  })
  // While it starts, watch the processes it forks (initdb) for their peak RSS.
  const watch = setInterval(() => {
    for (const pid of childPids(proc.pid ?? 0)) child.startChildPeakRss = Math.max(child.startChildPeakRss, statusBytes(pid, 'VmHWM'))
  }, 20)
  try {
    await ready
  } finally {
    clearInterval(watch)
  }
  child.startMs = Number(process.hrtime.bigint() - forkedAt) / 1e6
  return child
}

/** A `Vm…` line of /proc/<pid>/status in bytes; 0 when the process is gone. */
function statusBytes (pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? 0 : Number(match[1]) * 1024
  } catch {
    return 0
  }
}

function childPids (pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}
