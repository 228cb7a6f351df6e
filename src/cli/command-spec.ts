import { CliError, type AdminClient } from './admin-client.js'

/**
 * A CLI command, declared once: its positional arguments, its options (each
 * with what it expects in plain words, and which API field it fills), and a
 * `run` that receives them already parsed, checked and typed — so commands
 * never read an argument that might be missing.
 */
export type Result =
  | { data: unknown, table: { rows: Array<Record<string, unknown>>, columns: string[] }, note?: string }
  | { data: unknown, object: Record<string, unknown>, note?: string }
  | { data: unknown, message: string }

export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  /** What the value must be, in words an operator reads: `a whole number of seconds, 60–31536000`. */
  expects?: string
  /** Checked before anything is sent; failing it prints `--name: expected <expects>, got "<value>"`. */
  valid?: (value: string) => boolean
  /** The API field this option fills (`body/ttl_seconds`): the API's complaint about that field is told as this flag's. */
  field?: string
}

export interface ArgumentSpec {
  name: string
  expects?: string
  valid?: (value: string) => boolean
  field?: string
}

type OptionValue<O extends OptionSpec> = O['type'] extends 'boolean' ? boolean : O['multiple'] extends true ? string[] : string

export interface CommandContext<A extends string, O extends Record<string, OptionSpec>> {
  client: AdminClient
  arg: { readonly [K in A]: string }
  flags: { readonly [K in keyof O]?: OptionValue<O[K]> }
}

/** The erased form the dispatcher holds. */
export interface Command {
  args: readonly ArgumentSpec[]
  options: Record<string, OptionSpec>
  summary: string
  run (ctx: { client: AdminClient, arg: Record<string, string>, flags: Record<string, unknown> }): Promise<Result>
}

export function command<const A extends readonly ArgumentSpec[], const O extends Record<string, OptionSpec> = {}> (spec: {
  args: A
  options?: O
  summary: string
  run (ctx: CommandContext<A[number]['name'], O>): Promise<Result>
}): Command {
  return { args: spec.args, options: spec.options ?? {}, summary: spec.summary, run: spec.run as Command['run'] }
}

// ---- the arguments and options commands share ----

export const PROJECT_ID = /^[0-9a-f]{32}$/
export const project = { name: 'project', expects: 'a project id (32 hexadecimal characters) or a project name' } as const satisfies ArgumentSpec
export const hex16 = <const N extends string>(name: N, what: string): ArgumentSpec & { name: N } => ({
  name, expects: `${what} (16 hexadecimal characters)`, valid: (v) => /^[0-9a-f]{16}$/.test(v), field: `params/${name}`
})

export const text = (expects?: string, field?: string): OptionSpec => ({ type: 'string', expects, field })
export const flagOnly = { type: 'boolean' } as const satisfies OptionSpec
export const wholeNumber = (min: number, max: number, unit: string, field?: string): OptionSpec => ({
  type: 'string',
  expects: `a whole number of ${unit} from ${min} to ${max}`,
  valid: (v) => /^\d{1,9}$/.test(v) && Number(v) >= min && Number(v) <= max,
  field
})
export const timestamp = (field: string): OptionSpec => ({
  type: 'string', expects: 'a date and time such as 2026-11-30T22:00:00Z', valid: (v) => !Number.isNaN(Date.parse(v)), field
})

/** Checks every given value against its spec, so the API is never asked with one we know it refuses. */
export function checkValues (cmd: Command, arg: Record<string, string>, flags: Record<string, unknown>): void {
  for (const a of cmd.args) {
    const value = arg[a.name] as string
    if (a.valid !== undefined && !a.valid(value)) throw new CliError(`<${a.name}>: expected ${a.expects ?? 'something else'}, got "${value}"`, 2)
  }
  for (const [name, o] of Object.entries(cmd.options)) {
    const value = flags[name]
    const values = Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
    for (const v of values) {
      if (o.valid !== undefined && !o.valid(v)) throw new CliError(`--${name}: expected ${o.expects ?? 'something else'}, got "${v}"`, 2)
    }
  }
}

/**
 * The API's validation message (`body/ttl_seconds must be >= 60`,
 * `params/token_id must match pattern "^[0-9a-f]{16}$"`) told in the
 * command's words: the flag or argument that carried the field, and what it
 * expects. Undefined when no flag or argument fills that field.
 */
export function explainValidation (cmd: Command, message: string): string | undefined {
  const fills = new Map<string, { labels: string[], expects?: string }>()
  const add = (field: string | undefined, label: string, expects: string | undefined): void => {
    if (field === undefined) return
    const entry = fills.get(field) ?? { labels: [], expects }
    entry.labels.push(label)
    fills.set(field, entry)
  }
  for (const a of cmd.args) add(a.field, `<${a.name}>`, a.expects)
  for (const [name, o] of Object.entries(cmd.options)) add(o.field, `--${name}`, o.expects)
  const field = [...fills.keys()].sort((a, b) => b.length - a.length)
    .find((f) => message === f || message.startsWith(`${f} `) || message.startsWith(`${f}/`))
  if (field === undefined) return undefined
  const { labels, expects } = fills.get(field) as { labels: string[], expects?: string }
  let rest = message.slice(field.length)
  let inner = ''
  if (rest.startsWith('/')) {
    const space = rest.indexOf(' ')
    inner = `${rest.slice(1, space === -1 ? undefined : space)} `
    rest = space === -1 ? '' : rest.slice(space)
  }
  rest = rest.trim()
  // Patterns and formats are for machines; the option's own words say the same for people.
  const said = rest === '' || /must match (pattern|format)/.test(rest) ? `${inner}has the wrong form` : `${inner}${rest}`
  return `${labels.join(' or ')}: ${said.trim()}${expects === undefined ? '' : ` (expected ${expects})`}`
}

// ---- what every command does alike ----

export const enc = encodeURIComponent
export const SECRET_NOTE = 'store the secret now: it is shown only once'

/** Drops undefined fields so the API sees only what the operator gave. */
export function defined<T extends Record<string, unknown>> (obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>
}

interface ProjectView { project_id: string, name: string }

/** `<project>` is an id or a name; a name must name exactly one project. */
export async function resolveProject (client: AdminClient, ref: string): Promise<string> {
  if (PROJECT_ID.test(ref)) return ref
  const { projects } = await client.call('GET', `/projects?name=${enc(ref)}`) as { projects: ProjectView[] }
  if (projects.length === 0) throw new CliError(`no project is named "${ref}" (give its name exactly, or its id; see stsgate projects list)`)
  if (projects.length > 1) {
    throw new CliError(`${projects.length} projects are named "${ref}"; give the id of the one you mean: ${projects.map((p) => p.project_id).join(', ')}`)
  }
  return (projects[0] as ProjectView).project_id
}

/** `/projects/<id>` for the command's `<project>` argument. */
export const projectPath = async (ctx: { client: AdminClient, arg: { project: string } }): Promise<string> =>
  `/projects/${await resolveProject(ctx.client, ctx.arg.project)}`

export function enabledFlag (flags: { disable?: boolean, enable?: boolean }): boolean | undefined {
  if (flags.disable === true && flags.enable === true) throw new CliError('give --disable or --enable, not both', 2)
  return flags.disable === true ? true : flags.enable === true ? false : undefined
}

