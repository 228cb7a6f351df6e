import { COMMANDS } from './commands.js'
import { statusCommand } from './status-command.js'

/** `stsgate help`: loads no configuration, no server and no store, so it answers at once. */
export function helpText (): string {
  const lines = [
    'usage: stsgate <command> [options]',
    '',
    '  serve                                 run the service (configured by STSGATE_* variables)',
    `  ${'status'.padEnd(38)}${statusCommand.summary}`,
    '  audit verify                          check the audit hash chains in the store (same config as serve; through the server while it runs)',
    '  help                                  this text',
    '  --version                             print the version'
  ]
  const heads = Object.entries(COMMANDS).map(([group, actions]) => Object.entries(actions).map(([action, spec]) =>
    [`  ${group} ${action}${spec.args.map((a) => ` <${a.name}>`).join('')}`, spec.summary] as const))
  const width = Math.max(...heads.flat().map(([head]) => head.length)) + 2
  for (const group of heads) {
    lines.push('')
    for (const [head, summary] of group) lines.push(`${head.padEnd(width)}${summary}`)
  }
  lines.push('',
    'options for every admin command:',
    '  --url URL      server (default STSGATE_URL or http://127.0.0.1:3000)',
    '  --token T      admin token (default STSGATE_ADMIN_TOKEN, or <STSGATE_DATA_DIR>/admin-token)',
    '  --json         print the API\'s JSON instead of tables',
    '',
    '<project> is a project id or its name (a name must be unique).',
    '')
  return lines.join('\n')
}
