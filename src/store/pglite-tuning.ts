import { setFlagsFromString } from 'node:v8'

/**
 * How stsgate runs PGlite in as little memory as it can (docs/performance.md).
 *
 * V8 compiles PGlite's WASM twice by default: quickly with Liftoff, then the
 * hot functions again with TurboFan on background threads. That optimised
 * code is native memory outside the WASM heap, and it keeps growing as new
 * Postgres code paths run (tens of MB). Liftoff's code is a little slower,
 * but stsgate's hot path is served from memory caches; the store sees a few
 * queries per second. `--liftoff-only` must be set before the module is
 * compiled; the flag is process-wide, so it also applies to any other WASM
 * compiled afterwards.
 *
 * Node 24's V8 ignores the flag when it is set at run time: the embedded
 * store then took 236–263 MB at rest instead of ~180 MB, with peaks over
 * 700 MB. So it is on the command line wherever stsgate is started (SERVE_FLAGS
 * below; and the initdb child), and set here as well, which still works on
 * Node 22 and for processes started otherwise (tests).
 */
export const PGLITE_V8_FLAGS = ['--liftoff-only'] as const

/**
 * node's command line wherever stsgate serves: the `stsgate` bin's shebang
 * (`env -S node …`), `npm start`, the systemd unit, the bench. Besides the
 * WASM flag, V8's young generation at 4 MB semi-spaces instead of Node's
 * 16 MB: on Node 24 with the embedded store, RSS at rest 182 → 158–161 MB and
 * the peak under a signed soak 233 → 188–190 MB, with no CPU cost per request
 * that interleaved runs could tell from noise (2 MB semi-spaces did cost:
 * ~10 % on the token vend). docs/performance.md has the runs.
 */
export const SERVE_FLAGS = [...PGLITE_V8_FLAGS, '--max-semi-space-size=4'] as const

export function useBaselineWasmCompiler (): void {
  for (const flag of PGLITE_V8_FLAGS) setFlagsFromString(flag)
}

/**
 * postgresql.conf. Postgres allocates shared_buffers, wal_buffers and the
 * per-connection structures inside the WASM heap, which never shrinks, so
 * they size the process for good. stsgate's database is a few thousand rows;
 * its pages stay in the file system cache anyway. PGlite is single-user: one
 * connection, a few for the start-up helpers.
 */
export const PGLITE_POSTGRESQL_CONF = [
  'shared_buffers=1MB',
  'work_mem=1MB',
  'maintenance_work_mem=1MB',
  'temp_buffers=1MB',
  'wal_buffers=64kB',
  'max_connections=3'
]
