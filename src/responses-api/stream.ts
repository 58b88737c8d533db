// OpenAI chat.completion.chunk SSE → Responses streaming events, for `POST /v1/responses` with
// `stream: true` served through chat. Fed upstream bytes in any chunking; returns the frames to send
// now, each `event: <type>\ndata: {"type", …, "sequence_number"}\n\n`.
// https://platform.openai.com/docs/api-reference/responses-streaming
//
//   response.created, response.in_progress              at the first upstream chunk
//   reasoning_content pieces                            a reasoning item: output_item.added,
//                                                       reasoning_summary_part.added, …_text.delta…,
//                                                       …_text.done, …_part.done, output_item.done
//   thinking_blocks [{signature}] | [{redacted}]        kept for the reasoning item's encrypted_content (on
//                                                       output_item.done and the final Response, included or not)
//   content pieces, refusal pieces                      a message item: output_item.added,
//                                                       content_part.added, output_text.delta… (refusal.delta…),
//                                                       output_text.done, content_part.done, output_item.done
//   tool_calls[index] pieces                            a function_call item: output_item.added,
//                                                       function_call_arguments.delta…, .done, output_item.done
//                                                       (`<ns>__<name>` of a namespace tool of the request:
//                                                       name and namespace on the item, namespaces.ts)
//   finish_reason, then the usage chunk or [DONE]       response.completed (response.incomplete for length
//                                                       and content_filter) with the whole Response and usage
//
// Items stream one after another (output_index 0, 1, 2 …) as OpenAI sends them. An item that appears
// while another is live waits in a queue, its pieces kept, until the live one is complete: reasoning
// and text as soon as anything else appears, a function call once its arguments parse as a JSON object.
// A stream that ends before its finish_reason is cut: end() throws and the relay reports the failure
// in-band; nothing is made up to close it.
import { isObject, type JsonObject } from '../core/json'
import type { ThinkingBlock } from '../core/reasoning'
import { argumentsComplete, ChatChunkTranslator, firstChoice, namedFrame } from '../sse'
import { readThinkingBlock } from './encrypted-reasoning'
import { type CallName, namespacedFunctions } from './namespaces'
import {
  finishResponse,
  functionCallItem,
  incompleteReason,
  logprobsOf,
  type ResponseContext,
  randomId,
  reasoningItem,
  reasoningText,
  responseShell,
  responseUsage,
} from './response'
import type { ItemStatus, MessageContent, OutputItem, ResponseObject, ResponseUsage, TokenLogprob } from './types'

interface Part {
  type: 'output_text' | 'refusal'
  text: string
  logprobs: TokenLogprob[]
}

interface Item {
  kind: 'reasoning' | 'message' | 'function_call'
  state: 'queued' | 'live' | 'closed'
  /** The output index, assigned when the item opens. */
  index: number
  id: string
  status: ItemStatus
  /** reasoning: the summary text so far; its signed blocks, and where the unsigned rest starts. */
  text: string
  blocks: ThinkingBlock[]
  blockStart: number
  /** The reasoning item's summary part was announced. */
  summaryOpen: boolean
  /** message: its content parts; the last one is the one growing. */
  parts: Part[]
  /** function_call. */
  callId: string
  name: string
  args: string
  /** `args.length` at the last completeness check that failed (not repeated until it grows). */
  checkedAt: number
}

/** Reading the chat stream (SSE, errors, a cut stream, tool-call keys) and the item queue are ChatChunkTranslator's. */
export class ResponsesStreamTranslator extends ChatChunkTranslator<Item> {
  private sequence = 0
  private shell: ResponseObject | null = null
  protected finished = false
  private finishReason: unknown = null
  private usage: ResponseUsage | null = null
  private nextIndex = 0
  /** Every item opened, in output order. */
  private readonly opened: Item[] = []
  /** The chat names of the request's namespaced functions. */
  private readonly namespaced: ReadonlyMap<string, Required<CallName>>

  /** `maxEventSize`: the largest event the chat upstream may send (max_sse_event_size). */
  constructor(
    private readonly ctx: ResponseContext,
    maxEventSize?: number,
  ) {
    super(maxEventSize, () => randomId('call_'))
    this.namespaced = namespacedFunctions(ctx.request)
  }

