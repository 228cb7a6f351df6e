import type { Output } from './output.js'

/**
 * What `stsgate` answers without a command of its own: nothing at all is a
 * mistake (the help text on stderr, exit 2); `--version` prints the version.
 * Undefined when argv names a command.
 */
export async function answerTopLevel (argv: readonly string[], io: { stdout: Output, stderr: Output }): Promise<number | undefined> {
  if (argv.length === 0) {
    const { helpText } = await import('./help.js')
    io.stderr.write(helpText())
    return 2
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    const { packageVersion } = await import('../version.js')
    io.stdout.write(`stsgate ${packageVersion()}\n`)
    return 0
  }
  return undefined
}
