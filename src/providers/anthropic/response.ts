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
      message: {
        role: 'assistant'
        content: string | null
        refusal: null
        tool_calls?: ToolCall[]
        reasoning_content?: string
      }
      logprobs: null
      finish_reason: FinishReason
    },
  ]
  usage: ChatUsage
}

/**
 * `created` is passed in (seconds since the epoch) so that this stays pure. The upstream's fields are
 * checked as they are read: a block that is not an object is skipped, an id or name that is not a
 * string is empty, a count that is not a number is 0.
 */
export function toChatCompletion(message: Message, created: number): ChatCompletion {
  let text = ''
  let hasText = false
  let reasoning: string | undefined
  const toolCalls: ToolCall[] = []
  for (const block of message.content as unknown[]) {
    if (typeof block !== 'object' || block === null) continue
    const b = block as Record<string, unknown>
    if (b.type === 'text' && typeof b.text === 'string') {
      text += b.text
      hasText = true
    } else if (b.type === 'tool_use') {
      toolCalls.push({
        id: typeof b.id === 'string' ? b.id : '',
        type: 'function',
        function: { name: typeof b.name === 'string' ? b.name : '', arguments: JSON.stringify(b.input ?? {}) },
      })
    } else if (b.type === 'thinking' && typeof b.thinking === 'string') {
      reasoning = (reasoning ?? '') + b.thinking
    }
  }
  const out: ChatCompletion['choices'][0]['message'] = {
    role: 'assistant',
    content: hasText ? text : null,
    refusal: null,
  }
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
  const input = count(usage?.input_tokens)
  const cacheRead = count(usage?.cache_read_input_tokens)
  const cacheCreation = count(usage?.cache_creation_input_tokens)
  const prompt = input + cacheRead + cacheCreation
  const completion = count(usage?.output_tokens)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheCreation,
  }
}

/** A token count as sent, or 0 when it is not a finite, non-negative number (a string would concatenate). */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}

/** A parsed body that has the shape of a Message (enough to translate without guessing). */
export function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  return m.type === 'message' && typeof m.id === 'string' && typeof m.model === 'string' && Array.isArray(m.content)
}
