// Anthropic Messages SSE → OpenAI chat.completion.chunk SSE, one upstream chunk at a time (pure: no
// network, no clock; `created` comes in). message_start gives the role chunk; text_delta and
// input_json_delta become content and tool-call deltas (OpenAI indexes count tool calls only, in
// order); thinking_delta becomes reasoning_content, and a block's signature (signature_delta) or a
// redacted_thinking block a `thinking_blocks` delta (core/reasoning.ts); message_delta carries the stop
// reason and final usage; message_stop closes with the finish chunk, the usage chunk when asked, and
// [DONE]. An `error` event, or an end before message_stop, throws.
// https://docs.anthropic.com/en/docs/build-with-claude/streaming
import { isObject, type JsonObject } from '../../core/json'
import { DONE_FRAME, dataFrame, type SseEvent, SseParser, type StreamTranslator } from '../../sse'
import type { AnswerMeta } from '../exchange'
import { describeStreamError } from './errors'
import { type FinishReason, finishReason, toChatUsage } from './response'

type Delta = Record<string, unknown>

export class AnthropicStreamTranslator implements StreamTranslator {
  private readonly parser: SseParser
  private id = ''
  /** The client's model until message_start names the upstream's. */
  private model: string
  private started = false
  private finished = false
  private failure: Error | undefined
  /** Anthropic content block index → OpenAI tool call index. */
  private readonly toolIndexes = new Map<number, number>()
  private stopReason: string | null = null
  /** The usage counts seen so far (message_start, then message_delta's cumulative ones). */
  private readonly usage: Record<string, number> = {}

  /** Reads `created`, `includeUsage` (stream_options.include_usage) and the model from the meta. */
  constructor(private readonly meta: AnswerMeta) {
    this.model = meta.model
    this.parser = new SseParser(meta.maxEventSize)
  }

  push(chunk: Uint8Array): string {
    if (this.failure) throw this.failure
    if (this.finished) return ''
    return this.handle(this.parser.push(chunk))
  }

  end(): string {
    if (this.failure) throw this.failure
    if (this.finished) return ''
    const out = this.handle(this.parser.end())
    if (this.failure) throw this.failure
    if (!this.finished) throw new Error('the upstream closed the stream before message_stop')
    return out
  }

  // --- internal ---

  /**
   * Translates whole events. An error event stops translation: the frames before it are returned now
   * and the error is thrown on the next call (the upstream closes after it), so nothing is lost.
   */
  private handle(events: SseEvent[]): string {
    let out = ''
    for (const event of events) {
      if (this.finished) break
      try {
        out += this.translate(event)
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err))
        if (!out) throw this.failure
        break
      }
    }
    return out
  }

  private translate(event: SseEvent): string {
    let data: unknown
    try {
      data = JSON.parse(event.data)
    } catch {
      throw new Error(`the upstream sent an event that is not JSON: ${event.data.slice(0, 200)}`)
    }
    // Any field may be missing or odd: each is checked as it is read.
    const body = isObject(data) ? data : {}
    const type = event.event !== 'message' ? event.event : body.type
    switch (type) {
      case 'message_start': {
        const message = isObject(body.message) ? body.message : {}
        if (typeof message.id === 'string') this.id = message.id
        if (typeof message.model === 'string') this.model = message.model
        this.mergeUsage(message.usage)
        return this.begin()
      }
      case 'content_block_start':
        return this.begin() + this.blockStart(body.index, isObject(body.content_block) ? body.content_block : {})
      case 'content_block_delta':
        return this.begin() + this.blockDelta(body.index, isObject(body.delta) ? body.delta : {})
      case 'message_delta': {
        const delta = isObject(body.delta) ? body.delta : {}
        if (typeof delta.stop_reason === 'string') this.stopReason = delta.stop_reason
        this.mergeUsage(body.usage)
        return ''
      }
      case 'message_stop':
        return this.finish()
      case 'error':
        throw new Error(describeStreamError(data))
      default:
        // ping, content_block_stop, and event types added later carry nothing to translate.
        return ''
    }
  }

  private begin(): string {
    if (this.started) return ''
    this.started = true
    return this.frame({ role: 'assistant', content: '' })
  }

  /** https://docs.anthropic.com/en/docs/build-with-claude/streaming#content-block-delta-types */
  private blockStart(index: unknown, block: JsonObject): string {
    switch (block.type) {
      case 'text':
        return nonEmpty(block.text) ? this.frame({ content: block.text }) : ''
      case 'thinking':
        return (
          (nonEmpty(block.thinking) ? this.frame({ reasoning_content: block.thinking }) : '') +
          (nonEmpty(block.signature) ? this.signature(block.signature) : '')
        )
      case 'redacted_thinking':
        return nonEmpty(block.data)
          ? this.frame({ thinking_blocks: [{ type: 'redacted_thinking', data: block.data }] })
          : ''
      case 'tool_use': {
        const toolIndex = this.toolIndexes.size
        if (typeof index === 'number') this.toolIndexes.set(index, toolIndex)
        const call = {
          index: toolIndex,
          id: typeof block.id === 'string' ? block.id : '',
          type: 'function',
          function: { name: typeof block.name === 'string' ? block.name : '', arguments: '' },
        }
        return this.frame({ tool_calls: [call] })
      }
      default:
        return ''
    }
  }

  private blockDelta(index: unknown, delta: JsonObject): string {
    switch (delta.type) {
      case 'text_delta':
        return nonEmpty(delta.text) ? this.frame({ content: delta.text }) : ''
      case 'thinking_delta':
        return nonEmpty(delta.thinking) ? this.frame({ reasoning_content: delta.thinking }) : ''
      case 'input_json_delta': {
        const toolIndex = typeof index === 'number' ? this.toolIndexes.get(index) : undefined
        // Server tool inputs (server_tool_use blocks) are not the client's to call.
        if (toolIndex === undefined || !nonEmpty(delta.partial_json)) return ''
        return this.frame({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] })
      }
      case 'signature_delta':
        return nonEmpty(delta.signature) ? this.signature(delta.signature) : ''
      default:
        // citations_delta: no OpenAI counterpart.
        return ''
    }
  }

  /** A thinking block's signature: its text came as reasoning_content, so the block's text here is empty. */
  private signature(signature: string): string {
    return this.frame({ thinking_blocks: [{ type: 'thinking', thinking: '', signature }] })
  }

  private finish(): string {
    this.finished = true
    let out = this.begin() + this.frame({}, finishReason(this.stopReason))
    if (this.meta.includeUsage) out += dataFrame({ ...this.base(), choices: [], usage: toChatUsage(this.usage) })
    return out + DONE_FRAME
  }

  private mergeUsage(usage: unknown): void {
    if (!isObject(usage)) return
    for (const [key, value] of Object.entries(usage)) if (typeof value === 'number') this.usage[key] = value
  }

  private base() {
    return { id: this.id, object: 'chat.completion.chunk', created: this.meta.created, model: this.model }
  }

  private frame(delta: Delta, finish: FinishReason | null = null): string {
    return dataFrame({ ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}
