import { command, resolveProject, text, timestamp, wholeNumber, type Command, type OptionSpec } from './command-spec.js'
import type { AdminClient } from './admin-client.js'

/** `stsgate audit list` and `stsgate vends list`: the change log and the vend log, newest first. */

const FILTERS = {
  project: text('a project id or name', 'querystring/project_id'),
  principal: text('admin, ak:<access key id>, token:<token id> or gateway:<sn>', 'querystring/principal'),
  since: timestamp('querystring/since'),
  until: timestamp('querystring/until'),
  limit: wholeNumber(1, 500, 'events', 'querystring/limit'),
  cursor: text('the next_cursor a previous page printed', 'querystring/cursor')
} satisfies Record<string, OptionSpec>

interface Filters { project?: string, principal?: string, since?: string, until?: string, limit?: string, cursor?: string }

async function query (client: AdminClient, f: Filters, extra: Record<string, string | undefined>): Promise<string> {
  const params = new URLSearchParams()
  const set = (key: string, value: string | undefined): void => { if (value !== undefined) params.set(key, value) }
  set('project_id', f.project === undefined ? undefined : await resolveProject(client, f.project))
  set('principal', f.principal)
  set('since', f.since === undefined ? undefined : new Date(f.since).toISOString())
  set('until', f.until === undefined ? undefined : new Date(f.until).toISOString())
  set('limit', f.limit)
  set('cursor', f.cursor)
  for (const [k, v] of Object.entries(extra)) set(k, v)
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

const more = (cursor: string | null): string | undefined => cursor === null ? undefined : `older events: add --cursor ${cursor}`

const audit: Record<string, Command> = {
  list: command({
    args: [],
    options: { ...FILTERS, action: text('an action such as access_key.rotate or project.delete', 'querystring/action') },
    summary: 'the admin change log, newest first [--project P] [--principal X] [--action A] [--since T] [--until T] [--limit N] [--cursor C]',
    async run ({ client, flags }) {
      const data = await client.call('GET', `/audit${await query(client, flags, { action: flags.action })}`)
      const rows = data.events.map((e: Record<string, unknown>) => ({ ...e, detail: JSON.stringify(e.detail) }))
      const note = more(data.next_cursor)
      return { data, table: { rows, columns: ['at', 'project_id', 'principal', 'action', 'subject', 'detail'] }, ...(note === undefined ? {} : { note }) }
    }
  })
}

const vends: Record<string, Command> = {
  list: command({
    args: [],
    options: {
      ...FILTERS,
      contract: { type: 'string', expects: 'edas, workspace or dji', valid: (v: string) => ['edas', 'workspace', 'dji'].includes(v), field: 'querystring/contract' }
    },
    summary: 'what was vended to whom, newest first [--project P] [--principal X] [--contract C] [--since T] [--until T] [--limit N] [--cursor C]',
    async run ({ client, flags }) {
      const data = await client.call('GET', `/vends${await query(client, flags, { contract: flags.contract })}`)
      const rows = data.vends.map((v: Record<string, unknown>) => ({ ...v, where: v.prefix ?? v.object }))
      const note = more(data.next_cursor)
      return {
        data,
        table: { rows, columns: ['at', 'project_id', 'principal', 'contract', 'target_id', 'where', 'count', 'from_cache', 'expires_at'] },
        ...(note === undefined ? {} : { note })
      }
    }
  })
}

export const LOG_COMMANDS: Record<string, Record<string, Command>> = { audit, vends }
