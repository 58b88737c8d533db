// Gemini `streamGenerateContent?alt=sse` → OpenAI chat.completion.chunk frames (pure, incremental).
// Gemini sends `data: {GenerateContentResponse}\r\n\r\n` events and no end marker; the last event
// carries finishReason and the final usageMetadata (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
// OpenAI chunks: https://platform.openai.com/docs/api-reference/chat-streaming
// Reasoning (core/reasoning.ts): thought text goes out as `reasoning_content` deltas; the signature of a
// thought or answer part as `thinking_blocks: [{type:'thinking', thinking:'', signature}]`; a function
// call's signature inside its tool call id (thought-signature.ts) and extra_content, as in response.ts.
import { isObject } from '../../core/json'
import { DONE_FRAME, dataFrame, SseParser, type StreamTranslator } from '../../sse'
import { describeGeminiError } from './errors'
import {
  blockedMessage,
  blockReasonOf,
  candidatesOf,
  completionId,
  indexOf,
  partsOf,
  randomToolCallId,
  reasoningOf,
  signatureOf,
  textOf,
  toFinishReason,
  toolCallsOf,
  toUsage,
} from './response'
import type { GeminiErrorBody, GeminiResponse, GeminiUsageMetadata } from './types'

export interface GeminiStreamOptions {
  model: string
  /** The client asked for `stream_options.include_usage`: send a usage chunk before [DONE]. */
  includeUsage: boolean
  created?: number
  toolCallId?: () => string
  /** The largest event the upstream may send (max_sse_event_size); the default when absent. */
  maxEventSize?: number
}

interface ChoiceState {
  /** Tool calls seen so far: the next call's `index` in the OpenAI deltas. */
  toolCalls: number
  finished: boolean
}

export class GeminiStreamTranslator implements StreamTranslator {
  private readonly parser: SseParser
  private readonly choices = new Map<number, ChoiceState>()
  private readonly created: number
  private readonly nextId: () => string
  private id: string | undefined
  private usage: GeminiUsageMetadata | undefined

  constructor(private readonly options: GeminiStreamOptions) {
    this.created = options.created ?? Math.floor(Date.now() / 1000)
    this.nextId = options.toolCallId ?? randomToolCallId
    this.parser = new SseParser(options.maxEventSize)
  }

  push(chunk: Uint8Array): string {
    let out = ''
    for (const event of this.parser.push(chunk)) out += this.event(event.data)
    return out
  }

  end(): string {
    let out = ''
    for (const event of this.parser.end()) out += this.event(event.data)
    if (this.choices.size === 0 || [...this.choices.values()].some((c) => !c.finished))
      throw new Error('the Gemini stream ended before a finish reason (the answer is incomplete)')
    if (this.options.includeUsage) out += dataFrame({ ...this.base(), choices: [], usage: toUsage(this.usage) })
    return out + DONE_FRAME
  }

  // --- internal ---

  private event(data: string): string {
    if (!data.trim() || data.trim() === '[DONE]') return ''
    let json: unknown
    try {
      json = JSON.parse(data)
    } catch {
      throw new Error(`Gemini sent a stream event that is not JSON: ${data.slice(0, 200)}`)
    }
    if (!isObject(json)) throw new Error(`Gemini sent an unexpected stream event: ${data.slice(0, 200)}`)
    // Read field by field below (candidatesOf, partsOf, …): the type names what Gemini documents.
    const body: GeminiResponse & GeminiErrorBody = json
    if (body.error) throw new Error(describeGeminiError(body))
    this.id ??= completionId(body)
    if (body.usageMetadata) this.usage = body.usageMetadata

    const candidates = candidatesOf(body)
    const blocked = blockReasonOf(body)
    let out = ''
    if (candidates.length === 0 && blocked) {
      out += this.start(0)
      out += this.chunk(0, { refusal: blockedMessage(blocked) }, null)
      return out + this.finish(0, 'content_filter')
    }
    candidates.forEach((candidate, position) => {
      const index = indexOf(candidate, position)
      out += this.start(index)
      const state = this.choices.get(index)!
      const parts = partsOf(candidate)
      const reasoning = reasoningOf(parts)
      if (reasoning) out += this.chunk(index, { reasoning_content: reasoning }, null)
      const signatures = parts.filter((part) => part.functionCall === undefined).map(signatureOf)
      const blocks = signatures.flatMap((signature) =>
        signature === undefined ? [] : [{ type: 'thinking', thinking: '', signature }],
      )
      if (blocks.length) out += this.chunk(index, { thinking_blocks: blocks }, null)
      const text = textOf(parts)
      if (text) out += this.chunk(index, { content: text }, null)
      const calls = toolCallsOf(parts, this.nextId)
      if (calls.length) {
        const deltas = calls.map((call) => ({ index: state.toolCalls++, ...call }))
        out += this.chunk(index, { tool_calls: deltas }, null)
      }
      if (candidate.finishReason) out += this.finish(index, toFinishReason(candidate.finishReason, state.toolCalls > 0))
    })
    return out
  }

  /** The role chunk, once per choice, before anything else of that choice. */
  private start(index: number): string {
    if (this.choices.has(index)) return ''
    this.choices.set(index, { toolCalls: 0, finished: false })
    return this.chunk(index, { role: 'assistant', content: '' }, null)
  }

  private finish(index: number, reason: string): string {
    const state = this.choices.get(index)!
    if (state.finished) return ''
    state.finished = true
    return this.chunk(index, {}, reason)
  }

  private chunk(index: number, delta: Record<string, unknown>, finishReason: string | null): string {
    return dataFrame({ ...this.base(), choices: [{ index, delta, logprobs: null, finish_reason: finishReason }] })
  }

  private base() {
    return {
      id: this.id ?? completionId({}),
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.options.model,
    }
  }
}
