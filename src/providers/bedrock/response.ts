// Bedrock Converse response → OpenAI chat.completion (pure). Also the stop-reason and usage mappings
// that stream.ts shares, and the completion id both use.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import { isObject, type JsonObject } from '../../core/json'
import type {
  TranslatedFinishReason as FinishReason,
  ChatCompletion as OpenAiChatCompletion,
  Usage as OpenAiUsageBase,
  TranslatedToolCall as ToolCall,
  TranslatedMessage,
} from '../../wire/chat'
import type { AnswerMeta } from '../exchange'

export interface OpenAiUsage extends OpenAiUsageBase {
  prompt_tokens_details?: { cached_tokens: number }
}

export interface ChatCompletion extends OpenAiChatCompletion {
  choices: [{ index: 0; message: TranslatedMessage; logprobs: null; finish_reason: FinishReason }]
  usage: OpenAiUsage
}

export type { FinishReason, ToolCall }

/** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax */
const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
}

/** Bedrock stopReason → OpenAI finish_reason; anything new or unknown reads as a normal stop. */
export function finishReason(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' && Object.hasOwn(FINISH, stopReason) && FINISH[stopReason]) || 'stop'
}

/**
 * Bedrock's inputTokens leaves out the tokens read from or written to the prompt cache; OpenAI's
 * prompt_tokens includes them (cached_tokens is a part of it). Totals are recomputed to agree.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html
 */
export function toOpenAiUsage(usage: unknown): OpenAiUsage {
  const u = isObject(usage) ? usage : {}
  const num = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0)
  const cacheRead = num(u.cacheReadInputTokens)
  const prompt = num(u.inputTokens) + cacheRead + num(u.cacheWriteInputTokens)
  const completion = num(u.outputTokens)
  const out: OpenAiUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  if (u.cacheReadInputTokens !== undefined) out.prompt_tokens_details = { cached_tokens: cacheRead }
  return out
}

/** `chatcmpl-` + Bedrock's request id (x-amzn-requestid), so the answer can be traced; random without one. */
export function bedrockCompletionId(headers: Headers): string {
  return `chatcmpl-${headers.get('x-amzn-requestid') ?? crypto.randomUUID()}`
}

/**
 * The chat completion for a Converse answer. Total: any object reads as an answer (blocks that are not
 * objects are skipped, odd fields read as empty), so it never answers undefined.
 */
export function fromBedrockResponse(json: JsonObject, meta: AnswerMeta): ChatCompletion {
  let text = ''
  let hasText = false
  let reasoning = ''
  const toolCalls: ToolCall[] = []
  for (const block of contentOf(json)) {
    if (typeof block.text === 'string') {
      text += block.text
      hasText = true
    } else if (isObject(block.toolUse)) {
      const use = block.toolUse
      toolCalls.push({
        id: typeof use.toolUseId === 'string' ? use.toolUseId : '',
        type: 'function',
        function: { name: typeof use.name === 'string' ? use.name : '', arguments: JSON.stringify(use.input ?? {}) },
      })
    } else if (isObject(block.reasoningContent)) {
      const reasoningText = block.reasoningContent.reasoningText
      const r = isObject(reasoningText) ? reasoningText.text : undefined
      if (typeof r === 'string') reasoning += r
    }
  }
  const message: TranslatedMessage = {
    role: 'assistant',
    content: hasText || toolCalls.length === 0 ? text : null,
    refusal: null,
  }
  if (reasoning) message.reasoning_content = reasoning
  if (toolCalls.length) message.tool_calls = toolCalls
  return {
    id: bedrockCompletionId(meta.headers),
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(json.stopReason) }],
    usage: toOpenAiUsage(json.usage),
  }
}

// --- internal ---

/** output.message.content's blocks that are objects; [] when the body has no such list (any JSON can arrive). */
function contentOf(body: JsonObject): JsonObject[] {
  const output = body.output
  const message = isObject(output) ? output.message : undefined
  const content = isObject(message) ? message.content : undefined
  return Array.isArray(content) ? content.filter(isObject) : []
}
