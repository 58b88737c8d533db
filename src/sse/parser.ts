// Server-sent events, the parsing side: an incremental parser for upstreams whose streams are
// translated (Anthropic, Gemini, a chat stream turned into Messages). Passthrough streams never come
// here: the relay (src/relay/sse-relay.ts) forwards their bytes, finding event ends with scan.ts.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

export interface SseEvent {
  /** The `event:` field; 'message' when absent. */
  event: string
  /** The `data:` lines joined with "\n". */
  data: string
}

/**
 * Feeds bytes in any chunking; yields each event once its blank line has arrived. Handles \n, \r\n
 * and \r line ends, comments (`: ping`), multi-line data and a UTF-8 character split across chunks.
 */
export class SseParser {
  private readonly decoder = new TextDecoder()
  private buffer = ''
  private event = ''
  private data: string[] = []

  push(chunk: Uint8Array): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true })
    return this.drain(false)
  }

  /** Call at the end of the stream: returns an event left without its final blank line, if any. */
  end(): SseEvent[] {
    this.buffer += this.decoder.decode()
    return this.drain(true)
  }

  private drain(final: boolean): SseEvent[] {
    const out: SseEvent[] = []
    let start = 0
    const buffer = this.buffer
    for (;;) {
      let nl = -1
      for (let i = start; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i)
        if (c === 10 || c === 13) {
          nl = i
          break
        }
      }
      if (nl === -1) break
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (buffer.charCodeAt(nl) === 13 && nl === buffer.length - 1 && !final) break
      const line = buffer.slice(start, nl)
      start = nl + (buffer.charCodeAt(nl) === 13 && buffer.charCodeAt(nl + 1) === 10 ? 2 : 1)
      this.line(line, out)
    }
    this.buffer = buffer.slice(start)
    if (final) {
      if (this.buffer) this.line(this.buffer, out)
      this.buffer = ''
      this.line('', out)
    }
    return out
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') })
      this.event = ''
      this.data = []
      return
    }
    if (line.charCodeAt(0) === 58) return // ':' comment
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.event = value
  }
}
