/**
 * Wire-format names → row numbers, without a JS object or string per name: the lower-cased keys
 * sit back to back in one buffer and an open-addressing table (FNV-1a, linear probing) holds the
 * rows. A query is looked up straight from its own bytes, folding ASCII case as it hashes
 * (RFC 4343), so the hot path allocates nothing and 10 000 instances cost a few typed arrays.
 */

/** FNV-1a over bytes [start, end) with A–Z folded to a–z. */
function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) {
    const b = bytes[i]!
    h = Math.imul(h ^ (b >= 0x41 && b <= 0x5a ? b | 0x20 : b), 0x01000193)
  }
  return h >>> 0
}

export class NameIndex {
  readonly #slots: Int32Array
  readonly #keys: Buffer
  readonly #offsets: Int32Array

  /** `offsets[row]..offsets[row + 1]` is the key of `row` in `keys`; slots hold row + 1 (0 = empty). */
  constructor(keys: Buffer, offsets: Int32Array) {
    this.#keys = keys
    this.#offsets = offsets
    const rows = offsets.length - 1
    let size = 16
    while (size < rows * 2) size *= 2
    this.#slots = new Int32Array(size)
    for (let row = 0; row < rows; row++) {
      if (this.find(keys, offsets[row]!, offsets[row + 1]!) >= 0) continue // a second spelling of a name: the first wins
      let slot = hash(keys, offsets[row]!, offsets[row + 1]!) & (size - 1)
      while (this.#slots[slot] !== 0) slot = (slot + 1) & (size - 1)
      this.#slots[slot] = row + 1
    }
  }

  /** The row of the name in bytes [start, end) (any case), or -1. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start
    const mask = this.#slots.length - 1
    for (let slot = hash(bytes, start, end) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!
      if (entry === 0) return -1
      const row = entry - 1
      const at = this.#offsets[row]!
      if (this.#offsets[row + 1]! - at === length && this.#equal(bytes, start, at, length)) return row
    }
  }

  #equal(bytes: Uint8Array, start: number, at: number, length: number): boolean {
    for (let i = 0; i < length; i++) {
      const b = bytes[start + i]!
      if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== this.#keys[at + i]) return false
    }
    return true
  }
}

/**
 * A copy in memory of its own. Buffer.from() puts small copies in Node's shared 8 KB pool, which
 * the server's replies also fill: a long-lived copy there keeps a whole slab of dead replies alive.
 */
export function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length)
  bytes.copy(copy)
  return copy
}

/** Collects keys (lower-case wire names as latin1 strings) in row order. */
export class NameIndexBuilder {
  #keys = Buffer.allocUnsafe(2048)
  #offsets = new Int32Array(64)
  #count = 0

  get count(): number {
    return this.#count
  }

  reset(): void {
    this.#count = 0
  }

  /** Appends the key of the next row and returns that row. */
  add(key: string): number {
    if (this.#offsets.length < this.#count + 2) {
      const bigger = new Int32Array(this.#offsets.length * 2)
      bigger.set(this.#offsets)
      this.#offsets = bigger
    }
    const at = this.#offsets[this.#count]!
    if (this.#keys.length < at + key.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#keys.length * 2, at + key.length))
      this.#keys.copy(bigger, 0, 0, at)
      this.#keys = bigger
    }
    this.#keys.write(key, at, 'latin1')
    this.#offsets[++this.#count] = at + key.length
    return this.#count - 1
  }

  finish(): NameIndex {
    const end = this.#offsets[this.#count]!
    return new NameIndex(ownCopy(this.#keys.subarray(0, end)), this.#offsets.slice(0, this.#count + 1))
  }
}
