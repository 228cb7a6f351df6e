import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/**
 * One process per embedded store: PGlite has no locking of its own, and two
 * processes on one data directory corrupt it. The lock is a pid file beside the
 * data directory (`<dir>.lock`), taken atomically with link(2) and judged
 * stale, like PostgreSQL's postmaster.pid, when its process is gone or is this
 * very process (a restarted container often gets the same pid again).
 */
export class StoreLockedError extends Error {
  constructor (readonly dataDir: string, readonly pid: number) {
    super(`the embedded store ${dataDir} is in use by process ${pid}; stop it first (one process per embedded store)`)
    this.name = 'StoreLockedError'
  }
}

export interface DataDirLock {
  release (): Promise<void>
}

const lockPath = (dataDir: string): string => `${resolve(dataDir)}.lock`
/** Locks this process holds: a second open in the same process is refused too. */
const held = new Set<string>()

/** Takes the lock or throws StoreLockedError naming the process that holds it. */
export async function lockDataDir (dataDir: string): Promise<DataDirLock> {
  const path = lockPath(dataDir)
  if (held.has(path)) throw new StoreLockedError(dataDir, process.pid)
  held.add(path) // before the first await: a concurrent open in this process sees it
  try {
    await takeLockFile(dataDir, path)
  } catch (err) {
    held.delete(path)
    throw err
  }
  return {
    async release () {
      if (!held.delete(path)) return
      if (await readPid(path) === process.pid) await unlink(path).catch(ignoreMissing)
    }
  }
}

async function takeLockFile (dataDir: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}`
  await writeFile(tmp, `${process.pid}\n`, { mode: 0o600 })
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path) // atomic: fails with EEXIST when a lock file is there, complete or not at all
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const holder = await otherLiveHolder(path)
      if (holder !== undefined) throw new StoreLockedError(dataDir, holder)
      if (attempt > 0) throw new Error(`cannot take the lock ${path}: another process keeps replacing it`)
      // Stale: its process is gone. Two processes clearing the same stale file at
      // once would need to start within microseconds of each other; the loser then
      // finds the winner's live pid on its second attempt.
      await unlink(path).catch(ignoreMissing)
    }
  } finally {
    await unlink(tmp).catch(ignoreMissing)
  }
}

/** The pid of a live process holding the lock on dataDir, if any (for commands that must not open it). */
export async function dataDirLockHolder (dataDir: string): Promise<number | undefined> {
  return readHolder(lockPath(dataDir))
}

async function readHolder (path: string): Promise<number | undefined> {
  return held.has(path) ? process.pid : await otherLiveHolder(path)
}

/** Another live process's pid in the lock file; this process's own pid there is a leftover. */
async function otherLiveHolder (path: string): Promise<number | undefined> {
  const pid = await readPid(path)
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined
}

async function readPid (path: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    ignoreMissing(err)
    return undefined
  }
  const pid = Number(text.trim())
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // alive, owned by another user
  }
}

function ignoreMissing (err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
}
