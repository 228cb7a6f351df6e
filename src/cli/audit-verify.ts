import { join } from 'node:path'
import { loadCliConfig, loadConfig, localServerUrl, type Config } from '../config.js'
import { resolveRuntimeSecrets } from '../runtime-secrets.js'
import { dataDirLockHolder, StoreLockedError } from '../store/data-dir-lock.js'
import { Store } from '../store/store.js'
import type { AuditVerification } from '../store/audit.js'
import { CliError, createAdminClient, tokenFromDataDir } from './admin-client.js'
import type { Output } from './output.js'

export interface AuditVerifyOptions {
  env: Record<string, string | undefined> | undefined
  out: Output
  json: boolean
  /** --url / --token: the running server to ask, when one holds the embedded store. */
  url?: string
  token?: string
}

/**
 * `stsgate audit verify`: checks every chain — the admin chain and each
 * instance's vend chain — and reports each on its own line. With the same
 * configuration as `stsgate serve` it reads the store directly (opening it runs
 * the idempotent migrations and the master-key check, nothing else), except
 * when a running server holds the embedded store: one process per PGlite
 * directory (docs/operations.md), so it then asks that server's admin API.
 */
export async function verifyAudit (options: AuditVerifyOptions): Promise<number> {
  const config = loadConfig(options.env)
  const pgliteDir = config.databaseUrl === undefined ? join(config.dataDir, 'pglite') : undefined
  const holder = pgliteDir === undefined ? undefined : await dataDirLockHolder(pgliteDir)
  const results = holder === undefined
    ? await verifyInStore(config, pgliteDir)
    : await verifyThroughServer(config, options, pgliteDir!, holder)
  const ok = results.every((r) => r.ok)
  if (options.json) options.out.write(`${JSON.stringify({ ok, chains: results })}\n`)
  else {
    for (const r of results) {
      options.out.write(r.ok ? `ok: ${r.events} events in the ${r.chain} chain verify\n` : `problem in the ${r.chain} chain: ${r.problem}\n`)
    }
  }
  return ok ? 0 : 1
}

async function verifyInStore (config: Config, pgliteDir: string | undefined): Promise<AuditVerification[]> {
  const secrets = await resolveRuntimeSecrets(config)
  let store: Store
  try {
    store = await Store.open({ keys: secrets.keys, databaseUrl: config.databaseUrl, dataDir: pgliteDir })
  } catch (err) {
    // A server started between the check and the open.
    if (err instanceof StoreLockedError) throw new CliError(err.message)
    throw err
  }
  try {
    return await store.verifyAllAudit()
  } finally {
    await store.close()
  }
}

async function verifyThroughServer (config: Config, options: AuditVerifyOptions, pgliteDir: string, pid: number): Promise<AuditVerification[]> {
  const cli = loadCliConfig(options.env, localServerUrl(config))
  const url = options.url?.replace(/\/+$/, '') ?? cli.url
  const token = options.token ?? cli.adminToken ?? await tokenFromDataDir(cli.dataDir)
  try {
    const answer = await createAdminClient(url, token).call('GET', '/audit/verify') as { chains: AuditVerification[] }
    return answer.chains
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    throw new CliError(`the embedded store ${pgliteDir} is in use by process ${pid}, which must be asked instead: ${err.message} (pass --url)`)
  }
}