  protected chunk(json: JsonObject): void {
    if (!this.shell) this.start()
    if (isObject(json.usage)) this.usage = responseUsage(json.usage)
    const choice = firstChoice(json)
    if (choice && !this.finished) {
      const delta = isObject(choice.delta) ? choice.delta : {}
      const reasoning = reasoningText(delta)
      if (reasoning !== '') this.reasoning(reasoning)
      if (Array.isArray(delta.thinking_blocks)) for (const block of delta.thinking_blocks) this.thinkingBlock(block)
      if (typeof delta.content === 'string' && delta.content !== '')
        this.content('output_text', delta.content, logprobsOf(choice.logprobs))
      if (typeof delta.refusal === 'string' && delta.refusal !== '') this.content('refusal', delta.refusal, [])
      this.toolCalls(delta)
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        this.finished = true
        this.finishReason = choice.finish_reason
        this.closeAll()
      }
    }
    // The usage chunk follows the finish_reason chunk (or shares it): the response is complete.
    if (this.finished && this.usage) this.complete()
  }

  private start(): void {
    this.shell = responseShell(this.ctx)
    this.emit('response.created', { response: this.shell })
    this.emit('response.in_progress', { response: this.shell })
  }

  /** response.completed or response.incomplete: at [DONE], at end(), or at the usage after the finish. */
  protected complete(): void {
    if (this.stopped) return
    if (!this.shell) this.start()
    // An answer with nothing in it is still a message (empty text), as OpenAI answers it.
    if (this.opened.length === 0 && this.queue.length === 0)
      this.newItem('message').parts.push({ type: 'output_text', text: '', logprobs: [] })
    this.closeAll()
    const output = this.opened.map((item) => this.snapshot(item))
    const response = finishResponse(this.shell!, this.finishReason, output, this.usage)
    this.emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response })
    this.stopped = true
  }

  private reasoning(text: string): void {
    const item = this.tailOf('reasoning') ?? this.newItem('reasoning')
    item.text += text
    if (item.state === 'live') this.summaryDelta(item, text)
    this.pump()
  }

  /**
   * A thinking block's signature (the reasoning text since the last block is the block's), or a
   * redacted block: kept for a reasoning item's encrypted_content. A signature belongs to the latest
   * reasoning item (it ends the text before it; upstreams send it before the text that follows, so
   * the item is still open); a redacted block joins the reasoning item being streamed, or opens one.
   */
  private thinkingBlock(value: unknown): void {
    const block = readThinkingBlock(value)
    if (!block) return
    if (block.type === 'redacted_thinking') (this.tailOf('reasoning') ?? this.newItem('reasoning')).blocks.push(block)
    else if (block.signature) {
      const item =
        this.tailOf('reasoning') ?? this.opened.findLast((i) => i.kind === 'reasoning') ?? this.newItem('reasoning')
      const thinking = item.text.slice(item.blockStart) || block.thinking
      item.blocks.push({ type: 'thinking', thinking, signature: block.signature })
      item.blockStart = item.text.length
    }
    this.pump()
  }

  private content(type: Part['type'], text: string, logprobs: TokenLogprob[]): void {
    const item = this.tailOf('message') ?? this.newItem('message')
    let part = item.parts.at(-1)
    if (part?.type !== type) {
      if (item.state === 'live' && part) this.closePart(item, item.parts.length - 1)
      part = { type, text: '', logprobs: [] }
      item.parts.push(part)
      if (item.state === 'live') this.openPart(item, item.parts.length - 1)
    }
    part.text += text
    part.logprobs.push(...logprobs)
    if (item.state === 'live') this.partDelta(item, item.parts.length - 1, text, logprobs)
    this.pump()
  }

  protected newToolCall(id: string, name: string): Item {
    const item = this.newItem('function_call')
    item.callId = id
    item.name = name
    return item
  }

  protected addArguments(item: Item, args: string): void {
    if (args === '') return
    item.args += args
    if (item.state === 'live') this.emit('response.function_call_arguments.delta', this.at(item, { delta: args }))
  }

  /** The last queued item when it is of `kind` (reasoning and text continue their own item only). */
  private tailOf(kind: Item['kind']): Item | undefined {
    const tail = this.queue.at(-1)
    return tail?.kind === kind ? tail : undefined
  }

  private newItem(kind: Item['kind']): Item {
    const prefix = kind === 'reasoning' ? 'rs_' : kind === 'message' ? 'msg_' : 'fc_'
    const item: Item = {
      kind,
      state: 'queued',
      index: -1,
      id: randomId(prefix),
      status: 'completed',
      text: '',
      blocks: [],
      blockStart: 0,
      summaryOpen: false,
      parts: [],
      callId: '',
      name: '',
      args: '',
      checkedAt: -1,
    }
    this.queue.push(item)
    return item
  }

  protected isComplete(item: Item): boolean {
    return item.kind !== 'function_call' || argumentsComplete(item)
  }

  /** output_item.added, then what the item gathered while it waited. */
  protected open(item: Item): void {
    item.state = 'live'
    item.index = this.nextIndex++
    this.opened.push(item)
    this.emit('response.output_item.added', { output_index: item.index, item: this.snapshot(item, 'in_progress') })
    if (item.kind === 'reasoning') {
      if (item.text !== '') this.summaryDelta(item, item.text)
    } else if (item.kind === 'message') {
      item.parts.forEach((part, i) => {
        if (i > 0) this.closePart(item, i - 1)
        this.openPart(item, i)
        if (part.text !== '') this.partDelta(item, i, part.text, part.logprobs)
      })
    } else if (item.args !== '')
      this.emit('response.function_call_arguments.delta', this.at(item, { delta: item.args }))
  }

  protected close(item: Item): void {
    item.state = 'closed'
    // The last item (closeAll's; pump closes none but the head with another behind it) is cut when the
    // answer was.
    if (this.queue.length === 1 && incompleteReason(this.finishReason)) item.status = 'incomplete'
    if (item.kind === 'reasoning' && item.summaryOpen) {
      const at = this.at(item, { summary_index: 0 })
      this.emit('response.reasoning_summary_text.done', { ...at, text: item.text })
      this.emit('response.reasoning_summary_part.done', { ...at, part: { type: 'summary_text', text: item.text } })
    } else if (item.kind === 'message' && item.parts.length > 0) this.closePart(item, item.parts.length - 1)
    else if (item.kind === 'function_call')
      this.emit('response.function_call_arguments.done', this.at(item, { arguments: item.args }))
    this.emit('response.output_item.done', { output_index: item.index, item: this.snapshot(item) })
  }

  private summaryDelta(item: Item, delta: string): void {
    const at = this.at(item, { summary_index: 0 })
    if (!item.summaryOpen) {
      item.summaryOpen = true
      this.emit('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } })
    }
    this.emit('response.reasoning_summary_text.delta', { ...at, delta })
  }

  private openPart(item: Item, i: number): void {
    const part = item.parts[i]!
    const empty: MessageContent =
      part.type === 'output_text'
        ? { type: 'output_text', text: '', annotations: [], logprobs: [] }
        : { type: 'refusal', refusal: '' }
    this.emit('response.content_part.added', this.at(item, { content_index: i, part: empty }))
  }

  private partDelta(item: Item, i: number, delta: string, logprobs: TokenLogprob[]): void {
    const part = item.parts[i]!
    if (part.type === 'output_text')
      this.emit('response.output_text.delta', this.at(item, { content_index: i, delta, logprobs }))
    else this.emit('response.refusal.delta', this.at(item, { content_index: i, delta }))
  }

  private closePart(item: Item, i: number): void {
    const part = item.parts[i]!
    if (part.type === 'output_text')
      this.emit(
        'response.output_text.done',
        this.at(item, { content_index: i, text: part.text, logprobs: part.logprobs }),
      )
    else this.emit('response.refusal.done', this.at(item, { content_index: i, refusal: part.text }))
    this.emit('response.content_part.done', this.at(item, { content_index: i, part: contentOf(part) }))
  }

  /** The item as the Response shows it: with its status, or `in_progress` when it is announced. */
  private snapshot(item: Item, status: ItemStatus = item.status): OutputItem {
    if (item.kind === 'reasoning') {
      if (status === 'in_progress') return { type: 'reasoning', id: item.id, summary: [] }
      return reasoningItem(item.id, item.text, item.blocks)
    }
    if (item.kind === 'message')
      return {
        type: 'message',
        id: item.id,
        status,
        role: 'assistant',
        content: status === 'in_progress' ? [] : item.parts.map(contentOf),
      }
    return functionCallItem(
      item.id,
      item.callId,
      item.name,
      status === 'in_progress' ? '' : item.args,
      status,
      this.namespaced,
    )
  }

  /** The fields naming an item in its events. */
  private at(item: Item, fields: JsonObject): JsonObject {
    return { item_id: item.id, output_index: item.index, ...fields }
  }

  /** One event; its SSE name is its `type`, and every event carries the next sequence number. */
  private emit(type: string, fields: JsonObject): void {
    this.out += namedFrame(type, { type, ...fields, sequence_number: this.sequence++ })
  }
}

// --- internal ---

function contentOf(part: Part): MessageContent {
  return part.type === 'output_text'
    ? { type: 'output_text', text: part.text, annotations: [], logprobs: part.logprobs }
    : { type: 'refusal', refusal: part.text }
}
