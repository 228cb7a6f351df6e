#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.js'
import { closeOnSignals, startServer } from './server.js'
import { runAdminCommand } from './cli/admin-commands.js'

/**
 * `stsgate serve` runs the service; every other command talks to a running
 * one through the admin API (see `stsgate help`).
 */
async function main (argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv
  if (command === 'serve') {
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
  return runAdminCommand(command, rest)
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`stsgate: ${(err as Error).message}\n`)
  process.exitCode = 1
})
