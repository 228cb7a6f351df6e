import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServerChild } from './child.js'

/**
 * First start and restart of the embedded store, each timed from fork to
 * listening (node start-up, module loading, initdb or not, migrations, MQTT
 * and HTTP listen), with the RSS after a full GC once it is up, the kernel's
 * peak RSS of the process (VmHWM) and of initdb's child process. Run alone:
 *   node --expose-gc dist-bench/bench/startup.js
 * or from bench/run.ts.
 */
export interface StartFigures {
  ms: number
  rssAtRestMb: number
  peakRssMb: number
  /** The initdb child's peak, on a first start. */
  childPeakRssMb: number
}

const MB = (bytes: number): number => Math.round(bytes / 1024 / 1024 * 10) / 10

export async function measureStart (env: Record<string, string>, logFile: string): Promise<StartFigures> {
  const child = await startServerChild('stsgate', { env, logFile })
  try {
    const rest = await child.gcSample()
    return { ms: child.startMs, rssAtRestMb: MB(rest.rss), peakRssMb: MB(child.highWaterRss()), childPeakRssMb: MB(child.startChildPeakRss) }
  } finally {
    await child.stop()
  }
}

/** A first start on an empty data directory, then a restart on the same directory. */
export async function measureStarts (env: Record<string, string>, workDir: string): Promise<{ first: StartFigures, restart: StartFigures }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stsgate-bench-start-'))
  try {
    const withDir = { ...env, BENCH_DATA_DIR: dataDir }
    const first = await measureStart(withDir, join(workDir, 'first-start.log'))
    const restart = await measureStart(withDir, join(workDir, 'restart.log'))
    return { first, restart }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (process.argv[1]?.endsWith('startup.js') === true) {
  const workDir = mkdtempSync(join(tmpdir(), 'stsgate-bench-start-logs-'))
  const figures = await measureStarts({ STSGATE_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef0123456789', STSGATE_MQTT_PORT: '0', STSGATE_LOG_LEVEL: 'warn' }, workDir)
  process.stdout.write(JSON.stringify(figures) + '\n')
}
