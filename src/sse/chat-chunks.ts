// Reading an OpenAI chat.completion.chunk stream, shared by the translators that turn it into another
// format (anthropic-messages/stream.ts, responses-api/stream.ts): the SSE parsing, [DONE], the checks
// of each chunk and upstream error events, the rule for a stream that ends early, the keying of
// tool-call pieces, and the queue that streams the answer's parts one after another. The subclass
// says what a chunk becomes, how a part opens and closes, and how the translated stream ends.
import { isObject, type JsonObject } from '../core/json'
import { type SseEvent, SseParser } from './parser'
import type { StreamTranslator } from './translate'

/** A part of the translated answer (a text, reasoning or tool-call block or item). */
export interface QueuedPart {
  state: 'queued' | 'live' | 'closed'
  /** A tool call's name ('' until known: a later piece may give it while the call waits). */
  name: string
}

/**
 * The other format streams parts one after another, the chat stream may interleave them: one part is
 * live at a time, and one that appears while another is live waits in `queue` until the live one is
 * complete (`isComplete`), or until the finish (`closeAll`).
 */
export abstract class ChatChunkTranslator<Part extends QueuedPart> implements StreamTranslator {
  /** The frames of the current push or end; the subclass appends to it. */
  protected out = ''
  /** The terminal event was sent (complete() sets it): later upstream events are ignored. */
  protected stopped = false
  /** Parts not yet closed, in order; the head is the live one once opened. */
  protected readonly queue: Part[] = []
  private readonly parser: SseParser
  /** The tool calls by key, with their ids. */
  private readonly tools = new Map<string, { part: Part; id: string }>()
  private lastToolKey: string | null = null

  /**
   * `maxEventSize`: the largest event the chat upstream may send (max_sse_event_size); `newCallId`
   * makes the id of a tool call that comes without one.
   */
  constructor(
    maxEventSize: number | undefined,
    private readonly newCallId: () => string,
  ) {
    this.parser = new SseParser(maxEventSize)
  }

  /** A finish_reason was seen: the answer is whole, though [DONE] or the usage chunk may not come. */
  protected abstract readonly finished: boolean
  /** One chunk: a JSON object that is not an error. */
  protected abstract chunk(json: JsonObject): void
  /** Sends the terminal events and sets `stopped`: at [DONE], or at the end of a finished stream. */
  protected abstract complete(): void
  /** Makes the part live and sends its start, and what it gathered while it waited. */
  protected abstract open(part: Part): void
  /** Closes the part and sends its end. */
  protected abstract close(part: Part): void
  /** Nothing more can join the part: text and reasoning always (more opens a new part); see argumentsComplete. */
  protected abstract isComplete(part: Part): boolean
  /** Queues the part of a new tool call, with its id and its name ('' until known). */
  protected abstract newToolCall(id: string, name: string): Part
  /** A piece of a tool call's arguments' JSON text (maybe ''): kept, and sent if the call is live. */
  protected abstract addArguments(part: Part, args: string): void

  push(chunk: Uint8Array): string {
    return this.run(this.parser.push(chunk))
  }

  end(): string {
    const out = this.run(this.parser.end())
    if (this.stopped) return out
    // No [DONE]. A finish_reason already seen means the answer is whole (only [DONE] and perhaps the
    // usage chunk are missing, as with servers that never send [DONE]); without one the stream was cut,
    // and the relay says so in-band.
    if (!this.finished) throw new Error('upstream stream ended before the response was complete')
    this.out = out
    this.complete()
    return this.out
  }

