// Anthropic Message → OpenAI chat.completion (pure). Text blocks are joined into `content` (with
// structured output, that text is the JSON), tool_use blocks become `tool_calls`, thinking is exposed
// as `reasoning_content` (the field DeepSeek and others use for it) and, with its signature, in
// `thinking_blocks`, as redacted thinking is (core/reasoning.ts): the next request sends them back.
// Other block kinds (server tools) have no OpenAI form.
// https://docs.anthropic.com/en/api/messages · https://platform.openai.com/docs/api-reference/chat/object
import { isObject, type JsonObject } from '../../core/json'
import type { ThinkingBlock } from '../../core/reasoning'
import type {
  TranslatedFinishReason as FinishReason,
  ChatCompletion as OpenAiChatCompletion,
  Usage as OpenAiUsage,
  TranslatedToolCall as ToolCall,
  TranslatedMessage,
} from '../../wire/chat'
import type { AnswerMeta } from '../exchange'

export type { FinishReason, ToolCall }

export interface ChatUsage extends OpenAiUsage {
  prompt_tokens_details: { cached_tokens: number }
  /** Anthropic's own cache counts, kept for cost accounting (cache writes and reads are priced apart). */
  cache_read_input_tokens: number
  cache_creation_input_tokens: number
}

/** The assistant message, with Anthropic's thinking blocks (signed, or redacted) kept for the next turn. */
export interface ChatMessage extends TranslatedMessage {
  thinking_blocks?: ThinkingBlock[]
}

export interface ChatCompletion extends OpenAiChatCompletion {
  choices: [{ index: 0; message: ChatMessage; logprobs: null; finish_reason: FinishReason }]
  usage: ChatUsage
}

/**
 * The chat completion for an Anthropic Message; undefined when `json` is not one (the exchange answers
 * a 502). The upstream's fields are checked as they are read: a block that is not an object is skipped,
 * an id or name that is not a string is empty, a count that is not a number is 0.
 */
export function fromAnthropicResponse(json: JsonObject, meta: AnswerMeta): ChatCompletion | undefined {
  if (!isMessage(json)) return undefined
  let text = ''
  let hasText = false
  let reasoning: string | undefined
  const thinkingBlocks: ThinkingBlock[] = []
  const toolCalls: ToolCall[] = []
  for (const block of json.content) {
    if (!isObject(block)) continue
    if (block.type === 'text' && typeof block.text === 'string') {
      text += block.text
      hasText = true
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: typeof block.id === 'string' ? block.id : '',
        type: 'function',
        function: {
          name: typeof block.name === 'string' ? block.name : '',
          arguments: JSON.stringify(block.input ?? {}),
        },
      })
    } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      reasoning = (reasoning ?? '') + block.thinking
      const signed = typeof block.signature === 'string' && block.signature !== ''
      thinkingBlocks.push({
        type: 'thinking',
        thinking: block.thinking,
        ...(signed && { signature: block.signature as string }),
      })
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string' && block.data) {
      thinkingBlocks.push({ type: 'redacted_thinking', data: block.data })
    }
  }
  const message: ChatMessage = { role: 'assistant', content: hasText ? text : null, refusal: null }
  if (toolCalls.length) message.tool_calls = toolCalls
  if (reasoning !== undefined) message.reasoning_content = reasoning
  if (thinkingBlocks.length) message.thinking_blocks = thinkingBlocks
  const stopReason = typeof json.stop_reason === 'string' ? json.stop_reason : null
  return {
    id: json.id,
    object: 'chat.completion',
    created: meta.created,
    model: json.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(stopReason) }],
    usage: toChatUsage(json.usage),
  }
}

/**
 * end_turn, stop_sequence and pause_turn → stop; max_tokens and model_context_window_exceeded → length;
 * tool_use → tool_calls; refusal → content_filter; anything else (a future reason) → stop.
 * https://docs.anthropic.com/en/api/handling-stop-reasons
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

/**
 * Anthropic's usage (https://docs.anthropic.com/en/api/messages#response-usage) → OpenAI's: Anthropic's
 * input_tokens excludes cached tokens; OpenAI's prompt_tokens includes them. output_tokens already
 * counts the thinking tokens (billed as output), as OpenAI's completion_tokens counts reasoning: it is
 * taken as it is, and no reasoning_tokens detail is given since Anthropic reports no split. Any value
 * reads: a usage that is not an object counts 0 throughout.
 */
export function toChatUsage(usage: unknown): ChatUsage {
  const u = isObject(usage) ? usage : {}
  const input = count(u.input_tokens)
  const cacheRead = count(u.cache_read_input_tokens)
  const cacheCreation = count(u.cache_creation_input_tokens)
  const prompt = input + cacheRead + cacheCreation
  const completion = count(u.output_tokens)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheCreation,
  }
}

// --- internal ---

/** A token count as sent, or 0 when it is not a finite, non-negative number (a string would concatenate). */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}

/** The fields a body must have to be read as a Message without guessing. */
interface MessageShape extends JsonObject {
  type: 'message'
  id: string
  model: string
  content: unknown[]
}

function isMessage(json: JsonObject): json is MessageShape {
  return (
    json.type === 'message' &&
    typeof json.id === 'string' &&
    typeof json.model === 'string' &&
    Array.isArray(json.content)
  )
}
