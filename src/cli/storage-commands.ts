import { readFile } from 'node:fs/promises'
import { CliError } from './admin-client.js'
import {
  command, defined, enabledFlag, enc, flagOnly, hex16, project, projectPath, SECRET_NOTE, text, wholeNumber, type Command
} from './command-spec.js'

/** Where credentials point (targets) and the IoT identities (devices, docks). */

const TARGET_COLUMNS = ['target_id', 'name', 'provider', 'bucket', 'region', 'endpoint']
const GATEWAY_COLUMNS = ['sn', 'target_id', 'object_key_prefix', 'sub_devices', 'disabled', 'created_at']
const PROVIDERS = ['local', 'aliyun', 'aws', 'huawei']
const HOST = 'a host name, or an http(s):// URL without a path'
const deviceId = { name: 'device_id', expects: 'a device id (see stsgate devices list)' } as const
const sn = { name: 'sn', expects: 'a dock serial number (see stsgate gateways list)' } as const
const prefixText = 'a key prefix ending in "/", without * ? $ { }, "." or ".." or empty segments'
const secretText = '8 to 32 of A-Z a-z 0-9 _ -'

async function upstreamOf (flags: { 'upstream-json'?: string, 'upstream-file'?: string }): Promise<unknown> {
  const json = flags['upstream-json']
  const file = flags['upstream-file']
  if (json !== undefined && file !== undefined) throw new CliError('give --upstream-json or --upstream-file, not both', 2)
  // A file keeps the upstream secret out of shell history and `ps`.
  const content = file !== undefined ? await readFile(file, 'utf8') : json
  if (content === undefined) return undefined
  try {
    return JSON.parse(content)
  } catch {
    throw new CliError(`the upstream ${file !== undefined ? `file ${file}` : 'JSON'} is not valid JSON`, 2)
  }
}

const targets: Record<string, Command> = {
  list: command({
    args: [project], summary: 'list storage targets',
    async run (ctx) {
      const data = await ctx.client.call('GET', `${await projectPath(ctx)}/targets`)
      return { data, table: { rows: data.targets, columns: TARGET_COLUMNS } }
    }
  }),
  create: command({
    args: [project],
    options: {
      name: text('1 to 64 printable characters', 'body/name'),
      provider: { type: 'string', expects: 'one of local, aliyun, aws, huawei', valid: (v: string) => PROVIDERS.includes(v), field: 'body/provider' },
      bucket: text('a bucket name: 3 to 63 of a-z 0-9 . -', 'body/bucket'),
      region: text('a region id such as cn-hangzhou (a-z 0-9 -)', 'body/region'),
      endpoint: text(HOST, 'body/endpoint'),
      'internal-endpoint': text(HOST, 'body/internal_endpoint'),
      'vpc-endpoint': text(HOST, 'body/vpc_endpoint'),
      duration: wholeNumber(900, 43_200, 'seconds', 'body/duration_seconds'),
      'upstream-json': text('JSON with the provider\'s upstream fields (docs/operations.md)', 'body/upstream'),
      'upstream-file': text('a file holding JSON with the provider\'s upstream fields (docs/operations.md)', 'body/upstream')
    },
    summary: 'create a target --name --provider local|aliyun|aws|huawei --bucket --region --endpoint [--internal-endpoint] [--vpc-endpoint] [--duration S] [--upstream-json JSON | --upstream-file F]',
    async run (ctx) {
      const f = ctx.flags
      for (const required of ['name', 'provider', 'bucket', 'region', 'endpoint'] as const) {
        if (f[required] === undefined) throw new CliError(`targets create needs --${required}`, 2)
      }
      const data = await ctx.client.call('POST', `${await projectPath(ctx)}/targets`, defined({
        name: f.name,
        provider: f.provider,
        bucket: f.bucket,
        region: f.region,
        endpoint: f.endpoint,
        internal_endpoint: f['internal-endpoint'],
        vpc_endpoint: f['vpc-endpoint'],
        duration_seconds: f.duration === undefined ? undefined : Number(f.duration),
        upstream: await upstreamOf(f)
      }))
      return { data, object: data }
    }
  }),
  delete: command({
    args: [project, hex16('target_id', 'a target id')], summary: 'delete a target (refused while bound)',
    async run (ctx) {
      await ctx.client.call('DELETE', `${await projectPath(ctx)}/targets/${enc(ctx.arg.target_id)}`)
      return { data: undefined, message: `deleted target ${ctx.arg.target_id}` }
    }
  })
}

