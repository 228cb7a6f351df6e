import { CliError, type AdminClient } from './admin-client.js'
import {
  command, defined, enabledFlag, enc, flagOnly, hex16, project, projectPath, SECRET_NOTE, text, wholeNumber, type Command, type Result
} from './command-spec.js'
import { LOG_COMMANDS } from './log-commands.js'
import { STORAGE_COMMANDS } from './storage-commands.js'

export type { Command, Result } from './command-spec.js'

const PROJECT_COLUMNS = ['project_id', 'name', 'instance_id', 'disabled', 'created_at']
const accessKey = { name: 'access_key', expects: 'an access key id (see stsgate access-keys list)' } as const

const projects: Record<string, Command> = {
  list: command({
    args: [], options: { name: text('a project name', 'querystring/name') }, summary: 'list projects [--name N]',
    async run ({ client, flags }) {
      const data = await client.call('GET', flags.name === undefined ? '/projects' : `/projects?name=${enc(flags.name)}`)
      return { data, table: { rows: data.projects, columns: PROJECT_COLUMNS } }
    }
  }),
  create: command({
    args: [{ name: 'name', expects: '1 to 64 printable characters', field: 'body/name' }],
    options: { 'instance-id': { type: 'string', expects: '1 to 64 of A-Z a-z 0-9 _ -', valid: (v: string) => /^[A-Za-z0-9_-]{1,64}$/.test(v), field: 'body/instance_id' } },
    summary: 'create a project [--instance-id X]',
    async run ({ client, arg, flags }) {
      const data = await client.call('POST', '/projects', defined({ name: arg.name, instance_id: flags['instance-id'] }))
      return { data, object: data }
    }
  }),
  show: command({
    args: [project], summary: 'show a project (by id or name)',
    async run (ctx) { const data = await ctx.client.call('GET', await projectPath(ctx)); return { data, object: data } }
  }),
  update: command({
    args: [project], options: { name: text('1 to 64 printable characters', 'body/name'), disable: flagOnly, enable: flagOnly },
    summary: 'rename, disable or enable [--name N] [--disable|--enable]',
    async run (ctx) {
      const body = defined({ name: ctx.flags.name, disabled: enabledFlag(ctx.flags) })
      if (Object.keys(body).length === 0) throw new CliError('nothing to change: give --name, --disable or --enable', 2)
      const data = await ctx.client.call('PATCH', await projectPath(ctx), body)
      return { data, object: data }
    }
  }),
  delete: command({
    args: [project], options: { yes: flagOnly }, summary: 'delete a project and everything in it (needs --yes)',
    async run (ctx) {
      const path = await projectPath(ctx)
      const shown = await ctx.client.call('GET', path) as { project_id: string, name: string }
      if (ctx.flags.yes !== true) {
        throw new CliError(`this deletes project "${shown.name}" (${shown.project_id}) with all its keys, tokens, targets, bindings, devices and docks; ` +
          'add --yes to confirm', 2)
      }
      await ctx.client.call('DELETE', path)
      return { data: undefined, message: `deleted project "${shown.name}" (${shown.project_id})` }
    }
  })
}

const KEY_COLUMNS = ['access_key_id', 'disabled', 'last_used_at', 'created_at']
const keyAction = (verb: string, summary: string, act: (client: AdminClient, path: string) => Promise<Result>): Command => command({
  args: [project, accessKey], summary,
  async run (ctx) { return act(ctx.client, `${await projectPath(ctx)}/access-keys/${enc(ctx.arg.access_key)}`) }
})

const accessKeys: Record<string, Command> = {
  list: command({
    args: [project], summary: 'list access key ids, state and last use',
    async run (ctx) {
      const data = await ctx.client.call('GET', `${await projectPath(ctx)}/access-keys`)
      return { data, table: { rows: data.access_keys, columns: KEY_COLUMNS } }
    }
  }),
  create: command({
    args: [project], summary: 'create an access key (secret shown once)',
    async run (ctx) {
      const data = await ctx.client.call('POST', `${await projectPath(ctx)}/access-keys`)
      return { data, object: data, note: SECRET_NOTE }
    }
  }),
  disable: keyAction('disable', 'disable an access key (undo with enable)', async (client, path) => {
    const data = await client.call('PATCH', path, { disabled: true })
    return { data, message: `disabled access key ${data.access_key_id}` }
  }),
  enable: keyAction('enable', 'enable a disabled access key again', async (client, path) => {
    const data = await client.call('PATCH', path, { disabled: false })
    return { data, message: `enabled access key ${data.access_key_id}` }
  }),
  rotate: keyAction('rotate', 'new key (secret shown once); the old one is disabled at once', async (client, path) => {
    const data = await client.call('POST', `${path}/rotate`)
    return { data, object: data, note: `${SECRET_NOTE}; ${data.replaced_access_key_id} is now disabled (enable it to undo, delete it once unused)` }
  }),
  delete: keyAction('delete', 'delete an access key for good', async (client, path) => {
    await client.call('DELETE', path)
    return { data: undefined, message: `deleted access key ${decodeURIComponent(path.slice(path.lastIndexOf('/') + 1))}` }
  })
}

