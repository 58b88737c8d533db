// The usage of a stream that ended without the provider's (the client closed it before the last chunk,
// the upstream cut it or went silent, or an upstream that never sends usage): the request and the text
// actually delivered, tokenized, so that budgets, token limits and usage count what was sent instead of
// nothing. The provider's own counts win where they came (Anthropic's input tokens in message_start).
//
// The tokenizer is gpt-tokenizer's o200k_base (OpenAI's current encoding; close for other models' text,
// and the count is marked as estimated), on a thread of its own (core/tokenizer-thread.ts) started on the first
// stream that needs it and stopped when idle: its tables cost ~120 MB and 250-560 ms to load, which the
// event loop never pays, nor does a gateway whose streams end normally.
import type { JsonObject } from '../core/json'
import { isObject } from '../core/json'
import { countInThread } from '../core/tokenizer-thread'
import type { Usage } from '../extensions'
import { SseParser } from '../sse'

/** Framing tokens per message (its role's one token included) and per request, as OpenAI counts a chat prompt. */
const PER_MESSAGE = 4
const PER_REQUEST = 3
/** An image in the prompt, whatever its size (the provider prices it by tiles, which the body does not say). */
const PER_IMAGE = 765

export interface DeliveredStream {
  /** The SSE bytes the client was sent (as kept). */
  events: readonly Uint8Array[]
  /** The share of the stream kept: the count of the kept part stands for the whole in proportion. */
  share: number
}

/** The usage of a stream from its request and what it delivered; `known` keeps the provider's counts. */
export async function estimateStreamUsage(
  request: Readonly<JsonObject>,
  delivered: DeliveredStream,
  known: Usage | undefined,
  count: (texts: string[]) => Promise<number[]> = countTokens,
): Promise<Usage> {
  const prompt = promptParts(request)
  const providerPrompt = known && known.prompt_tokens > 0 ? known.prompt_tokens : undefined
  const text = deliveredText(delivered.events)
  const [promptText = 0, completionText = 0] = await count(
    providerPrompt === undefined ? [prompt.text, text] : ['', text],
  )
  const promptTokens = providerPrompt ?? prompt.framing + promptText
  const completion = Math.max(known?.completion_tokens ?? 0, Math.round(completionText / (delivered.share || 1)))
  const usage: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
  }
  if (known?.cache_read_tokens) usage.cache_read_tokens = known.cache_read_tokens
  if (known?.cache_write_tokens) usage.cache_write_tokens = known.cache_write_tokens
  return usage
}

/** Token counts of `texts`, from the tokenizer thread. */
export function countTokens(texts: string[]): Promise<number[]> {
  return countInThread(texts)
}

/**
 * A chat, Messages or Responses request as the tokenizer sees it: the text of its system prompt, messages, tool
 * calls and tools, and the tokens counted without the tokenizer (framing, images).
 */
export function promptParts(request: Readonly<JsonObject>): { text: string; framing: number } {
  let framing = PER_REQUEST
  const texts: string[] = []
  const content = (value: unknown) => {
    if (typeof value === 'string') texts.push(value)
    else if (Array.isArray(value))
      for (const part of value) {
        if (!isObject(part)) continue
        if (part.type === 'image_url' || part.type === 'image' || part.type === 'input_image') framing += PER_IMAGE
        else if (typeof part.text === 'string') texts.push(part.text)
        else if (part.type === 'tool_use') texts.push(JSON.stringify(part.input ?? {}))
        else if (part.type === 'tool_result') content(part.content)
      }
  }
  content(request.system)
  if (Array.isArray(request.messages))
    for (const message of request.messages) {
      if (!isObject(message)) continue
      framing += PER_MESSAGE
      content(message.content)
      if (message.tool_calls !== undefined) texts.push(JSON.stringify(message.tool_calls))
    }
  if (typeof request.instructions === 'string') texts.push(request.instructions)
  if (typeof request.input === 'string') texts.push(request.input)
  else if (Array.isArray(request.input))
    for (const item of request.input) {
      if (typeof item === 'string') texts.push(item)
      else if (!isObject(item)) continue
      // A Responses input item: a message, a function call or its output, a reasoning summary.
      else if (item.type === 'function_call') texts.push(`${item.name ?? ''}${item.arguments ?? ''}`)
      else if (item.type === 'function_call_output') content(item.output)
      else if (item.type === 'reasoning') content(item.summary)
      else {
        framing += PER_MESSAGE
        content(item.content)
      }
    }
  if (request.tools !== undefined) texts.push(JSON.stringify(request.tools))
  return { text: texts.join('\n'), framing }
}

/**
 * The text a stream delivered: OpenAI chunks' content, reasoning, refusal and tool-call arguments;
 * Anthropic events' text, thinking and tool input deltas; Responses events' deltas.
 */
export function deliveredText(events: readonly Uint8Array[]): string {
  const parser = new SseParser()
  const out: string[] = []
  const take = (value: unknown) => {
    if (typeof value === 'string' && value) out.push(value)
  }
  for (const chunk of events) {
    for (const event of parser.push(chunk)) {
      if (event.data === '[DONE]') continue
      let json: unknown
      try {
        json = JSON.parse(event.data)
      } catch {
        continue
      }
      if (!isObject(json)) continue
      if (Array.isArray(json.choices))
        for (const choice of json.choices) {
          const delta = isObject(choice) && isObject(choice.delta) ? choice.delta : undefined
          if (!delta) continue
          take(delta.content)
          take(delta.reasoning_content)
          take(delta.refusal)
          if (Array.isArray(delta.tool_calls))
            for (const call of delta.tool_calls)
              if (isObject(call) && isObject(call.function)) {
                take(call.function.name)
                take(call.function.arguments)
              }
        }
      else if (json.type === 'content_block_delta' && isObject(json.delta)) {
        take(json.delta.text)
        take(json.delta.thinking)
        take(json.delta.partial_json)
      } else if (json.type === 'content_block_start' && isObject(json.content_block)) {
        take(json.content_block.text)
        take(json.content_block.name)
      } else if (typeof json.type === 'string' && json.type.startsWith('response.')) {
        // Responses events: text, refusal, reasoning and function-argument deltas, and each call's name.
        if (json.type.endsWith('.delta')) take(json.delta)
        else if (json.type === 'response.output_item.added' && isObject(json.item)) take(json.item.name)
      }
    }
  }
  return out.join('')
}
