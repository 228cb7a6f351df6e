import { join } from 'node:path'
import { loadConfig } from '../config.js'
import { resolveRuntimeSecrets } from '../runtime-secrets.js'
import { ADMIN_CHAIN } from '../store/audit.js'
import { Store } from '../store/store.js'
import type { Output } from './output.js'

/**
 * `stsgate audit verify`: reads the store directly with the same configuration
 * as `stsgate serve` (the chain is the evidence, so it is not asked of the
 * server it is meant to check). Opening the store runs the idempotent
 * migrations and the master-key check, nothing else.
 */
export async function verifyAdminAudit (env: Record<string, string | undefined> | undefined, out: Output, json: boolean): Promise<number> {
  const config = loadConfig(env)
  const secrets = await resolveRuntimeSecrets(config)
  const store = await Store.open({
    keys: secrets.keys,
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl === undefined ? join(config.dataDir, 'pglite') : undefined
  })
  try {
    const result = await store.verifyAudit(ADMIN_CHAIN)
    if (json) out.write(`${JSON.stringify(result)}\n`)
    else out.write(result.ok ? `ok: ${result.events} events in the ${result.chain} chain verify\n` : `problem in the ${result.chain} chain: ${result.problem}\n`)
    return result.ok ? 0 : 1
  } finally {
    await store.close()
  }
}
