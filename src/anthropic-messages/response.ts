// OpenAI chat completion → Anthropic Message, the non-streaming answer of `POST /v1/messages` served
// by an OpenAI-format deployment. The stop-reason, usage and tool-argument rules here are shared with
// stream.ts so that both answers agree. Reasoning (`reasoning_content`, `thinking_blocks`; core/reasoning.ts)
// becomes thinking and redacted_thinking blocks before the text and tool_use blocks.
// https://docs.anthropic.com/en/api/messages (response) · https://platform.openai.com/docs/api-reference/chat/object

import { isObject, type JsonObject } from '../core/json'
import type { AnthropicContentBlock, AnthropicMessage, AnthropicStopReason, AnthropicUsage } from '../wire/messages'

export type { AnthropicMessage, AnthropicUsage } from '../wire/messages'

/** The stop reasons a chat answer maps to (pause_turn and model_context_window_exceeded never arise). */
export type StopReason = Extract<
  AnthropicStopReason,
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal'
>

/** A random id in Anthropic's alphabet: `prefix` + 24 base62 characters. */
export function randomId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  let out = prefix
  for (const byte of bytes) out += alphabet[byte % 62]
  return out
}

/** `msg_` + the upstream completion id when there is one, so logs on both sides can be matched. */
export function messageId(completionId: unknown): string {
  return typeof completionId === 'string' && completionId !== '' ? `msg_${completionId}` : randomId('msg_')
}

/**
 * finish_reason → stop_reason. `stop` is `stop_sequence` only when the upstream says which sequence
 * matched (vLLM's `stop_reason`, SGLang's `matched_stop`, as a string); otherwise `end_turn`, as is any
 * unknown or missing reason. Some servers (older Ollama) say `stop` after tool calls: with `hasTools`
 * that is `tool_use`, since agent loops run tools only on that stop reason.
 */
export function stopReason(
  choice: JsonObject,
  hasTools = false,
): { stop_reason: StopReason; stop_sequence: string | null } {
  const reason = stopReasonOf(choice)
  return reason.stop_reason === 'end_turn' && hasTools ? { stop_reason: 'tool_use', stop_sequence: null } : reason
}

function stopReasonOf(choice: JsonObject): { stop_reason: StopReason; stop_sequence: string | null } {
  switch (choice.finish_reason) {
    case 'length':
      return { stop_reason: 'max_tokens', stop_sequence: null }
    case 'tool_calls':
    case 'function_call':
      return { stop_reason: 'tool_use', stop_sequence: null }
    case 'content_filter':
      return { stop_reason: 'refusal', stop_sequence: null }
    case 'stop': {
      const matched = typeof choice.stop_reason === 'string' ? choice.stop_reason : choice.matched_stop
      if (typeof matched === 'string' && matched !== '') return { stop_reason: 'stop_sequence', stop_sequence: matched }
      return { stop_reason: 'end_turn', stop_sequence: null }
    }
    default:
      return { stop_reason: 'end_turn', stop_sequence: null }
  }
}

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0

/**
 * OpenAI usage → Anthropic usage. Anthropic's `input_tokens` excludes cache reads and writes, OpenAI's
 * `prompt_tokens` includes them: reads are `prompt_tokens_details.cached_tokens` (DeepSeek:
 * `prompt_cache_hit_tokens`), writes are `cache_creation_input_tokens` where a proxy reports them
 * (LiteLLM, OpenRouter's `prompt_tokens_details.cache_write_tokens`), else 0.
 */
export function anthropicUsage(usage: unknown): AnthropicUsage {
  if (!isObject(usage))
    return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
  const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {}
  const cacheRead = count(details.cached_tokens) || count(usage.prompt_cache_hit_tokens)
  const cacheWrite =
    count(usage.cache_creation_input_tokens) ||
    count(details.cache_write_tokens) ||
    count(details.cache_creation_tokens)
  return {
    input_tokens: Math.max(0, count(usage.prompt_tokens) - cacheRead - cacheWrite),
    output_tokens: count(usage.completion_tokens),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  }
}

