export async function runAdminCommand (command: string, _args: string[]): Promise<number> {
  process.stderr.write(`stsgate: unknown command ${command}\n`)
  return 2
}
