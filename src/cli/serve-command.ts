import { ConfigError, loadConfig } from '../config.js'
import { closeOnSignals, startServer } from '../server.js'

/** `stsgate serve`: -1 keeps the process running; 2 for configuration errors, 1 when it cannot start. */
export async function runServe (): Promise<number> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stsgate: configuration error\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`)
      return 2
    }
    throw err
  }
  try {
    closeOnSignals(await startServer(config, { logStream: await terminalLogStream() }))
  } catch (err) {
    process.stderr.write(`stsgate: cannot start: ${(err as Error).message}\n`)
    return 1
  }
  return -1 // keep running
}

/**
 * A person at a terminal gets one readable line per event; anything else (a
 * pipe, journald, a log shipper) keeps pino's JSON lines. pino-pretty is an
 * optional dependency: without it, JSON everywhere.
 */
async function terminalLogStream (): Promise<NodeJS.WritableStream | undefined> {
  if (process.stdout.isTTY !== true) return undefined
  try {
    const { default: pretty } = await import('pino-pretty')
    return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true })
  } catch {
    return undefined
  }
}
