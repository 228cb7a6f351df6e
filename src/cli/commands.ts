import { readFile } from 'node:fs/promises'
import type { ParseArgsConfig } from 'node:util'
import { CliError, type AdminClient } from './admin-client.js'

/** What a command produced: the API's JSON (for --json) and how to show it to a person. */
export type Result =
  | { data: unknown, table: { rows: Array<Record<string, unknown>>, columns: string[] } }
  | { data: unknown, object: Record<string, unknown>, note?: string }
  | { data: unknown, message: string }

export interface CommandContext {
  client: AdminClient
  /** Positional arguments by the names in `args`. */
  arg: Record<string, string>
  flags: Record<string, string | boolean | string[] | undefined>
}

export interface Command {
  /** Positional argument names, all required, e.g. ['project', 'sn']. */
  args: string[]
  options?: NonNullable<ParseArgsConfig['options']>
  /** One line for `stsgate help`. */
  summary: string
  run (ctx: CommandContext): Promise<Result>
}

const str = { type: 'string' } as const
const bool = { type: 'boolean' } as const
const enc = encodeURIComponent
const p = (ctx: CommandContext): string => `/projects/${enc(ctx.arg.project!)}`
const flag = (ctx: CommandContext, name: string): string | undefined => ctx.flags[name] as string | undefined

const SECRET_NOTE = 'store the secret now: it is shown only once'

function intFlag (ctx: CommandContext, name: string): number | undefined {
  const raw = flag(ctx, name)
  if (raw === undefined) return undefined
  if (!/^\d+$/.test(raw)) throw new CliError(`--${name} must be a whole number of seconds`, 2)
  return Number(raw)
}

/** Drops undefined fields so the API sees only what the operator gave. */
function defined<T extends Record<string, unknown>> (obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>
}

async function upstreamOf (ctx: CommandContext): Promise<unknown> {
  const json = flag(ctx, 'upstream-json')
  const file = flag(ctx, 'upstream-file')
  if (json !== undefined && file !== undefined) throw new CliError('give --upstream-json or --upstream-file, not both', 2)
  // A file keeps the upstream secret out of shell history and `ps`.
  const text = file !== undefined ? await readFile(file, 'utf8') : json
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new CliError(`the upstream ${file !== undefined ? `file ${file}` : 'JSON'} is not valid JSON`, 2)
  }
}

function enabledFlag (ctx: CommandContext): boolean | undefined {
  if (ctx.flags.disable === true && ctx.flags.enable === true) throw new CliError('give --disable or --enable, not both', 2)
  return ctx.flags.disable === true ? true : ctx.flags.enable === true ? false : undefined
}

const PROJECT_COLUMNS = ['project_id', 'name', 'instance_id', 'disabled', 'created_at']
const TARGET_COLUMNS = ['target_id', 'name', 'provider', 'bucket', 'region', 'endpoint']
const GATEWAY_COLUMNS = ['sn', 'target_id', 'object_key_prefix', 'sub_devices', 'disabled', 'created_at']

