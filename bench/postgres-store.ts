import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { startServerChild } from './child.js'
import { load } from './load.js'
import { hmacScenario, MB, shippedDefaultsEnv } from './shipped-defaults.js'
import { adminClient, createProject } from './setup.js'

/**
 * The same shipped defaults on PostgreSQL (BENCH_DATABASE_URL): a database of
 * its own is created for the run and dropped after it. Start time, RSS at rest
 * after provisioning (full GC), then a signed-request soak and the process's
 * peak RSS (VmHWM).
 */
export interface PostgresFigures {
  startMs: number
  rssAtRestAfterProvisioningMb: number
  soakSeconds: number
  soakRequestsPerSecond: number
  soakNon2xx: number
  peakRssMb: number
}

export async function runOnPostgres (options: { databaseUrl: string, adminToken: string, workDir: string, connections: number, soakSeconds: number, log: (line: string) => void }): Promise<PostgresFigures> {
  const database = `stsgate_bench_${randomBytes(4).toString('hex')}`
  const adminUrl = options.databaseUrl
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  await client.query(`create database ${database}`)
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  try {
    options.log(`PostgreSQL: stsgate child on database ${database}`)
    const env = {
      ...await shippedDefaultsEnv(options.adminToken),
      STSGATE_DATABASE_URL: url.toString(),
      STSGATE_MASTER_KEY: randomBytes(32).toString('base64')
    }
    const gate = await startServerChild('stsgate', { env, logFile: join(options.workDir, 'stsgate-postgres.log') })
    try {
      const admin = adminClient(gate.url, options.adminToken)
      const ws = await createProject(admin, 'pg-ws', { contract: 'workspace', target: { provider: 'local' } })
      const rest = await gate.gcSample()
      const soak = await load(gate.url, hmacScenario('soak on PostgreSQL', gate, ws), { connections: options.connections, duration: options.soakSeconds, expected: options.soakSeconds * 3000 })
      return {
        startMs: gate.startMs,
        rssAtRestAfterProvisioningMb: MB(rest.rss),
        soakSeconds: soak.durationSeconds,
        soakRequestsPerSecond: soak.requestsPerSecond,
        soakNon2xx: soak.non2xx,
        peakRssMb: MB(gate.highWaterRss())
      }
    } finally {
      await gate.stop()
    }
  } finally {
    // The child has closed its pool; force out anything left so the drop cannot hang.
    await client.query(`drop database if exists ${database} with (force)`).catch(() => {})
    await client.end()
  }
}
