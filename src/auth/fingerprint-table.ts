/**
 * A set of 64-bit fingerprints in one typed array: open addressing with
 * linear probing, 8 bytes a slot, no per-entry object. It only grows (by half,
 * at 75 % load, so it stays between 50 % and 75 % full: 10.7 to 16 bytes per
 * entry); a replay window drops a whole table once every entry in it has
 * expired, so nothing is ever deleted from one.
 *
 * A fingerprint is two 32-bit halves; (0, 0) marks an empty slot, so the
 * caller never passes it (see src/auth/replay.ts).
 */
export class FingerprintTable {
  static readonly MAX_LOAD = 0.75
  /** Slots of a new table: 2 KB. */
  static readonly INITIAL_SLOTS = 256

  #slots: Uint32Array
  #capacity: number
  #count = 0

  constructor (capacity = FingerprintTable.INITIAL_SLOTS) {
    this.#capacity = capacity
    this.#slots = new Uint32Array(capacity * 2)
  }

  get count (): number { return this.#count }
  get bytes (): number { return this.#slots.byteLength }

  /** The table's size in bytes once it has grown for one more entry (equal to `bytes` when no growth is due). */
  bytesAfterAdd (): number {
    return this.#count + 1 > this.#capacity * FingerprintTable.MAX_LOAD ? grownCapacity(this.#capacity) * 8 : this.#slots.byteLength
  }

  has (lo: number, hi: number): boolean {
    const slots = this.#slots
    const capacity = this.#capacity
    let i = home(lo, capacity)
    for (;;) {
      const slotLo = slots[i * 2] as number
      const slotHi = slots[i * 2 + 1] as number
      if (slotLo === lo && slotHi === hi) return true
      if (slotLo === 0 && slotHi === 0) return false
      if (++i === capacity) i = 0
    }
  }

  /** Adds a fingerprint the caller knows is absent (it asked `has` first). */
  add (lo: number, hi: number): void {
    if (this.#count + 1 > this.#capacity * FingerprintTable.MAX_LOAD) this.#grow()
    place(this.#slots, this.#capacity, lo, hi)
    this.#count++
  }

  #grow (): void {
    const old = this.#slots
    const capacity = grownCapacity(this.#capacity)
    const slots = new Uint32Array(capacity * 2)
    for (let i = 0; i < old.length; i += 2) {
      const lo = old[i] as number
      const hi = old[i + 1] as number
      if (lo !== 0 || hi !== 0) place(slots, capacity, lo, hi)
    }
    this.#slots = slots
    this.#capacity = capacity
  }
}

/** By half, in whole 64-slot steps. */
const grownCapacity = (capacity: number): number => Math.ceil(capacity * 1.5 / 64) * 64

/**
 * The home slot: the top 24 bits of `lo` scaled to the capacity (exact in
 * doubles up to 2^29 slots), so any capacity works, not only powers of two.
 */
const home = (lo: number, capacity: number): number => Math.floor((lo >>> 8) * capacity / 16_777_216)

function place (slots: Uint32Array, capacity: number, lo: number, hi: number): void {
  let i = home(lo, capacity)
  while (slots[i * 2] !== 0 || slots[i * 2 + 1] !== 0) {
    if (++i === capacity) i = 0
  }
  slots[i * 2] = lo
  slots[i * 2 + 1] = hi
}
