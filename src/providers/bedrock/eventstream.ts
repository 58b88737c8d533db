// An incremental decoder for AWS event-stream framing (application/vnd.amazon.eventstream), the
// binary format of Bedrock's ConverseStream. Each message is:
//   prelude (total length u32, headers length u32, prelude CRC32 u32) · headers · payload · message CRC32
// Bytes arrive in any chunking; whole messages are cut out of the buffer and decoded by the smithy codec,
// which checks both CRCs. https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html
import { EventStreamCodec } from '@smithy/eventstream-codec'

export interface EventStreamMessage {
  /** ':message-type': 'event', 'exception' or 'error'. */
  messageType: string
  /** ':event-type' on events, e.g. 'contentBlockDelta'. */
  eventType?: string
  /** ':exception-type' on exceptions, e.g. 'throttlingException'. */
  exceptionType?: string
  /** ':error-code' / ':error-message' on errors. */
  errorCode?: string
  errorMessage?: string
  /** The payload parsed as JSON (an exception's non-JSON payload reads as {message}). */
  payload: unknown
}

const PRELUDE = 12
const MIN_MESSAGE = 16
/** Service limit on one message (16 MiB): a larger length means a corrupt prelude. */
const MAX_MESSAGE = 16 * 1024 * 1024

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()
const codec = new EventStreamCodec(
  (bytes) => textDecoder.decode(bytes),
  (text) => textEncoder.encode(text),
)

export class EventStreamDecoder {
  private buffer = new Uint8Array(4096)
  private start = 0
  private end = 0

  /** Adds bytes; returns every message now complete. Throws on a corrupt frame (bad length or CRC). */
  push(chunk: Uint8Array): EventStreamMessage[] {
    this.append(chunk)
    const out: EventStreamMessage[] = []
    for (;;) {
      const available = this.end - this.start
      if (available < PRELUDE) break
      const view = new DataView(this.buffer.buffer, this.buffer.byteOffset + this.start, available)
      const total = view.getUint32(0)
      // Check the prelude as soon as it is here, so that a corrupt length fails now rather than
      // waiting for bytes that will never come. The codec checks it again with the message CRC.
      if (Bun.hash.crc32(this.buffer.subarray(this.start, this.start + 8)) !== view.getUint32(8))
        throw new Error('event stream: prelude checksum mismatch')
      if (total < MIN_MESSAGE || total > MAX_MESSAGE) throw new Error(`event stream: bad message length ${total}`)
      if (available < total) break
      const message = codec.decode(this.buffer.subarray(this.start, this.start + total))
      this.start += total
      out.push(readMessage(message.headers, message.body))
    }
    if (this.start === this.end) this.start = this.end = 0
    return out
  }

  /** Bytes held that do not yet make a whole message. */
  get pending(): number {
    return this.end - this.start
  }

  /** Call when the stream ended: throws if it stopped inside a message. */
  finish(): void {
    if (this.pending > 0) throw new Error(`event stream cut mid-message (${this.pending} bytes left over)`)
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.byteLength > this.buffer.byteLength) {
      const live = this.end - this.start
      const needed = live + chunk.byteLength
      if (needed > this.buffer.byteLength) {
        let size = this.buffer.byteLength
        while (size < needed) size *= 2
        const grown = new Uint8Array(size)
        grown.set(this.buffer.subarray(this.start, this.end))
        this.buffer = grown
      } else {
        this.buffer.copyWithin(0, this.start, this.end)
      }
      this.start = 0
      this.end = live
    }
    this.buffer.set(chunk, this.end)
    this.end += chunk.byteLength
  }
}

// --- internal ---

type Headers = ReturnType<typeof codec.decode>['headers']

function readMessage(headers: Headers, body: Uint8Array): EventStreamMessage {
  const str = (name: string) => {
    const h = headers[name]
    return h && h.type === 'string' ? h.value : undefined
  }
  const messageType = str(':message-type') ?? 'event'
  const text = textDecoder.decode(body)
  let payload: unknown = {}
  if (text.trim()) {
    try {
      payload = JSON.parse(text)
    } catch {
      if (messageType === 'event') throw new Error(`event stream: ${str(':event-type') ?? 'event'} payload is not JSON`)
      payload = { message: text }
    }
  }
  const out: EventStreamMessage = { messageType, payload }
  const eventType = str(':event-type')
  if (eventType !== undefined) out.eventType = eventType
  const exceptionType = str(':exception-type')
  if (exceptionType !== undefined) out.exceptionType = exceptionType
  const errorCode = str(':error-code')
  if (errorCode !== undefined) out.errorCode = errorCode
  const errorMessage = str(':error-message')
  if (errorMessage !== undefined) out.errorMessage = errorMessage
  return out
}
