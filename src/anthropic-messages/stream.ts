// OpenAI chat.completion.chunk SSE → Anthropic Messages SSE events, for `POST /v1/messages` with
// `stream: true` served by an OpenAI-format deployment. Fed upstream bytes in any chunking; returns the
// frames to send now. https://docs.anthropic.com/en/docs/build-with-claude/streaming
//
// Anthropic streams content blocks one after another (start, deltas, stop; indexes 0, 1, 2 …), while
// OpenAI may stream text and several tool calls (keyed by their own `index`) in one message. One block
// is live at a time; a block that appears while another is live waits in a queue, its deltas buffered,
// until the live one is known to be complete: text is complete as soon as anything else appears (more
// text later opens a new text block), a tool call once its arguments parse as a JSON object (nothing
// valid can follow). OpenAI sends parallel tool calls one after another, so in practice every block
// streams live; if an upstream interleaves the arguments of two calls, the later one is replayed when
// the first completes, or at finish. Upstream usage comes in a chunk after the finish_reason chunk
// (`stream_options.include_usage`), so message_delta is sent when that usage arrives, or at [DONE].

import { isObject, type JsonObject } from '../core/json'
import { namedFrame, type SseEvent, SseParser, type StreamTranslator } from '../sse'
import type { AnthropicStreamEvent, AnthropicUsage } from '../wire/messages'
import { anthropicUsage, messageId, randomId, type StopReason, stopReason } from './response'

interface Block {
  kind: 'text' | 'tool_use'
  state: 'queued' | 'live' | 'closed'
  /** The Anthropic block index, assigned when the block starts. */
  index: number
  id: string
  name: string
  /** Deltas received while queued. */
  pending: string
  /** Tool arguments so far, to tell when they are complete. */
  args: string
  /** `args.length` at the last completeness check that failed (the check is not repeated until it grows). */
  checkedAt: number
}

export class ChatStreamTranslator implements StreamTranslator {
  private readonly parser: SseParser
  private out = ''
  private started = false
  /** message_stop sent: later upstream events are ignored. */
  private stopped = false
  private finish: { stop_reason: StopReason; stop_sequence: string | null } | null = null
  private usage: AnthropicUsage | null = null
  private nextIndex = 0
  /** Blocks not yet closed, in order; the head is the live one once started. */
  private readonly queue: Block[] = []
  private readonly tools = new Map<string, Block>()
  private lastToolKey: string | null = null
  private sawTools = false

  /** `model` is the name the client asked for, echoed in message_start as Anthropic does. */
  /** `maxEventSize`: the largest event the chat upstream may send (max_sse_event_size). */
  constructor(
    private readonly model: string,
    maxEventSize?: number,
  ) {
    this.parser = new SseParser(maxEventSize)
  }

  push(chunk: Uint8Array): string {
    return this.run(this.parser.push(chunk))
  }

