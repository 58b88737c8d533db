// Server-sent events, the parsing side: an incremental parser for upstreams whose streams are
// translated (Anthropic, Gemini, a chat stream turned into Messages). Passthrough streams never come
// here: the relay (src/relay/sse-relay.ts) forwards their bytes, finding event ends with scan.ts.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
import { HeldBytes } from '../core/bytes'
import { DEFAULT_LIMITS, upstreamEventTooLarge } from '../core/upstream-error'

export interface SseEvent {
  /** The `event:` field; 'message' when absent. */
  event: string
  /** The `data:` lines joined with "\n". */
  data: string
}

/**
 * Feeds bytes in any chunking; yields each event once its blank line has arrived. Handles \n, \r\n
 * and \r line ends, comments (`: ping`), multi-line data, a UTF-8 character split across chunks and a
 * leading byte order mark. Lines are found in bytes, each chunk searched once from where the last search
 * stopped; only the values of `data` and `event` are decoded, once their line is whole. An event whose
 * lines (the held start of the next one included) pass `maxEventSize` bytes before its blank line throws
 * upstreamEventTooLarge: the parser never holds more.
 */
export class SseParser {
  /** The start of a line whose end has not come. */
  private readonly held: HeldBytes
  /** Bytes of the current event's lines so far, their ends included. */
  private eventSize = 0
  /** The last chunk ended with \r: a \n starting the next one ends nothing (it is the same \r\n). */
  private afterCr = false
  private firstLine = true
  private event = ''
  private data: string[] = []

  constructor(readonly maxEventSize: number = DEFAULT_LIMITS.eventBytes) {
    this.held = new HeldBytes(maxEventSize)
  }

  push(chunk: Uint8Array): SseEvent[] {
    const out: SseEvent[] = []
    const n = chunk.byteLength
    let start = 0
    if (this.afterCr) {
      this.afterCr = false
      if (chunk[0] === LF) start = 1
    }
    // The next \n and \r at or after `start`, each searched again only once `start` has passed it.
    let lf = chunk.indexOf(LF, start)
    let cr = chunk.indexOf(CR, start)
    for (;;) {
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start)
      if (cr !== -1 && cr < start) cr = chunk.indexOf(CR, start)
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr)
      if (end === -1) break
      if (this.held.size) {
        this.held.add(chunk, start, end)
        this.line(this.held.peek(), out)
        this.held.clear()
      } else this.line(chunk.subarray(start, end), out)
      start = end + 1
      if (chunk[end] === CR) {
        if (end + 1 === n) this.afterCr = true
        else if (chunk[end + 1] === LF) start++
      }
    }
    if (start < n) {
      if (this.eventSize + this.held.size + (n - start) > this.maxEventSize)
        throw upstreamEventTooLarge(this.maxEventSize)
      this.held.add(chunk, start, n)
    }
    return out
  }

  /** Call at the end of the stream: returns an event left without its final blank line, if any. */
  end(): SseEvent[] {
    const out: SseEvent[] = []
    if (this.held.size) this.line(this.held.peek(), out)
    this.held.clear()
    this.line(EMPTY, out)
    return out
  }

  /** Bytes copied into the held line so far: the linear bound the tests check. */
  get copied(): number {
    return this.held.copied
  }

  private line(line: Uint8Array, out: SseEvent[]): void {
    if (this.firstLine) {
      this.firstLine = false
      // One byte order mark at the start of the stream is not part of it (the spec's decode step).
      if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3)
    }
    const length = line.byteLength
    if (length === 0) {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') })
      this.event = ''
      this.data = []
      this.eventSize = 0
      return
    }
    this.eventSize += length + 1
    if (this.eventSize > this.maxEventSize) throw upstreamEventTooLarge(this.maxEventSize)
    if (line[0] === COLON) return // a comment
    const colon = line.indexOf(COLON)
    const nameEnd = colon === -1 ? length : colon
    let from = colon === -1 ? length : colon + 1
    if (line[from] === SPACE) from++
    if (isName(line, nameEnd, DATA)) this.data.push(decoder.decode(line.subarray(from)))
    else if (isName(line, nameEnd, EVENT)) this.event = decoder.decode(line.subarray(from))
  }
}

// --- internal ---

const LF = 10
const CR = 13
const COLON = 58
const SPACE = 32
const EMPTY = new Uint8Array(0)
const DATA = new TextEncoder().encode('data')
const EVENT = new TextEncoder().encode('event')
/** Values are whole (their line ended), so no character is split; the stream's BOM is removed above. */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

function isName(line: Uint8Array, length: number, name: Uint8Array): boolean {
  if (length !== name.byteLength) return false
  for (let i = 0; i < length; i++) if (line[i] !== name[i]) return false
  return true
}
