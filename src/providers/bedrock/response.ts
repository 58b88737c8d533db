// Bedrock Converse response → OpenAI chat.completion (pure). Also the stop-reason and usage mappings
// that stream.ts shares. https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html

export interface ConverseUsage {
  inputTokens?: number
  outputTokens?: number
  totalTokens?: number
  cacheReadInputTokens?: number
  cacheWriteInputTokens?: number
}

export interface ConverseResponse {
  output?: { message?: { role?: string; content?: Record<string, unknown>[] } }
  stopReason?: string
  usage?: ConverseUsage
}

export interface OpenAiUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details?: { cached_tokens: number }
}

export interface OpenAiToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

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
 */
export function toOpenAiUsage(usage: ConverseUsage | undefined): OpenAiUsage {
  const num = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0)
  const cacheRead = num(usage?.cacheReadInputTokens)
  const prompt = num(usage?.inputTokens) + cacheRead + num(usage?.cacheWriteInputTokens)
  const completion = num(usage?.outputTokens)
  const out: OpenAiUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  if (usage?.cacheReadInputTokens !== undefined) out.prompt_tokens_details = { cached_tokens: cacheRead }
  return out
}

/** output.message.content's blocks that are objects; [] when the body has no such list (any JSON can arrive). */
function contentOf(body: unknown): Record<string, unknown>[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
  const output = isObject(body) ? body.output : undefined
  const message = isObject(output) ? output.message : undefined
  const content = isObject(message) ? message.content : undefined
  return Array.isArray(content) ? content.filter(isObject) : []
}

export interface CompletionMeta {
  id: string
  created: number
  model: string
}

export function toChatCompletion(body: ConverseResponse, meta: CompletionMeta) {
  let text = ''
  let hasText = false
  let reasoning = ''
  const toolCalls: OpenAiToolCall[] = []
  for (const block of contentOf(body)) {
    if (typeof block.text === 'string') {
      text += block.text
      hasText = true
    } else if (block.toolUse && typeof block.toolUse === 'object') {
      const use = block.toolUse as { toolUseId?: unknown; name?: unknown; input?: unknown }
      toolCalls.push({
        id: typeof use.toolUseId === 'string' ? use.toolUseId : '',
        type: 'function',
        function: { name: typeof use.name === 'string' ? use.name : '', arguments: JSON.stringify(use.input ?? {}) },
      })
    } else if (block.reasoningContent && typeof block.reasoningContent === 'object') {
      const r = (block.reasoningContent as { reasoningText?: { text?: unknown } }).reasoningText?.text
      if (typeof r === 'string') reasoning += r
    }
  }
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: hasText || toolCalls.length === 0 ? text : null,
    refusal: null,
  }
  if (reasoning) message.reasoning_content = reasoning
  if (toolCalls.length) message.tool_calls = toolCalls
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(body?.stopReason) }],
    usage: toOpenAiUsage(body?.usage),
  }
}
