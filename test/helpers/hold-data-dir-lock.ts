import { lockDataDir } from '../../src/store/data-dir-lock.js'

/**
 * A second process for the lock tests: takes the lock on argv[2] through the
 * real module, says "locked" on stdout, then waits to be killed (SIGKILL
 * leaves the lock file behind, as a crashed server would).
 */
await lockDataDir(process.argv[2]!)
process.stdout.write('locked\n')
setInterval(() => {}, 60_000)
