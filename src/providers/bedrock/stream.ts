// Bedrock ConverseStream (AWS event-stream frames) → OpenAI chat.completion.chunk SSE (pure).
// Events: messageStart, contentBlockStart (a tool call's id and name), contentBlockDelta (text, tool
// input JSON fragments, reasoning), contentBlockStop, messageStop (stopReason), then metadata (usage).
// The finish chunk goes out at messageStop; usage (when asked for) and [DONE] at metadata, or at the
// end of the stream if metadata never came. Exceptions (BedrockStreamException) and cut streams throw.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
import { isObject, type JsonObject } from '../../core/json'
import { DONE_FRAME, dataFrame, type StreamTranslator } from '../../sse'
import type { AnswerMeta } from '../exchange'
import { BedrockStreamException } from './errors'
import { EventStreamDecoder, type EventStreamMessage } from './eventstream'
import { bedrockCompletionId, finishReason, toOpenAiUsage } from './response'

export class BedrockStreamTranslator implements StreamTranslator {
  private readonly decoder = new EventStreamDecoder()
  private readonly base: { id: string; object: 'chat.completion.chunk'; created: number; model: string }
  /** Bedrock content block index → OpenAI tool_calls index (0, 1, … in order of appearance). */
  private readonly toolIndex = new Map<number, number>()
  private sentRole = false
  private stopped = false
  private done = false

  /** The id comes from the response headers (as for a whole answer); created, model and includeUsage too. */
  constructor(private readonly meta: AnswerMeta) {
    this.base = {
      id: bedrockCompletionId(meta.headers),
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
    }
  }

  push(chunk: Uint8Array): string {
    let out = ''
    for (const message of this.decoder.push(chunk)) out += this.onMessage(message)
    return out
  }

  end(): string {
    this.decoder.finish()
    if (!this.stopped) throw new Error('the Bedrock stream ended before messageStop')
    return this.done ? '' : this.close(undefined)
  }

  // --- internal ---

  private onMessage(message: EventStreamMessage): string {
    if (this.done) return ''
    if (message.messageType === 'exception') {
      const said = isObject(message.payload) ? message.payload : {}
      const text =
        typeof said.message === 'string' ? said.message : typeof said.Message === 'string' ? said.Message : ''
      throw new BedrockStreamException(message.exceptionType ?? 'exception', text)
    }
    if (message.messageType === 'error')
      throw new Error(
        `Bedrock ${message.errorCode ?? 'error'}${message.errorMessage ? `: ${message.errorMessage}` : ''}`,
      )
    const payload = isObject(message.payload) ? message.payload : {}
    switch (message.eventType) {
      case 'messageStart':
        return this.role()
      case 'contentBlockStart':
        return this.blockStart(payload)
      case 'contentBlockDelta':
        return this.blockDelta(payload)
      case 'messageStop': {
        if (this.stopped) return ''
        this.stopped = true
        return this.role() + this.chunk({}, finishReason(payload.stopReason))
      }
      case 'metadata':
        return this.stopped ? this.close(payload.usage) : ''
      default:
        return '' // contentBlockStop, and event types added later
    }
  }

  private role(): string {
    if (this.sentRole) return ''
    this.sentRole = true
    return this.chunk({ role: 'assistant', content: '' })
  }

  /** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlockStartEvent.html */
  private blockStart(event: JsonObject): string {
    const use = isObject(event.start) ? event.start.toolUse : undefined
    if (!isObject(use)) return ''
    const index = this.toolFor(event.contentBlockIndex)
    const call = {
      index,
      id: typeof use.toolUseId === 'string' ? use.toolUseId : '',
      type: 'function',
      function: { name: typeof use.name === 'string' ? use.name : '', arguments: '' },
    }
    return this.role() + this.chunk({ tool_calls: [call] })
  }

  /** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlockDeltaEvent.html */
  private blockDelta(event: JsonObject): string {
    const delta = event.delta
    if (!isObject(delta)) return ''
    if (typeof delta.text === 'string') return delta.text ? this.role() + this.chunk({ content: delta.text }) : ''
    if (isObject(delta.toolUse)) {
      const input = delta.toolUse.input
      if (typeof input !== 'string' || !input) return ''
      const index = this.toolFor(event.contentBlockIndex)
      return this.role() + this.chunk({ tool_calls: [{ index, function: { arguments: input } }] })
    }
    const reasoning = isObject(delta.reasoningContent) ? delta.reasoningContent.text : undefined
    if (typeof reasoning === 'string' && reasoning) return this.role() + this.chunk({ reasoning_content: reasoning })
    return ''
  }

  /** The OpenAI tool call index of a content block (a missing block index reads as 0). */
  private toolFor(contentBlockIndex: unknown): number {
    const block = typeof contentBlockIndex === 'number' ? contentBlockIndex : 0
    let index = this.toolIndex.get(block)
    if (index === undefined) {
      index = this.toolIndex.size
      this.toolIndex.set(block, index)
    }
    return index
  }

  private close(usage: unknown): string {
    this.done = true
    let out = ''
    if (this.meta.includeUsage && usage) out += dataFrame({ ...this.base, choices: [], usage: toOpenAiUsage(usage) })
    return out + DONE_FRAME
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): string {
    return dataFrame({ ...this.base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })
  }
}
