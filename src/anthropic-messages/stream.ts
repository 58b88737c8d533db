// OpenAI chat.completion.chunk SSE → Anthropic Messages SSE events, for `POST /v1/messages` with
// `stream: true` served by an OpenAI-format deployment. Fed upstream bytes in any chunking; returns the
// frames to send now. https://docs.anthropic.com/en/docs/build-with-claude/streaming
//
// Anthropic streams content blocks one after another (start, deltas, stop; indexes 0, 1, 2 …), while
// OpenAI may stream reasoning, text and several tool calls (keyed by their own `index`) in one message.
// One block is live at a time; a block that appears while another is live waits in a queue, its deltas
// buffered, until the live one is known to be complete: text and thinking are complete as soon as
// anything else appears (more later opens a new block), a tool call once its arguments parse as a JSON
// object (nothing valid can follow). OpenAI sends parallel tool calls one after another, so in practice
// every block streams live; if an upstream interleaves the arguments of two calls, the later one is
// replayed when the first completes, or at finish. Upstream usage comes in a chunk after the
// finish_reason chunk (`stream_options.include_usage`), so message_delta is sent when that usage
// arrives, or at [DONE].
//
// Reasoning (core/reasoning.ts): `delta.reasoning_content` (else `delta.reasoning`) pieces are a
// thinking block (content_block_start {type:'thinking', thinking:'', signature:''}, thinking_delta
// events); `delta.thinking_blocks[].signature` is its signature_delta, and seals it: reasoning after a
// signature is a new thinking block. A `redacted_thinking` entry is a redacted_thinking block. A
// thinking_blocks entry's text is read only when the delta has no reasoning_content (LiteLLM repeats the
// piece in both).

import { isObject, type JsonObject } from '../core/json'
import { argumentsComplete, ChatChunkTranslator, firstChoice, namedFrame } from '../sse'
import type {
  AnthropicContentBlock,
  AnthropicContentBlockDelta,
  AnthropicStreamEvent,
  AnthropicUsage,
} from '../wire/messages'
import { anthropicUsage, messageId, randomId, reasoningText, type StopReason, stopReason } from './response'

interface Block {
  kind: 'text' | 'thinking' | 'redacted_thinking' | 'tool_use'
  state: 'queued' | 'live' | 'closed'
  /** The Anthropic block index, assigned when the block starts. */
  index: number
  /** A tool call's id; a redacted_thinking block's data. */
  id: string
  name: string
  /** Deltas received while queued. */
  pending: string
  /** Tool arguments so far, to tell when they are complete. */
  args: string
  /** `args.length` at the last completeness check that failed (the check is not repeated until it grows). */
  checkedAt: number
  /** A thinking block's signature once known (sent as signature_delta; no more thinking joins the block). */
  signature: string | null
}

/** Reading the chat stream (SSE, errors, a cut stream, tool-call keys) and the block queue are ChatChunkTranslator's. */
export class ChatStreamTranslator extends ChatChunkTranslator<Block> {
  private started = false
  private finish: { stop_reason: StopReason; stop_sequence: string | null } | null = null
  private usage: AnthropicUsage | null = null
  private nextIndex = 0
  private sawTools = false

  /** `model` is the name the client asked for, echoed in message_start as Anthropic does. */
  /** `maxEventSize`: the largest event the chat upstream may send (max_sse_event_size). */
  constructor(
    private readonly model: string,
    maxEventSize?: number,
  ) {
    super(maxEventSize, () => randomId('toolu_'))
  }

  protected get finished(): boolean {
    return this.finish !== null
  }

