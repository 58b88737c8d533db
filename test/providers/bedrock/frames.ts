// Test helpers for Bedrock: AWS event-stream frames encoded with the smithy codec (the same library the
// decoder uses, but driven the other way), and canned ConverseStream sequences.
import { EventStreamCodec } from '@smithy/eventstream-codec'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const codec = new EventStreamCodec(
  (bytes) => decoder.decode(bytes),
  (text) => encoder.encode(text),
)

export function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  const tagged = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }]))
  const body = payload instanceof Uint8Array ? payload : encoder.encode(typeof payload === 'string' ? payload : JSON.stringify(payload))
  return codec.encode({ headers: tagged, body })
}

/** An event as Bedrock sends it (with the `p` padding field Bedrock adds to payloads). */
export function event(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return frame({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }, { ...payload, p: 'abcdefgh' })
}

export function exception(exceptionType: string, message: string): Uint8Array {
  return frame({ ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' }, { message })
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

export const USAGE = { inputTokens: 12, outputTokens: 7, totalTokens: 19 }

/** A whole text answer streamed in `pieces`, then messageStop and metadata. */
export function textStream(pieces: string[], stopReason = 'end_turn', usage: Record<string, number> = USAGE): Uint8Array[] {
  return [
    event('messageStart', { role: 'assistant' }),
    ...pieces.map((text) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
    event('contentBlockStop', { contentBlockIndex: 0 }),
    event('messageStop', { stopReason }),
    event('metadata', { usage, metrics: { latencyMs: 321 } }),
  ]
}

/** A tool call whose input JSON arrives split into `fragments`. */
export function toolBlock(block: number, toolUseId: string, name: string, fragments: string[]): Uint8Array[] {
  return [
    event('contentBlockStart', { contentBlockIndex: block, start: { toolUse: { toolUseId, name } } }),
    ...fragments.map((input) => event('contentBlockDelta', { contentBlockIndex: block, delta: { toolUse: { input } } })),
    event('contentBlockStop', { contentBlockIndex: block }),
  ]
}
