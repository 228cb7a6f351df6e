import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Config } from './config.js'
import { MasterKey } from './keys.js'

export interface RuntimeSecrets {
  adminToken: string
  keys: MasterKey
  /** Where a generated value was written, for the start-up log (never the value). */
  generated: string[]
}

/**
 * The admin token and master key: from the environment, or — for the embedded
 * store only (config enforces this) — read from or generated into the data
 * directory with mode 0600. `wx` makes two racing first starts agree on one file.
 */
export async function resolveRuntimeSecrets (config: Config): Promise<RuntimeSecrets> {
  const generated: string[] = []
  const fromFile = async (name: string, make: () => string): Promise<string> => {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
    const path = join(config.dataDir, name)
    try {
      await writeFile(path, `${make()}\n`, { flag: 'wx', mode: 0o600 })
      generated.push(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    return (await readFile(path, 'utf8')).trim()
  }
  const adminToken = config.adminToken ?? await fromFile('admin-token', () => randomBytes(32).toString('base64url'))
  const master = config.masterKey ?? Buffer.from(await fromFile('master-key', () => randomBytes(32).toString('base64')), 'base64')
  if (master.length !== 32) throw new Error(`${join(config.dataDir, 'master-key')} does not hold base64 of 32 bytes`)
  return { adminToken, keys: new MasterKey(master), generated }
}