  protected chunk(json: JsonObject): void {
    if (isObject(json.usage)) this.usage = anthropicUsage(json.usage)
    if (!this.started) this.start(json.id)

    const choice = firstChoice(json)
    if (choice && !this.finish) {
      const delta = isObject(choice.delta) ? choice.delta : {}
      this.reasoningDelta(delta)
      if (typeof delta.content === 'string' && delta.content !== '') this.text(delta.content)
      // A refusal (structured outputs) is the model's answer in words, as in response.ts.
      if (typeof delta.refusal === 'string' && delta.refusal !== '') this.text(delta.refusal)
      this.toolCalls(delta)
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
  protected complete(): void {
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

  /** A delta's reasoning text, signatures and redacted blocks, in that order. */
  private reasoningDelta(delta: JsonObject): void {
    const text = reasoningText(delta)
    if (text !== '') this.thinking(text)
    const carried = Array.isArray(delta.thinking_blocks) ? delta.thinking_blocks : []
    for (const block of carried) {
      if (!isObject(block)) continue
      if (block.type === 'redacted_thinking') {
        if (typeof block.data === 'string' && block.data !== '') {
          this.newBlock('redacted_thinking', block.data, '')
          this.pump()
        }
        continue
      }
      if (block.type !== 'thinking') continue
      if (text === '' && typeof block.thinking === 'string' && block.thinking !== '') this.thinking(block.thinking)
      if (typeof block.signature === 'string' && block.signature !== '') this.signature(block.signature)
    }
  }

  /** The unsigned thinking block at the end of the queue, or a new one. */
  private openThinking(): Block {
    const last = this.queue[this.queue.length - 1]
    return last?.kind === 'thinking' && last.signature === null ? last : this.newBlock('thinking', '', '')
  }

  private thinking(text: string): void {
    this.append(this.openThinking(), text)
    this.pump()
  }

  private signature(signature: string): void {
    const block = this.openThinking()
    block.signature = signature
    if (block.state === 'live') this.emitSignature(block)
    this.pump()
  }

  protected newToolCall(id: string, name: string): Block {
    this.sawTools = true
    return this.newBlock('tool_use', id, name)
  }

  protected addArguments(block: Block, args: string): void {
    this.append(block, args)
  }

  private newBlock(kind: Block['kind'], id: string, name: string): Block {
    const block: Block = {
      kind,
      state: 'queued',
      index: -1,
      id,
      name,
      pending: '',
      args: '',
      checkedAt: -1,
      signature: null,
    }
    this.queue.push(block)
    return block
  }

  private append(block: Block, piece: string): void {
    if (piece === '') return
    if (block.kind === 'tool_use') block.args += piece
    if (block.state === 'live') this.delta(block, piece)
    else block.pending += piece
  }

  protected isComplete(block: Block): boolean {
    return block.kind !== 'tool_use' || argumentsComplete(block)
  }

  protected open(block: Block): void {
    block.state = 'live'
    block.index = this.nextIndex++
    this.emit({ type: 'content_block_start', index: block.index, content_block: startOf(block) })
    if (block.pending !== '') this.delta(block, block.pending)
    block.pending = ''
    if (block.signature !== null) this.emitSignature(block)
  }

  private delta(block: Block, piece: string): void {
    this.emit({ type: 'content_block_delta', index: block.index, delta: deltaOf(block, piece) })
  }

  private emitSignature(block: Block): void {
    this.emit({
      type: 'content_block_delta',
      index: block.index,
      delta: { type: 'signature_delta', signature: block.signature ?? '' },
    })
  }

  protected close(block: Block): void {
    block.state = 'closed'
    this.emit({ type: 'content_block_stop', index: block.index })
  }

  /** One event; its SSE name is its `type`, as Anthropic sends them. */
  private emit(event: AnthropicStreamEvent): void {
    this.out += namedFrame(event.type, event)
  }
}

/** The empty block a content_block_start announces (a redacted block is whole at its start). */
function startOf(block: Block): AnthropicContentBlock {
  switch (block.kind) {
    case 'text':
      return { type: 'text', text: '' }
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' }
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.id }
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} }
  }
}

function deltaOf(block: Block, piece: string): AnthropicContentBlockDelta {
  if (block.kind === 'text') return { type: 'text_delta', text: piece }
  if (block.kind === 'thinking') return { type: 'thinking_delta', thinking: piece }
  return { type: 'input_json_delta', partial_json: piece }
}
