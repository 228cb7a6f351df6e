import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'
import { MasterKey } from './keys.js'
import { Store } from './store/store.js'

/**
 * The OpenAPI document, generated from the route schemas: nothing is written
 * by hand. `npm run openapi` writes openapi.yaml; a test fails when the
 * checked-in file differs from what this produces.
 */
export async function generateOpenApiYaml (options: { store?: Store, keys?: MasterKey } = {}): Promise<string> {
  // The routes only need a store to be registered, not to be read: a caller
  // (the drift test) may lend one it has already opened, sparing an initdb.
  const keys = options.keys ?? new MasterKey(randomBytes(32))
  const store = options.store ?? await Store.open({ keys })
  const app = await buildApp({
    config: loadConfig({ STSGATE_LOG_LEVEL: 'silent' }),
    store,
    keys,
    adminToken: randomBytes(32).toString('hex')
  })
  try {
    await app.ready()
    return app.swagger({ yaml: true })
  } finally {
    await app.close()
    if (options.store === undefined) await store.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = process.argv[2] ?? 'openapi.yaml'
  await writeFile(target, await generateOpenApiYaml())
  process.stdout.write(`wrote ${target}\n`)
}