  end(): string {
    const out = this.run(this.parser.end())
    if (this.stopped) return out
    // No [DONE]. A finish_reason already seen means the answer is whole (only [DONE] and perhaps the
    // usage chunk are missing, as with servers that never send [DONE]); without one the stream was cut.
    if (!this.finish) throw new Error('upstream stream ended before the response was complete')
    this.out = out
    this.complete()
    return this.out
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

    if (isObject(json.usage)) this.usage = anthropicUsage(json.usage)
    if (!this.started) this.start(json.id)

    const choices = Array.isArray(json.choices) ? json.choices : []
    const choice = choices.find((c) => isObject(c) && (c.index === 0 || c.index === undefined))
    if (isObject(choice) && !this.finish) {
      const delta = isObject(choice.delta) ? choice.delta : {}
      if (typeof delta.content === 'string' && delta.content !== '') this.text(delta.content)
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) if (isObject(call)) this.toolDelta(call)
      if (isObject(delta.function_call)) this.toolDelta({ index: 'function_call', function: delta.function_call })
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        this.finish = stopReason(choice, this.sawTools)
        this.closeAll()
      }
    }
    // The usage chunk follows the finish_reason chunk (or shares it): the message is complete.
    if (this.finish && this.usage) this.complete()
  }

  private start(upstreamId: unknown): void {
    this.started = true
    const usage = this.usage ?? anthropicUsage(undefined)
    this.emit({
      type: 'message_start',
      message: {
        id: messageId(upstreamId),
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: usage.output_tokens,
        },
      },
    })
  }

  /** message_delta (stop reason, final usage) and message_stop; at [DONE], end(), or usage after finish. */
  private complete(): void {
    if (this.stopped) return
    if (!this.started) this.start(undefined)
    this.closeAll()
    const finish = this.finish ?? stopReason({}, this.sawTools)
    const usage = this.usage
    this.emit({
      type: 'message_delta',
      delta: { stop_reason: finish.stop_reason, stop_sequence: finish.stop_sequence },
      usage: usage
        ? {
            input_tokens: usage.input_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            output_tokens: usage.output_tokens,
          }
        : { output_tokens: 0 },
    })
    this.emit({ type: 'message_stop' })
    this.stopped = true
  }

  private text(text: string): void {
    const last = this.queue[this.queue.length - 1]
    const block = last?.kind === 'text' ? last : this.newBlock('text', '', '')
    this.append(block, text)
    this.pump()
  }

  /**
   * One entry of `delta.tool_calls`. Calls are keyed by `index`; servers that omit it send each call
   * whole with its `id`, and a fragment with neither continues the previous call.
   */
  private toolDelta(call: JsonObject): void {
    const fn = isObject(call.function) ? call.function : {}
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : undefined
    const key =
      typeof call.index === 'number' || typeof call.index === 'string'
        ? String(call.index)
        : id !== undefined
          ? `id:${id}`
          : (this.lastToolKey ?? '0')
    this.lastToolKey = key
    const args =
      typeof fn.arguments === 'string' ? fn.arguments : isObject(fn.arguments) ? JSON.stringify(fn.arguments) : ''
    let block = this.tools.get(key)
    if (!block) {
      block = this.newBlock('tool_use', id ?? randomId('toolu_'), typeof fn.name === 'string' ? fn.name : '')
      this.tools.set(key, block)
      this.sawTools = true
    } else if (block.state === 'closed') {
      if (args.trim() === '') return
      throw new Error(`upstream sent more arguments for tool call ${block.id} after they were complete`)
    } else if (block.state === 'queued' && block.name === '' && typeof fn.name === 'string') {
      block.name = fn.name
    }
    this.append(block, args)
    this.pump()
  }

  private newBlock(kind: Block['kind'], id: string, name: string): Block {
    const block: Block = { kind, state: 'queued', index: -1, id, name, pending: '', args: '', checkedAt: -1 }
    this.queue.push(block)
    return block
  }

  private append(block: Block, piece: string): void {
    if (piece === '') return
    if (block.kind === 'tool_use') block.args += piece
    if (block.state === 'live') this.delta(block, piece)
    else block.pending += piece
  }

  /** Starts the head if needed; closes it while it is complete and another block waits behind it. */
  private pump(): void {
    for (;;) {
      const head = this.queue[0]
      if (!head) return
      if (head.state === 'queued') this.open(head)
      if (this.queue.length < 2 || !this.isComplete(head)) return
      this.close(head)
      this.queue.shift()
    }
  }

  private closeAll(): void {
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      if (head.state === 'queued') this.open(head)
      this.close(head)
      this.queue.shift()
    }
  }

  private isComplete(block: Block): boolean {
    if (block.kind === 'text') return true
    if (block.args.length === block.checkedAt) return false
    try {
      if (isObject(JSON.parse(block.args))) return true
    } catch {}
    block.checkedAt = block.args.length
    return false
  }

  private open(block: Block): void {
    block.state = 'live'
    block.index = this.nextIndex++
    this.emit({
      type: 'content_block_start',
      index: block.index,
      content_block:
        block.kind === 'text'
          ? { type: 'text', text: '' }
          : { type: 'tool_use', id: block.id, name: block.name, input: {} },
    })
    if (block.pending !== '') this.delta(block, block.pending)
    block.pending = ''
  }

  private delta(block: Block, piece: string): void {
    this.emit({
      type: 'content_block_delta',
      index: block.index,
      delta:
        block.kind === 'text' ? { type: 'text_delta', text: piece } : { type: 'input_json_delta', partial_json: piece },
    })
  }

  private close(block: Block): void {
    block.state = 'closed'
    this.emit({ type: 'content_block_stop', index: block.index })
  }

  /** One event; its SSE name is its `type`, as Anthropic sends them. */
  private emit(event: AnthropicStreamEvent): void {
    this.out += namedFrame(event.type, event)
  }
}

/** The message of an OpenAI-style `error` (an object with `message`, or a string). */
function errorMessage(error: unknown): string {
  if (typeof error === 'string' && error !== '') return error
  if (isObject(error) && typeof error.message === 'string' && error.message !== '') return error.message
  return `upstream stream error: ${JSON.stringify(error).slice(0, 500)}`
}
