#!/usr/bin/env -S node --liftoff-only --max-semi-space-size=4
/**
 * `stsgate <command>`. Each command loads only its own modules: `help` and the
 * admin commands never load the server, the store or Fastify.
 */
async function main (argv: string[]): Promise<number> {
  const { answerTopLevel } = await import('./cli/top-level.js')
  const answered = await answerTopLevel(argv, process)
  if (answered !== undefined) return answered
  const [command = 'help', ...rest] = argv
  if (command === 'serve') {
    const { runServe } = await import('./cli/serve-command.js')
    return runServe()
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    const { helpText } = await import('./cli/help.js')
    process.stdout.write(helpText())
    return 0
  }
  const { runAdminCommand } = await import('./cli/admin-commands.js')
  return runAdminCommand(command, rest)
}

main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`stsgate: ${(err as Error).message}\n`)
  process.exitCode = 1
})
