import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadCliConfig } from '../config.js'
import { CliError, createAdminClient } from './admin-client.js'
import { verifyAdminAudit } from './audit-verify.js'
import { COMMANDS, type Command, type Result } from './commands.js'
import { printObject, printTable, type Output } from './output.js'
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
    if (command === 'audit') return await runAudit(args, io)
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
  const { values, positionals } = parse(argv, { ...GLOBAL_OPTIONS, ...spec.options })
  const usage = `stsgate ${command}${action === undefined ? '' : ` ${action}`}${spec.args.map((a) => ` <${a}>`).join('')}`
  if (values.help === true) {
    io.stdout.write(`usage: ${usage}\n  ${spec.summary}\n`)
    return 0
  }
  if (positionals.length !== spec.args.length) throw new CliError(`usage: ${usage} (${spec.summary})`, 2)
  const config = loadCliConfig(io.env)
  const url = (values.url as string | undefined)?.replace(/\/+$/, '') ?? config.url
  const token = (values.token as string | undefined) ?? config.adminToken ?? await tokenFromDataDir(config.dataDir)
  const result = await spec.run({
    client: createAdminClient(url, token),
    arg: Object.fromEntries(spec.args.map((name, i) => [name, positionals[i]!])),
    flags: values
  })
  print(io.stdout, result, values.json === true)
  return 0
}

async function runAudit (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, GLOBAL_OPTIONS)
  if (positionals.length !== 1 || positionals[0] !== 'verify') throw new CliError('usage: stsgate audit verify [--json]', 2)
  return verifyAdminAudit(io.env, io.stdout, values.json === true)
}

type Flags = Record<string, string | boolean | string[] | undefined>

function parse (argv: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): { values: Flags, positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    return { values: values as Flags, positionals }
  } catch (err) {
    // parseArgs names the offending option; that is the whole message an operator needs.
    throw new CliError((err as Error).message, 2)
  }
}

async function tokenFromDataDir (dataDir: string): Promise<string> {
  const path = join(dataDir, 'admin-token')
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    throw new CliError(`no admin token: pass --token, set STSGATE_ADMIN_TOKEN, or run where ${path} exists`, 2)
  }
}

function print (out: Output, result: Result, json: boolean): void {
  if (json) {
    if (result.data !== undefined) out.write(`${JSON.stringify(result.data, null, 2)}\n`)
    return
  }
  if ('table' in result) printTable(out, result.table.rows, result.table.columns)
  else if ('object' in result) {
    printObject(out, result.object)
    if (result.note !== undefined) out.write(`\n${result.note}\n`)
  } else out.write(`${result.message}\n`)
}

function helpText (): string {
  const lines = [
    'usage: stsgate <command> [options]',
    '',
    '  serve                                 run the service (configured by STSGATE_* variables)',
    `  ${'status'.padEnd(38)}${statusCommand.summary}`,
    '  audit verify                          check the admin audit hash chain in the store (same config as serve)',
    '  help                                  this text'
  ]
  for (const [group, actions] of Object.entries(COMMANDS)) {
    lines.push('')
    for (const [action, spec] of Object.entries(actions)) {
      const head = `  ${group} ${action}${spec.args.map((a) => ` <${a}>`).join('')}`
      lines.push(`${head.padEnd(40)}${spec.summary}`)
    }
  }
  lines.push('',
    'options for every admin command:',
    '  --url URL      server (default STSGATE_URL or http://127.0.0.1:3000)',
    '  --token T      admin token (default STSGATE_ADMIN_TOKEN, or <STSGATE_DATA_DIR>/admin-token)',
    '  --json         print the API\'s JSON instead of tables',
    '')
  return lines.join('\n')
}
