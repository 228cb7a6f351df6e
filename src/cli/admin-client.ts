import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The admin API over HTTP, for the CLI. Failures become CliError with the one
 * line an operator needs: refused token, unreachable server, or the API's own
 * `{error, message}`.
 */
export class CliError extends Error {
  constructor (message: string, readonly exitCode = 1) {
    super(message)
    this.name = 'CliError'
  }
}

/** The API refused the request with its own `{error, message}`. */
export class ApiError extends CliError {
  constructor (readonly code: string, readonly apiMessage: string, readonly status: number) {
    super(`${code}: ${apiMessage} (HTTP ${status})`)
    this.name = 'ApiError'
  }
}

export interface AdminClient {
  /** Parsed JSON of a 2xx answer; undefined for 204. */
  call (method: string, path: string, body?: unknown): Promise<any>
}

export function createAdminClient (baseUrl: string, token: string): AdminClient {
  return {
    async call (method, path, body) {
      let res: Response
      try {
        res = await fetch(`${baseUrl}/admin/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          redirect: 'error'
        })
      } catch (err) {
        throw new CliError(`cannot reach stsgate at ${baseUrl} (${networkCause(err)})`)
      }
      const text = await res.text()
      const parsed = parseJson(text)
      if (res.status === 401) {
        throw new CliError(`the admin token was refused by ${baseUrl} (401); pass --token, set STSGATE_ADMIN_TOKEN, or check <data dir>/admin-token`)
      }
      if (!res.ok) {
        const { error, message } = (parsed ?? {}) as { error?: string, message?: string }
        throw error === undefined ? new CliError(`HTTP ${res.status} from ${baseUrl}`) : new ApiError(error, message ?? '', res.status)
      }
      return res.status === 204 ? undefined : parsed
    }
  }
}

function parseJson (text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is on the cause. */
function networkCause (err: unknown): string {
  let e: unknown = err
  for (let i = 0; i < 4 && e !== undefined && e !== null; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code === 'ECONNREFUSED' ? 'connection refused' : code
    e = (e as { cause?: unknown }).cause
  }
  return (err as Error).message
}

/** The token `stsgate serve` generated into the data directory, for CLI calls on the same host. */
export async function tokenFromDataDir (dataDir: string): Promise<string> {
  const path = join(dataDir, 'admin-token')
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    throw new CliError(`no admin token: pass --token, set STSGATE_ADMIN_TOKEN, or run where ${path} exists`, 2)
  }
}
