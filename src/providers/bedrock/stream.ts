// Bedrock ConverseStream (AWS event-stream frames) → OpenAI chat.completion.chunk SSE (pure).
// Events: messageStart, contentBlockStart (a tool call's id and name), contentBlockDelta (text, tool
// input JSON fragments, reasoning), contentBlockStop, messageStop (stopReason), then metadata (usage).
// The finish chunk goes out at messageStop; usage (when asked for) and [DONE] at metadata, or at the
// end of the stream if metadata never came. Exceptions (BedrockStreamException) and cut streams throw.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
import { DONE_FRAME, dataFrame } from '../../sse/parser'
import type { StreamTranslator } from '../../sse/translate'
import { BedrockStreamException } from './errors'
import { EventStreamDecoder, type EventStreamMessage } from './eventstream'
import { type ConverseUsage, finishReason, toOpenAiUsage } from './response'

export interface BedrockStreamOptions {
  id: string
  created: number
  model: string
  /** stream_options.include_usage: add the usage chunk (choices: []) before [DONE]. */
  includeUsage: boolean
}

interface BlockEvent {
  contentBlockIndex?: number
  start?: { toolUse?: { toolUseId?: string; name?: string } }
  delta?: { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string } }
}

export class BedrockStreamTranslator implements StreamTranslator {
  private readonly decoder = new EventStreamDecoder()
  private readonly base: { id: string; object: 'chat.completion.chunk'; created: number; model: string }
  /** Bedrock content block index → OpenAI tool_calls index (0, 1, … in order of appearance). */
  private readonly toolIndex = new Map<number, number>()
  private sentRole = false
  private stopped = false
  private done = false

  constructor(private readonly options: BedrockStreamOptions) {
    this.base = { id: options.id, object: 'chat.completion.chunk', created: options.created, model: options.model }
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
      const said = (message.payload as { message?: unknown; Message?: unknown } | null) ?? {}
      const text =
        typeof said.message === 'string' ? said.message : typeof said.Message === 'string' ? said.Message : ''
      throw new BedrockStreamException(message.exceptionType ?? 'exception', text)
    }
    if (message.messageType === 'error')
      throw new Error(
        `Bedrock ${message.errorCode ?? 'error'}${message.errorMessage ? `: ${message.errorMessage}` : ''}`,
      )
    const payload = (message.payload ?? {}) as Record<string, unknown>
    switch (message.eventType) {
      case 'messageStart':
        return this.role()
      case 'contentBlockStart':
        return this.blockStart(payload as BlockEvent)
      case 'contentBlockDelta':
        return this.blockDelta(payload as BlockEvent)
      case 'messageStop': {
        if (this.stopped) return ''
        this.stopped = true
        return this.role() + this.chunk({}, finishReason(payload.stopReason))
      }
      case 'metadata':
        return this.stopped ? this.close(payload.usage as ConverseUsage | undefined) : ''
      default:
        return '' // contentBlockStop, and event types added later
    }
  }

  private role(): string {
    if (this.sentRole) return ''
    this.sentRole = true
    return this.chunk({ role: 'assistant', content: '' })
  }

  private blockStart(event: BlockEvent): string {
    const use = event.start?.toolUse
    if (!use) return ''
    const index = this.toolFor(event.contentBlockIndex ?? 0)
    const call = { index, id: use.toolUseId ?? '', type: 'function', function: { name: use.name ?? '', arguments: '' } }
    return this.role() + this.chunk({ tool_calls: [call] })
  }

  private blockDelta(event: BlockEvent): string {
    const delta = event.delta
    if (!delta) return ''
    if (typeof delta.text === 'string') return delta.text ? this.role() + this.chunk({ content: delta.text }) : ''
    if (delta.toolUse) {
      const input = delta.toolUse.input ?? ''
      if (!input) return ''
      const index = this.toolFor(event.contentBlockIndex ?? 0)
      return this.role() + this.chunk({ tool_calls: [{ index, function: { arguments: input } }] })
    }
    const reasoning = delta.reasoningContent?.text
    if (typeof reasoning === 'string' && reasoning) return this.role() + this.chunk({ reasoning_content: reasoning })
    return ''
  }

  private toolFor(block: number): number {
    let index = this.toolIndex.get(block)
    if (index === undefined) {
      index = this.toolIndex.size
      this.toolIndex.set(block, index)
    }
    return index
  }

  private close(usage: ConverseUsage | undefined): string {
    this.done = true
    let out = ''
    if (this.options.includeUsage && usage) out += dataFrame({ ...this.base, choices: [], usage: toOpenAiUsage(usage) })
    return out + DONE_FRAME
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): string {
    return dataFrame({ ...this.base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })
  }
}