/**
 * Tool-call arguments → tool_use `input`. Anthropic requires an object, so an empty string, unparseable
 * JSON or a non-object (which a model can emit, and the client could do nothing with) become `{}`: the
 * tool then fails its own input validation and the model sees why on the next turn. The raw text is not
 * kept: there is no field in a tool_use block to carry it.
 */
export function toolInput(args: unknown): Record<string, unknown> {
  if (isObject(args)) return args // a few servers send the object itself
  if (typeof args !== 'string' || args.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(args)
    return isObject(parsed) ? parsed : {}
  } catch {
    return {}
  }
}

/** `message.content` as text: a string, or an array of text parts (some servers), or null. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('')
}

/** The reasoning text of a message or delta: `reasoning_content` (DeepSeek, LiteLLM), else `reasoning` (OpenRouter, vLLM). */
export function reasoningText(message: JsonObject): string {
  if (typeof message.reasoning_content === 'string') return message.reasoning_content
  return typeof message.reasoning === 'string' ? message.reasoning : ''
}

/**
 * A message's reasoning as Messages blocks, which come before its text and tool calls. `thinking_blocks`
 * (core/reasoning.ts) are the blocks as they were, signatures included; without a thinking block among
 * them, the reasoning text is one thinking block first. Anthropic's SDKs type `signature` as a string:
 * a block without one gets ''.
 */
function thinkingBlocks(message: JsonObject): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = []
  const carried = Array.isArray(message.thinking_blocks) ? message.thinking_blocks : []
  for (const block of carried) {
    if (!isObject(block)) continue
    if (block.type === 'thinking' && typeof block.thinking === 'string')
      blocks.push({
        type: 'thinking',
        thinking: block.thinking,
        signature: typeof block.signature === 'string' ? block.signature : '',
      })
    else if (block.type === 'redacted_thinking' && typeof block.data === 'string')
      blocks.push({ type: 'redacted_thinking', data: block.data })
  }
  const text = reasoningText(message)
  if (text !== '' && !blocks.some((block) => block.type === 'thinking'))
    blocks.unshift({ type: 'thinking', thinking: text, signature: '' })
  return blocks
}

/**
 * The Message for a chat completion, named `model` (the client's). Total: any object an upstream
 * answers reads as a (possibly empty) Message, never an exception.
 */
export function fromChatResponse(completion: JsonObject, model: string): AnthropicMessage {
  const choices = Array.isArray(completion.choices) ? completion.choices : []
  const choice = isObject(choices[0]) ? choices[0] : {}
  const message = isObject(choice.message) ? choice.message : {}

  const content: AnthropicContentBlock[] = thinkingBlocks(message)
  // A refusal (structured outputs) is the model's answer in words: show it as text.
  const text = contentText(message.content) || (typeof message.refusal === 'string' ? message.refusal : '')
  if (text !== '') content.push({ type: 'text', text })

  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : []
  for (const call of calls) {
    if (!isObject(call)) continue
    const fn = isObject(call.function) ? call.function : {}
    content.push({
      type: 'tool_use',
      id: typeof call.id === 'string' && call.id !== '' ? call.id : randomId('toolu_'),
      name: typeof fn.name === 'string' ? fn.name : '',
      input: toolInput(fn.arguments),
    })
  }
  if (isObject(message.function_call)) {
    const fn = message.function_call
    content.push({
      type: 'tool_use',
      id: randomId('toolu_'),
      name: typeof fn.name === 'string' ? fn.name : '',
      input: toolInput(fn.arguments),
    })
  }

  const hasTools = content.some((block) => block.type === 'tool_use')
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    ...stopReason(choice, hasTools),
    usage: anthropicUsage(completion.usage),
  }
}
