import { join } from 'node:path'
import { loadConfig } from '../config.js'
import { resolveRuntimeSecrets } from '../runtime-secrets.js'
import { Store } from '../store/store.js'
import type { Output } from './output.js'

/**
 * `stsgate audit verify`: reads the store directly with the same configuration
 * as `stsgate serve` (the chain is the evidence, so it is not asked of the
 * server it is meant to check). Opening the store runs the idempotent
 * migrations and the master-key check, nothing else. Every chain is checked —
 * the admin chain and each instance's vend chain — and reported on its own line.
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
    const results = await store.verifyAllAudit()
    const ok = results.every((r) => r.ok)
    if (json) out.write(`${JSON.stringify({ ok, chains: results })}\n`)
    else {
      for (const r of results) {
        out.write(r.ok ? `ok: ${r.events} events in the ${r.chain} chain verify\n` : `problem in the ${r.chain} chain: ${r.problem}\n`)
      }
    }
    return ok ? 0 : 1
  } finally {
    await store.close()
  }
}
