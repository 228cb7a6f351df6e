/**
 * Replies to recent requests, keyed by (gateway sn, tid): a QoS 1 redelivery
 * of the same request gets the same reply without a second vend
 * (docs/dji.md "3. The exchange": nothing is keyed on `tid` alone — tids are chosen by
 * docks, so two docks may well use the same one).
 *
 * Bounded in time (`windowMs`) and size (`maxEntries`, oldest dropped
 * first). A request still being answered is shared as a promise, so a
 * redelivery that arrives meanwhile waits for the same reply.
 */
export class RecentReplies<T> {
  readonly #entries = new Map<string, { at: number, reply: Promise<T> }>() // insertion order = age

  constructor (readonly windowMs: number, readonly maxEntries: number, private readonly now: () => number) {
    if (windowMs <= 0 || maxEntries < 1) throw new Error('the reply window needs a positive duration and size')
  }

  get size (): number { return this.#entries.size }

  /**
   * The reply already given (or being given) to this (sn, tid) within the
   * window (`repeat: true`); otherwise starts `answer()` and remembers its reply.
   */
  remembered (sn: string, tid: string, answer: () => Promise<T>): { reply: Promise<T>, repeat: boolean } {
    const now = this.now()
    this.#prune(now)
    // JSON keeps the two parts unambiguous whatever characters a tid holds.
    const key = JSON.stringify([sn, tid])
    const known = this.#entries.get(key)
    if (known !== undefined) return { reply: known.reply, repeat: true }
    const reply = answer()
    // A rejected answer is not a reply: forget it so a redelivery tries again.
    reply.catch(() => { if (this.#entries.get(key)?.reply === reply) this.#entries.delete(key) })
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { at: now, reply })
    return { reply, repeat: false }
  }

  #prune (now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.at < this.windowMs) return
      this.#entries.delete(key)
    }
  }
}
