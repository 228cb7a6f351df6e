import { readFileSync } from 'node:fs'
import type { ServerChild } from './child.js'
import { load, type HttpScenario, type LoadFigures } from './load.js'

/** One load run against a server child, with the server's own CPU time per request. */
export type RunFigures = LoadFigures & { serverCpuUsPerRequest?: number }

/**
 * CPU seconds the server process has used (all its threads), from /proc: what a
 * request costs the server, whatever else the shared machine is doing.
 */
export function serverCpuSeconds (pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined
  }
}

export interface MeasureOptions {
  connections: number
  /** Seconds. */
  duration: number
  overallRate?: number
  /** Requests per second to sign ahead for. */
  expectedRps: number
  log?: (line: string) => void
}

export async function measure (child: ServerChild, scenario: HttpScenario, options: MeasureOptions): Promise<RunFigures> {
  const cpuBefore = serverCpuSeconds(child.pid)
  const figures = await load(child.url, scenario, {
    connections: options.connections, duration: options.duration, expected: Math.ceil(options.expectedRps * options.duration * 1.5) + 100,
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate })
  })
  if (figures.non2xx > 0 || figures.errors > 0) options.log?.(`  ! ${scenario.name}: ${figures.non2xx} non-2xx, ${figures.errors} errors`)
  const cpuAfter = serverCpuSeconds(child.pid)
  if (cpuBefore === undefined || cpuAfter === undefined || figures.requests === 0) return figures
  return { ...figures, serverCpuUsPerRequest: (cpuAfter - cpuBefore) * 1e6 / figures.requests }
}

/** Mean of the known values; undefined when none is. */
export const meanOf = (values: Array<number | undefined>): number | undefined => {
  const known = values.filter((x): x is number => x !== undefined)
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length
}