export const COMMANDS: Record<string, Record<string, Command>> = {
  projects: {
    list: {
      args: [], summary: 'list projects',
      async run ({ client }) {
        const data = await client.call('GET', '/projects')
        return { data, table: { rows: data.projects, columns: PROJECT_COLUMNS } }
      }
    },
    create: {
      args: ['name'], options: { 'instance-id': str }, summary: 'create a project [--instance-id X]',
      async run (ctx) {
        const data = await ctx.client.call('POST', '/projects', defined({ name: ctx.arg.name, instance_id: flag(ctx, 'instance-id') }))
        return { data, object: data }
      }
    },
    show: {
      args: ['project'], summary: 'show a project',
      async run (ctx) { const data = await ctx.client.call('GET', p(ctx)); return { data, object: data } }
    },
    update: {
      args: ['project'], options: { name: str, disable: bool, enable: bool }, summary: 'rename, disable or enable [--name N] [--disable|--enable]',
      async run (ctx) {
        const body = defined({ name: flag(ctx, 'name'), disabled: enabledFlag(ctx) })
        if (Object.keys(body).length === 0) throw new CliError('nothing to change: give --name, --disable or --enable', 2)
        const data = await ctx.client.call('PATCH', p(ctx), body)
        return { data, object: data }
      }
    },
    delete: {
      args: ['project'], summary: 'delete a project and everything in it',
      async run (ctx) { await ctx.client.call('DELETE', p(ctx)); return { data: undefined, message: `deleted project ${ctx.arg.project}` } }
    }
  },
  'access-keys': {
    list: {
      args: ['project'], summary: 'list access key ids',
      async run (ctx) {
        const data = await ctx.client.call('GET', `${p(ctx)}/access-keys`)
        return { data, table: { rows: data.access_keys, columns: ['access_key_id', 'disabled', 'created_at'] } }
      }
    },
    create: {
      args: ['project'], summary: 'create an access key (secret shown once)',
      async run (ctx) {
        const data = await ctx.client.call('POST', `${p(ctx)}/access-keys`)
        return { data, object: data, note: SECRET_NOTE }
      }
    },
    disable: {
      args: ['project', 'access_key'], summary: 'disable an access key',
      async run (ctx) {
        const data = await ctx.client.call('PATCH', `${p(ctx)}/access-keys/${enc(ctx.arg.access_key!)}`, { disabled: true })
        return { data, message: `disabled access key ${ctx.arg.access_key}` }
      }
    }
  },
  tokens: {
    list: {
      args: ['project'], summary: 'list token ids and expiry',
      async run (ctx) {
        const data = await ctx.client.call('GET', `${p(ctx)}/tokens`)
        return { data, table: { rows: data.tokens, columns: ['token_id', 'expires_at', 'revoked', 'created_at'] } }
      }
    },
    create: {
      args: ['project'], options: { ttl: str }, summary: 'issue an X-Auth-Token [--ttl SECONDS] (shown once)',
      async run (ctx) {
        const data = await ctx.client.call('POST', `${p(ctx)}/tokens`, defined({ ttl_seconds: intFlag(ctx, 'ttl') }))
        return { data, object: data, note: 'store the token now: it is shown only once' }
      }
    },
    revoke: {
      args: ['project', 'token_id'], summary: 'revoke a token',
      async run (ctx) {
        await ctx.client.call('DELETE', `${p(ctx)}/tokens/${enc(ctx.arg.token_id!)}`)
        return { data: undefined, message: `revoked token ${ctx.arg.token_id}` }
      }
    }
  },
  targets: {
    list: {
      args: ['project'], summary: 'list storage targets',
      async run (ctx) {
        const data = await ctx.client.call('GET', `${p(ctx)}/targets`)
        return { data, table: { rows: data.targets, columns: TARGET_COLUMNS } }
      }
    },
    create: {
      args: ['project'],
      options: {
        name: str, provider: str, bucket: str, region: str, endpoint: str, 'internal-endpoint': str, 'vpc-endpoint': str,
        duration: str, 'upstream-json': str, 'upstream-file': str
      },
      summary: 'create a target --name --provider local|aliyun|aws|huawei --bucket --region --endpoint [--internal-endpoint] [--vpc-endpoint] [--duration S] [--upstream-json JSON | --upstream-file F]',
      async run (ctx) {
        for (const required of ['name', 'provider', 'bucket', 'region', 'endpoint']) {
          if (flag(ctx, required) === undefined) throw new CliError(`targets create needs --${required}`, 2)
        }
        const data = await ctx.client.call('POST', `${p(ctx)}/targets`, defined({
          name: flag(ctx, 'name'),
          provider: flag(ctx, 'provider'),
          bucket: flag(ctx, 'bucket'),
          region: flag(ctx, 'region'),
          endpoint: flag(ctx, 'endpoint'),
          internal_endpoint: flag(ctx, 'internal-endpoint'),
          vpc_endpoint: flag(ctx, 'vpc-endpoint'),
          duration_seconds: intFlag(ctx, 'duration'),
          upstream: await upstreamOf(ctx)
        }))
        return { data, object: data }
      }
    },
    delete: {
      args: ['project', 'target_id'], summary: 'delete a target (refused while bound)',
      async run (ctx) {
        await ctx.client.call('DELETE', `${p(ctx)}/targets/${enc(ctx.arg.target_id!)}`)
        return { data: undefined, message: `deleted target ${ctx.arg.target_id}` }
      }
    }
  },
  bindings: {
    show: {
      args: ['project'], summary: 'show the EDAS and Workspace bindings',
      async run (ctx) { const data = await ctx.client.call('GET', `${p(ctx)}/bindings`); return bindingsResult(data) }
    },
    set: {
      args: ['project'],
      options: { 'edas-target': str, 'edas-prefix': str, 'workspace-target': str, 'workspace-directory': str },
      summary: 'bind [--edas-target T [--edas-prefix P]] [--workspace-target T [--workspace-directory D]]',
      async run (ctx) {
        if (flag(ctx, 'edas-prefix') !== undefined && flag(ctx, 'edas-target') === undefined) throw new CliError('--edas-prefix needs --edas-target', 2)
        if (flag(ctx, 'workspace-directory') !== undefined && flag(ctx, 'workspace-target') === undefined) throw new CliError('--workspace-directory needs --workspace-target', 2)
        const body = defined({
          edas: flag(ctx, 'edas-target') === undefined ? undefined : defined({ target_id: flag(ctx, 'edas-target'), key_prefix: flag(ctx, 'edas-prefix') }),
          workspace: flag(ctx, 'workspace-target') === undefined ? undefined : defined({ target_id: flag(ctx, 'workspace-target'), directory: flag(ctx, 'workspace-directory') })
        })
        if (Object.keys(body).length === 0) throw new CliError('nothing to bind: give --edas-target and/or --workspace-target', 2)
        return bindingsResult(await ctx.client.call('PUT', `${p(ctx)}/bindings`, body))
      }
    }
  },
  devices: {
    list: {
      args: ['project'], summary: 'list devices',
      async run (ctx) {
        const data = await ctx.client.call('GET', `${p(ctx)}/devices`)
        return { data, table: { rows: data.devices, columns: ['device_id', 'has_secondary_secret', 'created_at', 'updated_at'] } }
      }
    },
    create: {
      args: ['project'], options: { 'device-id': str, secret: str, 'secondary-secret': str },
      summary: 'register a device [--device-id ID] [--secret S] [--secondary-secret S] (secret shown once)',
      async run (ctx) {
        const data = await ctx.client.call('POST', `${p(ctx)}/devices`, defined({
          device_id: flag(ctx, 'device-id'), secret: flag(ctx, 'secret'), secondary_secret: flag(ctx, 'secondary-secret')
        }))
        return { data, object: data, note: SECRET_NOTE }
      }
    },
    show: {
      args: ['project', 'device_id'], summary: 'show a device',
      async run (ctx) { const data = await ctx.client.call('GET', `${p(ctx)}/devices/${enc(ctx.arg.device_id!)}`); return { data, object: data } }
    },
    delete: {
      args: ['project', 'device_id'], summary: 'delete a device',
      async run (ctx) {
        await ctx.client.call('DELETE', `${p(ctx)}/devices/${enc(ctx.arg.device_id!)}`)
        return { data: undefined, message: `deleted device ${ctx.arg.device_id}` }
      }
    }
  },
  gateways: {
    list: {
      args: ['project'], summary: 'list DJI docks',
      async run (ctx) {
        const data = await ctx.client.call('GET', `${p(ctx)}/gateways`)
        return { data, table: { rows: data.gateways, columns: GATEWAY_COLUMNS } }
      }
    },
    create: {
      args: ['project'], options: { sn: str, target: str, prefix: str, password: str, 'sub-device': { type: 'string', multiple: true } },
      summary: 'register a dock --sn SN --target T [--prefix P] [--password PW] [--sub-device SN …] (password shown once)',
      async run (ctx) {
        if (flag(ctx, 'sn') === undefined || flag(ctx, 'target') === undefined) throw new CliError('gateways create needs --sn and --target', 2)
        const data = await ctx.client.call('POST', `${p(ctx)}/gateways`, defined({
          sn: flag(ctx, 'sn'), target_id: flag(ctx, 'target'), object_key_prefix: flag(ctx, 'prefix'),
          password: flag(ctx, 'password'), sub_devices: ctx.flags['sub-device'] as string[] | undefined
        }))
        return { data, object: data, note: 'store the password now: it is shown only once' }
      }
    },
    show: {
      args: ['project', 'sn'], summary: 'show a dock',
      async run (ctx) { const data = await ctx.client.call('GET', `${p(ctx)}/gateways/${enc(ctx.arg.sn!)}`); return { data, object: data } }
    },
    update: {
      args: ['project', 'sn'], options: { target: str, prefix: str, disable: bool, enable: bool },
      summary: 'change a dock [--target T] [--prefix P] [--disable|--enable]',
      async run (ctx) {
        const body = defined({ target_id: flag(ctx, 'target'), object_key_prefix: flag(ctx, 'prefix'), disabled: enabledFlag(ctx) })
        if (Object.keys(body).length === 0) throw new CliError('nothing to change: give --target, --prefix, --disable or --enable', 2)
        const data = await ctx.client.call('PATCH', `${p(ctx)}/gateways/${enc(ctx.arg.sn!)}`, body)
        return { data, object: data }
      }
    },
    delete: {
      args: ['project', 'sn'], summary: 'delete a dock',
      async run (ctx) {
        await ctx.client.call('DELETE', `${p(ctx)}/gateways/${enc(ctx.arg.sn!)}`)
        return { data: undefined, message: `deleted gateway ${ctx.arg.sn}` }
      }
    }
  }
}

function bindingsResult (data: { edas?: { target_id: string, key_prefix: string }, workspace?: { target_id: string, directory: string } }): Result {
  const rows = [
    ...(data.edas === undefined ? [] : [{ contract: 'edas', target_id: data.edas.target_id, prefix: data.edas.key_prefix }]),
    ...(data.workspace === undefined ? [] : [{ contract: 'workspace', target_id: data.workspace.target_id, prefix: data.workspace.directory }])
  ]
  return { data, table: { rows, columns: ['contract', 'target_id', 'prefix'] } }
}
