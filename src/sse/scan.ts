// Server-sent events at the byte level, for streams relayed without being parsed: where events end,
// whether the last one is the stream's end marker, and the start of an event held (bounded) until its
// blank line comes. One byte search each; nothing is decoded.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
import { HeldBytes } from '../core/bytes'
import { upstreamEventTooLarge } from '../core/upstream-error'

const DONE = new TextEncoder().encode('[DONE]')

/**
 * Cuts a relayed stream into runs of whole events as chunks arrive, holding the start of an event until
 * its blank line comes. Linear in the bytes, however they are chunked: each chunk is scanned once, from
 * its end back to its last blank line, and the held part is kept in pieces (HeldBytes) and joined once,
 * when its event ends, instead of being re-joined and re-scanned per chunk: one 100 MB line costs what
 * its bytes cost, not their square (and a line that never ends, held in whole chunks, costs no copy).
 * An event held past `maxEventSize` throws upstreamEventTooLarge.
 */
export class EventCutter {
  private readonly held: HeldBytes

  constructor(readonly maxEventSize: number) {
    this.held = new HeldBytes(maxEventSize)
  }

  /** The whole events `chunk` completes (the first joined with what was held), or undefined when none. */
  push(chunk: Uint8Array): Uint8Array | undefined {
    const held = this.held
    const n = chunk.byteLength
    if (n === 0) return undefined
    let cut = endOfLastEvent(chunk)
    if (held.size === 0) {
      if (cut === n) return chunk
      this.hold(chunk, cut)
      return cut === 0 ? undefined : chunk.subarray(0, cut)
    }
    const before2 = held.last(2)
    const before1 = held.last(1)
    if (cut === 0) cut = endAcross(before2, before1, chunk)
    if (cut === 0) {
      this.hold(chunk, 0)
      return undefined
    }
    // The held event ends in this chunk, which may hold whole events after it: only the first is bounded.
    if (held.size + cut > this.maxEventSize) {
      const first = endAcross(before2, before1, chunk) || endOfEvent(chunk, 0)
      if (held.size + first > this.maxEventSize) throw upstreamEventTooLarge(this.maxEventSize)
    }
    held.add(chunk, 0, cut)
    const whole = held.take()
    if (cut < n) this.hold(chunk, cut)
    return whole
  }

  /** The start of an event still held (what is left when the stream ends). */
  get pending(): Uint8Array {
    return this.held.peek()
  }

  /** Bytes copied into the held buffer so far, growth included: the linear bound the tests check. */
  get copied(): number {
    return this.held.copied
  }

  private hold(chunk: Uint8Array, from: number): void {
    if (this.held.size + chunk.byteLength - from > this.maxEventSize) throw upstreamEventTooLarge(this.maxEventSize)
    this.held.add(chunk, from, chunk.byteLength)
  }
}

/** Index just past the last blank line (\n\n or \n\r\n) in `bytes`; 0 when there is none. */
export function endOfLastEvent(bytes: Uint8Array): number {
  const n = bytes.length
  if (n >= 2 && bytes[n - 1] === 10 && (bytes[n - 2] === 10 || (bytes[n - 2] === 13 && bytes[n - 3] === 10))) return n
  // lastIndexOf is native: a chunk with no line end (a long line's middle) is passed over at memory speed.
  for (let i = bytes.lastIndexOf(10, n - 1); i > 0; i = bytes.lastIndexOf(10, i - 1)) {
    if (bytes[i - 1] === 10 || (bytes[i - 1] === 13 && i > 1 && bytes[i - 2] === 10)) return i + 1
  }
  return 0
}

/**
 * Index just past a blank line that begins in what came before `chunk` (its last two bytes `before2`,
 * `before1`; -1 for none) and ends in `chunk`'s first bytes; 0 when there is none.
 */
export function endAcross(before2: number, before1: number, chunk: Uint8Array): number {
  const first = chunk[0]
  if (first === 10 && (before1 === 10 || (before1 === 13 && before2 === 10))) return 1
  if (first === 13 && chunk[1] === 10 && before1 === 10) return 2
  return 0
}

/** Index just past the first blank line at or after `from`; -1 when the rest holds no whole event. */
export function endOfEvent(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(10, from); i !== -1; i = bytes.indexOf(10, i + 1)) {
    const next = bytes[i + 1]
    if (next === 10) return i + 2
    if (next === 13 && bytes[i + 2] === 10) return i + 3
  }
  return -1
}

/** True when the last event in these whole events is `data: [DONE]` (OpenAI's end marker). */
export function endsWithDone(bytes: Uint8Array): boolean {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13 || bytes[end - 1] === 32)) end--
  if (end < DONE.length) return false
  for (let i = 0; i < DONE.length; i++) if (bytes[end - DONE.length + i] !== DONE[i]) return false
  return true
}

/**
 * True when the last event in these whole events names `marker` (Anthropic's `message_stop`: its
 * `event:` line and its data's type both say it).
 */
export function endsWithEvent(bytes: Uint8Array, marker: Uint8Array): boolean {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--
  // The last event starts after the previous blank line.
  let start = end - 1
  while (
    start > 0 &&
    !(bytes[start] === 10 && (bytes[start - 1] === 10 || (bytes[start - 1] === 13 && bytes[start - 2] === 10)))
  )
    start--
  return (
    Buffer.from(bytes.buffer, bytes.byteOffset + Math.max(0, start), end - Math.max(0, start)).indexOf(marker) !== -1
  )
}

/** True when `bytes` hold only line ends and spaces (what may trail a stream's last event). */
export function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 10 && b !== 13 && b !== 32) return false
  return true
}
