/**
 * The lifecycle the write-behind logs share (the vend audit,
 * src/credentials/vend-audit.ts, and the last-used log, src/auth/last-used.ts):
 * a timer writes every `intervalMs` (unref'd: it never keeps a process
 * alive), one write at a time — a flush asked for while one runs joins it,
 * which keeps batches in order — and `close` stops the timer, waits for a
 * running write and writes what is left once more.
 */
export class PeriodicFlush {
  readonly #write: () => Promise<void>
  readonly #timer: NodeJS.Timeout
  #running: Promise<void> | undefined
  #closed = false

  /** `write` must not reject: each log keeps what it could not write and reports the failure itself. */
  constructor (write: () => Promise<void>, intervalMs: number) {
    this.#write = write
    this.#timer = setInterval(() => { void this.flush() }, intervalMs)
    this.#timer.unref()
  }

  flush (): Promise<void> {
    this.#running ??= this.#write().finally(() => { this.#running = undefined })
    return this.#running
  }

  /** Stops the timer and writes what is left; later records are kept, and only an explicit flush writes them. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    await this.#running
    await this.flush()
  }
}
