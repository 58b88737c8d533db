// Anthropic Message → OpenAI chat.completion (pure). Text blocks are joined into `content`, tool_use
// blocks become `tool_calls`, thinking is exposed as `reasoning_content` (the field DeepSeek and
// others use for it); other block kinds (server tools, redacted thinking) have no OpenAI form.
// https://docs.anthropic.com/en/api/messages · https://platform.openai.com/docs/api-reference/chat/object
import type { Message, Usage } from './types'

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

export interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export interface ChatUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number }
  /** Anthropic's own cache counts, kept for cost accounting (cache writes and reads are priced apart). */
  cache_read_input_tokens: number
  cache_creation_input_tokens: number
}

export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: [
    {
      index: 0
      message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ToolCall[]; reasoning_content?: string }
      logprobs: null
      finish_reason: FinishReason
    },
  ]
  usage: ChatUsage
}

/** `created` is passed in (seconds since the epoch) so that this stays pure. */
export function toChatCompletion(message: Message, created: number): ChatCompletion {
  let text = ''
  let hasText = false
  let reasoning: string | undefined
  const toolCalls: ToolCall[] = []
  for (const block of message.content) {
    if (block.type === 'text' && typeof block.text === 'string') {
      text += block.text
      hasText = true
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id ?? '',
        type: 'function',
        function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
      })
    } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      reasoning = (reasoning ?? '') + block.thinking
    }
  }
  const out: ChatCompletion['choices'][0]['message'] = { role: 'assistant', content: hasText ? text : null, refusal: null }
  if (toolCalls.length) out.tool_calls = toolCalls
  if (reasoning !== undefined) out.reasoning_content = reasoning
  return {
    id: message.id,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [{ index: 0, message: out, logprobs: null, finish_reason: finishReason(message.stop_reason) }],
    usage: toChatUsage(message.usage),
  }
}

/**
 * end_turn, stop_sequence and pause_turn → stop; max_tokens and model_context_window_exceeded → length;
 * tool_use → tool_calls; refusal → content_filter; anything else (a future reason) → stop.
 */
export function finishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'refusal':
      return 'content_filter'
    default:
      return 'stop'
  }
}

/** Anthropic's input_tokens excludes cached tokens; OpenAI's prompt_tokens includes them. */
export function toChatUsage(usage: Usage | undefined): ChatUsage {
  const input = usage?.input_tokens ?? 0
  const cacheRead = usage?.cache_read_input_tokens ?? 0
  const cacheCreation = usage?.cache_creation_input_tokens ?? 0
  const prompt = input + cacheRead + cacheCreation
  const completion = usage?.output_tokens ?? 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheCreation,
  }
}

/** A parsed body that has the shape of a Message (enough to translate without guessing). */
export function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  return m.type === 'message' && typeof m.id === 'string' && typeof m.model === 'string' && Array.isArray(m.content)
}