const tokens: Record<string, Command> = {
  list: command({
    args: [project], summary: 'list token ids, expiry and last use',
    async run (ctx) {
      const data = await ctx.client.call('GET', `${await projectPath(ctx)}/tokens`)
      return { data, table: { rows: data.tokens, columns: ['token_id', 'expires_at', 'revoked', 'last_used_at', 'created_at'] } }
    }
  }),
  create: command({
    args: [project], options: { ttl: wholeNumber(60, 31_536_000, 'seconds', 'body/ttl_seconds') },
    summary: 'issue an X-Auth-Token [--ttl SECONDS] (shown once)',
    async run (ctx) {
      const ttl = ctx.flags.ttl === undefined ? undefined : Number(ctx.flags.ttl)
      const data = await ctx.client.call('POST', `${await projectPath(ctx)}/tokens`, defined({ ttl_seconds: ttl }))
      return { data, object: data, note: 'store the token now: it is shown only once' }
    }
  }),
  revoke: command({
    args: [project, hex16('token_id', 'a token id')], summary: 'revoke a token',
    async run (ctx) {
      await ctx.client.call('DELETE', `${await projectPath(ctx)}/tokens/${enc(ctx.arg.token_id)}`)
      return { data: undefined, message: `revoked token ${ctx.arg.token_id}` }
    }
  })
}

const prefix = (field: string): ReturnType<typeof text> =>
  text('a key prefix ending in "/", without * ? $ { }, "." or ".." or empty segments', field)

const bindings: Record<string, Command> = {
  show: command({
    args: [project], summary: 'show the EDAS and Workspace bindings',
    async run (ctx) { return bindingsResult(await ctx.client.call('GET', `${await projectPath(ctx)}/bindings`)) }
  }),
  set: command({
    args: [project],
    options: {
      'edas-target': text('a target id (see stsgate targets list)', 'body/edas/target_id'),
      'edas-prefix': prefix('body/edas/key_prefix'),
      'workspace-target': text('a target id (see stsgate targets list)', 'body/workspace/target_id'),
      'workspace-directory': prefix('body/workspace/directory')
    },
    summary: 'bind [--edas-target T [--edas-prefix P]] [--workspace-target T [--workspace-directory D]]',
    async run (ctx) {
      const f = ctx.flags
      if (f['edas-prefix'] !== undefined && f['edas-target'] === undefined) throw new CliError('--edas-prefix needs --edas-target', 2)
      if (f['workspace-directory'] !== undefined && f['workspace-target'] === undefined) throw new CliError('--workspace-directory needs --workspace-target', 2)
      const body = defined({
        edas: f['edas-target'] === undefined ? undefined : defined({ target_id: f['edas-target'], key_prefix: f['edas-prefix'] }),
        workspace: f['workspace-target'] === undefined ? undefined : defined({ target_id: f['workspace-target'], directory: f['workspace-directory'] })
      })
      if (Object.keys(body).length === 0) throw new CliError('nothing to bind: give --edas-target and/or --workspace-target', 2)
      return bindingsResult(await ctx.client.call('PUT', `${await projectPath(ctx)}/bindings`, body))
    }
  }),
  unset: command({
    args: [project, { name: 'contract', expects: 'edas or workspace', valid: (v: string) => v === 'edas' || v === 'workspace' }],
    summary: 'remove the edas or workspace binding',
    async run (ctx) {
      const data = await ctx.client.call('DELETE', `${await projectPath(ctx)}/bindings/${ctx.arg.contract}`)
      return { ...bindingsResult(data), data }
    }
  })
}

function bindingsResult (data: { edas?: { target_id: string, key_prefix: string }, workspace?: { target_id: string, directory: string } }): Result {
  const rows = [
    ...(data.edas === undefined ? [] : [{ contract: 'edas', target_id: data.edas.target_id, prefix: data.edas.key_prefix }]),
    ...(data.workspace === undefined ? [] : [{ contract: 'workspace', target_id: data.workspace.target_id, prefix: data.workspace.directory }])
  ]
  return { data, table: { rows, columns: ['contract', 'target_id', 'prefix'] } }
}

export const COMMANDS: Record<string, Record<string, Command>> = {
  projects,
  'access-keys': accessKeys,
  tokens,
  ...STORAGE_COMMANDS,
  bindings,
  ...LOG_COMMANDS
}