const devices: Record<string, Command> = {
  list: command({
    args: [project], summary: 'list devices',
    async run (ctx) {
      const data = await ctx.client.call('GET', `${await projectPath(ctx)}/devices`)
      return { data, table: { rows: data.devices, columns: ['device_id', 'has_secondary_secret', 'created_at', 'updated_at'] } }
    }
  }),
  create: command({
    args: [project],
    options: {
      'device-id': text('1 to 128 of A-Z a-z 0-9 _ -', 'body/device_id'),
      secret: text(secretText, 'body/secret'),
      'secondary-secret': text(secretText, 'body/secondary_secret')
    },
    summary: 'register a device [--device-id ID] [--secret S] [--secondary-secret S] (secret shown once)',
    async run (ctx) {
      const data = await ctx.client.call('POST', `${await projectPath(ctx)}/devices`, defined({
        device_id: ctx.flags['device-id'], secret: ctx.flags.secret, secondary_secret: ctx.flags['secondary-secret']
      }))
      return { data, object: data, note: SECRET_NOTE }
    }
  }),
  show: command({
    args: [project, deviceId], summary: 'show a device',
    async run (ctx) { const data = await ctx.client.call('GET', `${await projectPath(ctx)}/devices/${enc(ctx.arg.device_id)}`); return { data, object: data } }
  }),
  delete: command({
    args: [project, deviceId], summary: 'delete a device',
    async run (ctx) {
      await ctx.client.call('DELETE', `${await projectPath(ctx)}/devices/${enc(ctx.arg.device_id)}`)
      return { data: undefined, message: `deleted device ${ctx.arg.device_id}` }
    }
  })
}

const gateways: Record<string, Command> = {
  list: command({
    args: [project], summary: 'list DJI docks',
    async run (ctx) {
      const data = await ctx.client.call('GET', `${await projectPath(ctx)}/gateways`)
      return { data, table: { rows: data.gateways, columns: GATEWAY_COLUMNS } }
    }
  }),
  create: command({
    args: [project],
    options: {
      sn: text('1 to 64 of A-Z a-z 0-9 _ -', 'body/sn'),
      target: text('a target id (see stsgate targets list)', 'body/target_id'),
      prefix: text(prefixText, 'body/object_key_prefix'),
      password: text('12 to 128 characters', 'body/password'),
      'sub-device': { type: 'string', multiple: true, expects: 'serial numbers of 1 to 64 of A-Z a-z 0-9 _ -', field: 'body/sub_devices' }
    },
    summary: 'register a dock --sn SN --target T [--prefix P] [--password PW] [--sub-device SN …] (password shown once)',
    async run (ctx) {
      const f = ctx.flags
      if (f.sn === undefined || f.target === undefined) throw new CliError('gateways create needs --sn and --target', 2)
      const data = await ctx.client.call('POST', `${await projectPath(ctx)}/gateways`, defined({
        sn: f.sn, target_id: f.target, object_key_prefix: f.prefix, password: f.password, sub_devices: f['sub-device']
      }))
      return { data, object: data, note: 'store the password now: it is shown only once' }
    }
  }),
  show: command({
    args: [project, sn], summary: 'show a dock',
    async run (ctx) { const data = await ctx.client.call('GET', `${await projectPath(ctx)}/gateways/${enc(ctx.arg.sn)}`); return { data, object: data } }
  }),
  update: command({
    args: [project, sn],
    options: { target: text('a target id (see stsgate targets list)', 'body/target_id'), prefix: text(prefixText, 'body/object_key_prefix'), disable: flagOnly, enable: flagOnly },
    summary: 'change a dock [--target T] [--prefix P] [--disable|--enable]',
    async run (ctx) {
      const body = defined({ target_id: ctx.flags.target, object_key_prefix: ctx.flags.prefix, disabled: enabledFlag(ctx.flags) })
      if (Object.keys(body).length === 0) throw new CliError('nothing to change: give --target, --prefix, --disable or --enable', 2)
      const data = await ctx.client.call('PATCH', `${await projectPath(ctx)}/gateways/${enc(ctx.arg.sn)}`, body)
      return { data, object: data }
    }
  }),
  delete: command({
    args: [project, sn], summary: 'delete a dock',
    async run (ctx) {
      await ctx.client.call('DELETE', `${await projectPath(ctx)}/gateways/${enc(ctx.arg.sn)}`)
      return { data: undefined, message: `deleted gateway ${ctx.arg.sn}` }
    }
  })
}

export const STORAGE_COMMANDS: Record<string, Record<string, Command>> = { targets, devices, gateways }