  /** A delta's tool-call pieces: the `tool_calls` entries, and a legacy `function_call` as call 'function_call'. */
  protected toolCalls(delta: JsonObject): void {
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) if (isObject(call)) this.toolCall(call)
    if (isObject(delta.function_call)) this.toolCall({ index: 'function_call', function: delta.function_call })
  }

  /**
   * One tool-call piece: its arguments (an object is serialized) join its call, and a call waiting
   * without a name takes the piece's. Calls are keyed by `index`; servers that omit it send each call
   * whole with its `id`, and a fragment with neither continues the previous call. A call whose
   * arguments were complete takes nothing more but blanks.
   */
  private toolCall(call: JsonObject): void {
    const fn = isObject(call.function) ? call.function : {}
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : undefined
    const key =
      typeof call.index === 'number' || typeof call.index === 'string'
        ? String(call.index)
        : id !== undefined
          ? `id:${id}`
          : (this.lastToolKey ?? '0')
    this.lastToolKey = key
    const name = typeof fn.name === 'string' ? fn.name : undefined
    const args =
      typeof fn.arguments === 'string' ? fn.arguments : isObject(fn.arguments) ? JSON.stringify(fn.arguments) : ''
    let tool = this.tools.get(key)
    if (!tool) {
      const callId = id ?? this.newCallId()
      tool = { part: this.newToolCall(callId, name ?? ''), id: callId }
      this.tools.set(key, tool)
    } else if (tool.part.state === 'closed') {
      if (args.trim() === '') return
      throw new Error(`upstream sent more arguments for tool call ${tool.id} after they were complete`)
    } else if (tool.part.state === 'queued' && tool.part.name === '' && name !== undefined) tool.part.name = name
    this.addArguments(tool.part, args)
    this.pump()
  }

  /** Opens the head if needed; closes it while it is complete and another part waits behind it. */
  protected pump(): void {
    for (;;) {
      const head = this.queue[0]
      if (!head) return
      if (head.state === 'queued') this.open(head)
      if (this.queue.length < 2 || !this.isComplete(head)) return
      this.close(head)
      this.queue.shift()
    }
  }

  /** Opens and closes every part left, in order (the last one is the head, alone, when it closes). */
  protected closeAll(): void {
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      if (head.state === 'queued') this.open(head)
      this.close(head)
      this.queue.shift()
    }
  }

  private run(events: SseEvent[]): string {
    this.out = ''
    for (const event of events) {
      if (this.stopped) break
      this.event(event)
    }
    return this.out
  }

  private event(event: SseEvent): void {
    if (event.data === '[DONE]') {
      this.complete()
      return
    }
    let json: unknown
    try {
      json = JSON.parse(event.data)
    } catch {
      throw new Error(`upstream sent a stream event that is not JSON: ${event.data.slice(0, 200)}`)
    }
    if (!isObject(json))
      throw new Error(`upstream sent a stream event that is not an object: ${event.data.slice(0, 200)}`)
    if (event.event === 'error' || json.error !== undefined) throw new Error(errorMessage(json.error ?? json))
    this.chunk(json)
  }
}

/** The chunk's choice of index 0 (or one without an index); the translators answer with that one. */
export function firstChoice(json: JsonObject): JsonObject | undefined {
  const choices = Array.isArray(json.choices) ? json.choices : []
  const choice = choices.find((c) => isObject(c) && (c.index === 0 || c.index === undefined))
  return isObject(choice) ? choice : undefined
}

/**
 * A tool call's arguments are complete once they parse as a JSON object (nothing valid can follow).
 * `checkedAt` keeps the length of the last failed check, which is not repeated until they grow.
 */
export function argumentsComplete(call: { args: string; checkedAt: number }): boolean {
  if (call.args.length === call.checkedAt) return false
  try {
    if (isObject(JSON.parse(call.args))) return true
  } catch {}
  call.checkedAt = call.args.length
  return false
}

// --- internal ---

/** The message of an OpenAI-style `error` (an object with `message`, or a string). */
function errorMessage(error: unknown): string {
  if (typeof error === 'string' && error !== '') return error
  if (isObject(error) && typeof error.message === 'string' && error.message !== '') return error.message
  return `upstream stream error: ${JSON.stringify(error).slice(0, 500)}`
}
