// Byte arrays joined into one, bytes held across chunks (SSE events, bodies), and a body read up to a
// limit (request bodies without content-length, upstream answers).

/** One array holding `parts` in order (a new array; the parts are not changed). */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) size += part.byteLength
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

/**
 * A stream's bytes, counted as they arrive; undefined (and the rest cancelled) once more than `limit`
 * came. Held as HeldBytes holds them (whole chunks kept, small ones copied into blocks, so a drip of tiny
 * chunks holds no per-chunk object) and joined once at the end: an answer over the limit is refused
 * having copied nothing of it.
 */
export async function readAtMost(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | undefined> {
  const reader = body.getReader()
  const held = new HeldBytes(limit)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (held.size + value.byteLength > limit) {
      reader.cancel().catch(() => {})
      return undefined
    }
    held.add(value, 0, value.byteLength)
  }
  return held.take()
}

/**
 * Bytes held across chunks, in pieces, joined once when they are taken: holding n bytes copies at most
 * n (small pieces, into owned blocks) and joining copies n once more, in any pieces. A chunk held whole
 * (from 0 to its end, at least REF_MIN bytes, most of its buffer) is kept as it is, not copied: an event
 * that never ends (a hostile upstream's endless line) costs no copy and no fresh memory at all until the
 * bound throws. Fresh memory is what costs here (first-touch page faults, ~2.6 ms per MiB on this
 * machine's VMs), and a doubling buffer touched each held byte up to three times, in steps of up to 20 ms
 * that kept the event loop from other requests. Its users bound what they hold.
 */
export class HeldBytes {
  /** Sealed pieces, in order: kept chunks and full blocks. */
  private pieces: Uint8Array[] = []
  /** The block small pieces are copied into, and how much of it is used. */
  private block: Uint8Array | undefined
  private used = 0
  size = 0
  /** Bytes copied so far (into blocks, and when joined). */
  copied = 0

  /** `capacityHint`: the most its user will hold (blocks are never larger). */
  constructor(readonly capacityHint: number) {}

  /** Holds `bytes[from, to)` after what is held. */
  add(bytes: Uint8Array, from: number, to: number): void {
    const length = to - from
    if (length <= 0) return
    this.size += length
    if (from === 0 && to === bytes.byteLength && length >= REF_MIN && 2 * length >= bytes.buffer.byteLength) {
      this.seal()
      this.pieces.push(bytes)
      return
    }
    while (from < to) {
      if (!this.block || this.used === this.block.byteLength) {
        this.seal()
        this.block = new Uint8Array(Math.min(BLOCK, Math.max(to - from, MIN_CAPACITY), this.capacityHint || BLOCK))
      }
      const n = Math.min(to - from, this.block.byteLength - this.used)
      this.block.set(bytes.subarray(from, from + n), this.used)
      this.used += n
      this.copied += n
      from += n
    }
  }

  /** What is held, handed over (the next hold starts afresh). */
  take(): Uint8Array {
    const out = this.joined()
    this.pieces = []
    this.block = undefined
    this.used = 0
    this.size = 0
    return out
  }

  /** What is held, still held. */
  peek(): Uint8Array {
    return this.joined()
  }

  /** The held byte `back` places from the end (1: the last), or -1. */
  last(back: number): number {
    if (back > this.size) return -1
    if (this.block && back <= this.used) return this.block[this.used - back]!
    let rest = back - (this.block ? this.used : 0)
    for (let i = this.pieces.length - 1; i >= 0; i--) {
      const piece = this.pieces[i]!
      if (rest <= piece.byteLength) return piece[piece.byteLength - rest]!
      rest -= piece.byteLength
    }
    return -1
  }

  /** Forgets what is held, keeping a block for the next hold (nothing outside kept a view of it). */
  clear(): void {
    const reuse = this.pieces.length === 0 ? this.block : undefined
    this.pieces = []
    this.block = reuse
    this.used = 0
    this.size = 0
  }

  /** Moves the block's used part to the pieces. */
  private seal(): void {
    if (this.block && this.used) this.pieces.push(this.block.subarray(0, this.used))
    this.block = undefined
    this.used = 0
  }

  /** Everything held as one array: a single piece as it is, else joined (one copy). */
  private joined(): Uint8Array {
    if (this.size === 0) return EMPTY
    if (this.pieces.length === 0) return this.block!.subarray(0, this.used)
    this.seal()
    if (this.pieces.length === 1) return this.pieces[0]!
    const out = concatBytes(...this.pieces)
    this.copied += this.size
    this.pieces = [out]
    return out
  }
}

const EMPTY = new Uint8Array(0)
/** A block's least size: an event split across two chunks is usually a few hundred bytes. */
const MIN_CAPACITY = 1024
/** A small piece is copied into blocks of up to this size; a whole chunk of at least REF_MIN is kept. */
const BLOCK = 64 * 1024
const REF_MIN = 16 * 1024
