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
    closeOnSignals(await startServer(config))
  } catch (err) {
    process.stderr.write(`stsgate: cannot start: ${(err as Error).message}\n`)
    return 1
  }
  return -1 // keep running
}
