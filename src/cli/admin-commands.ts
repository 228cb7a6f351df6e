import { parseArgs } from 'node:util'
import { ConfigError, loadCliConfig } from '../config.js'
import { ApiError, CliError, createAdminClient, tokenFromDataDir } from './admin-client.js'
import { checkValues, explainValidation, type Command, type Result } from './command-spec.js'
import { COMMANDS } from './commands.js'
import { printObject, printTable, type Output } from './output.js'
import { helpText } from './help.js'
import { statusCommand } from './status-command.js'

export interface CliIo {
  stdout: Output
  stderr: Output
  /** Environment for loadCliConfig/loadConfig; undefined → the process environment (read in config.ts only). */
  env?: Record<string, string | undefined>
}

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr }

/**
 * Runs `stsgate <command> …` (everything but `serve`) and returns the exit
 * code: 0 done, 1 the operation failed, 2 the command line is wrong.
 */
export async function runAdminCommand (command: string, args: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    if (command === 'help' || command === '--help' || command === '-h') {
      io.stdout.write(helpText())
      return 0
    }
    if (command === 'audit' && args[0] !== 'list') return await runAudit(args, io)
    if (command === 'status') return await runCommand('status', undefined, statusCommand, args, io)
    const group = COMMANDS[command]
    if (group === undefined) throw new CliError(`unknown command ${command} (see stsgate help)`, 2)
    const [action, ...rest] = args
    const spec = action === undefined ? undefined : group[action]
    if (spec === undefined) throw new CliError(`usage: stsgate ${command} ${Object.keys(group).join('|')} … (see stsgate help)`, 2)
    return await runCommand(command, action!, spec, rest, io)
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`stsgate: ${err.message}\n`)
      return err.exitCode
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`stsgate: configuration error\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`)
      return 2
    }
    io.stderr.write(`stsgate: ${(err as Error).message}\n`)
    return 1
  }
}

async function runCommand (command: string, action: string | undefined, spec: Command, argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { ...GLOBAL_OPTIONS, ...parserOptions(spec) })
  const usage = `stsgate ${command}${action === undefined ? '' : ` ${action}`}${spec.args.map((a) => ` <${a.name}>`).join('')}`
  if (values.help === true) {
    io.stdout.write(`usage: ${usage}\n  ${spec.summary}\n`)
    return 0
  }
  if (positionals.length !== spec.args.length) throw new CliError(`usage: ${usage} (${spec.summary})`, 2)
  const arg = Object.fromEntries(spec.args.map((a, i) => [a.name, positionals[i] as string]))
  checkValues(spec, arg, values)
  const config = loadCliConfig(io.env)
  const url = (values.url as string | undefined)?.replace(/\/+$/, '') ?? config.url
  const token = (values.token as string | undefined) ?? config.adminToken ?? await tokenFromDataDir(config.dataDir)
  let result: Result
  try {
    result = await spec.run({ client: createAdminClient(url, token), arg, flags: values })
  } catch (err) {
    // The API names its own fields; say which flag or argument carried the value, and what it expects.
    const explained = err instanceof ApiError && err.code === 'validation' ? explainValidation(spec, err.apiMessage) : undefined
    if (explained !== undefined) throw new CliError(explained, 2)
    throw err
  }
  print(io.stdout, result, values.json === true)
  return 0
}

async function runAudit (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, GLOBAL_OPTIONS)
  if (positionals.length !== 1 || positionals[0] !== 'verify') throw new CliError('usage: stsgate audit verify [--json]', 2)
  // Loaded only here: it brings the store (PGlite) with it.
  const { verifyAudit } = await import('./audit-verify.js')
  return verifyAudit({ env: io.env, out: io.stdout, json: values.json === true, url: values.url as string | undefined, token: values.token as string | undefined })
}

type Flags = Record<string, string | boolean | string[] | undefined>

/** The command's options as node:util parseArgs takes them. */
const parserOptions = (spec: Command): Record<string, { type: 'string' | 'boolean', multiple?: boolean }> =>
  Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, o.multiple === true ? { type: o.type, multiple: true } : { type: o.type }]))

function parse (argv: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): { values: Flags, positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    return { values: values as Flags, positionals }
  } catch (err) {
    // parseArgs names the offending option; that is the whole message an operator needs.
    throw new CliError((err as Error).message, 2)
  }
}

function print (out: Output, result: Result, json: boolean): void {
  if (json) {
    if (result.data !== undefined) out.write(`${JSON.stringify(result.data, null, 2)}\n`)
    return
  }
  if ('table' in result) printTable(out, result.table.rows, result.table.columns)
  else if ('object' in result) printObject(out, result.object)
  else out.write(`${result.message}\n`)
  if ('note' in result && result.note !== undefined) out.write(`\n${result.note}\n`)
}
