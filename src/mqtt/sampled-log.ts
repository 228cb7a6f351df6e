/**
 * Log lines for events a client can repeat at will (malformed messages,
 * refused publishes, refused logins): the first of each kind is written, then
 * at most one line per interval, carrying `suppressed` — how many of that kind
 * were not written since the previous line. Counting every event is the
 * metrics' job (docs/operations.md "Logs"); this only keeps the log readable
 * and cheap under a flood.
 *
 * `kind` must come from a bounded set (a reason code), never from the client.
 */
export type SampledLog = (kind: string, write: (suppressed: number) => void) => void

/** Default: one line per kind every ten seconds. */
export const SAMPLE_INTERVAL_MS = 10_000

export function sampledLog (intervalMs = SAMPLE_INTERVAL_MS, now: () => number = Date.now): SampledLog {
  const kinds = new Map<string, { last: number, suppressed: number }>()
  return (kind, write) => {
    const at = now()
    const seen = kinds.get(kind)
    if (seen !== undefined && at - seen.last < intervalMs) {
      seen.suppressed++
      return
    }
    const suppressed = seen?.suppressed ?? 0
    kinds.set(kind, { last: at, suppressed: 0 })
    write(suppressed)
  }
}
