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
