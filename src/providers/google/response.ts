// Gemini GenerateContentResponse → OpenAI chat.completion (pure), and the pieces the stream
// translator shares: finish reasons, tool calls, usage.
// Gemini: https://ai.google.dev/api/generate-content#generatecontentresponse
// OpenAI: https://platform.openai.com/docs/api-reference/chat/object
import { isObject } from '../../core/json'
import type {
  ChatCompletion as OpenAiChatCompletion,
  FinishReason as OpenAiFinishReason,
  ToolCall as OpenAiToolCallBase,
  Usage as OpenAiUsageBase,
} from '../../wire/chat'
import type { GeminiCandidate, GeminiPart, GeminiResponse, GeminiUsageMetadata } from './types'

export interface FromGeminiOptions {
  /** The model name the client asked for (after alias resolution). */
  model: string
  /** Unix seconds; now by default. */
  created?: number
  /** Makes tool call ids; `call_<random>` by default (tests pass a counter). */
  toolCallId?: () => string
}

export interface OpenAiToolCall extends OpenAiToolCallBase {
  type: 'function'
  function: { name: string; arguments: string }
  /** Google's OpenAI-compatible layer carries a thought signature here; the request side reads it back. */
  extra_content?: { google: { thought_signature: string } }
}

export interface OpenAiUsage extends OpenAiUsageBase {
  prompt_tokens_details?: { cached_tokens: number }
  completion_tokens_details?: { reasoning_tokens: number }
}

/** The reasons a Gemini answer can finish with, in OpenAI's words (function_call is never one). */
export type FinishReason = Exclude<OpenAiFinishReason, 'function_call'>

type OpenAiMessage = OpenAiChatCompletion['choices'][number]['message']

export interface ChatMessage extends OpenAiMessage {
  refusal: string | null
  tool_calls?: OpenAiToolCall[]
}

export interface ChatChoice {
  index: number
  message: ChatMessage
  logprobs: null
  finish_reason: FinishReason
}

export interface ChatCompletion extends OpenAiChatCompletion {
  choices: ChatChoice[]
  usage: OpenAiUsage
}

/**
 * Candidate.FinishReason → OpenAI finish_reason (https://ai.google.dev/api/generate-content#FinishReason).
 * Unlisted values (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, FINISH_REASON_UNSPECIFIED, new ones) → stop.
 */
const FINISH_REASONS: Record<string, FinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
}

/** A finished candidate's reason; a natural stop after function calls is `tool_calls`. */
export function toFinishReason(reason: unknown, hasToolCalls: boolean): FinishReason {
  const mapped =
    (typeof reason === 'string' && Object.hasOwn(FINISH_REASONS, reason) && FINISH_REASONS[reason]) || 'stop'
  return hasToolCalls && mapped === 'stop' ? 'tool_calls' : mapped
}

/**
 * The chat completion for a GenerateContentResponse: one choice per candidate; a prompt blocked before
 * any candidate (promptFeedback.blockReason) is one content_filter choice carrying a refusal.
 */
export function fromGeminiResponse(body: GeminiResponse, options: FromGeminiOptions): ChatCompletion {
  const nextId = options.toolCallId ?? randomToolCallId
  const candidates = candidatesOf(body)
  const choices = candidates.map((candidate, position): ChatChoice => {
    const parts = partsOf(candidate)
    const text = textOf(parts)
    const toolCalls = toolCallsOf(parts, nextId)
    return {
      index: indexOf(candidate, position),
      message: {
        role: 'assistant',
        content: text || (toolCalls.length ? null : ''),
        refusal: null,
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      },
      logprobs: null,
      finish_reason: toFinishReason(candidate.finishReason, toolCalls.length > 0),
    }
  })
  if (choices.length === 0) {
    // No candidate: the prompt itself was blocked (promptFeedback.blockReason), or nothing came back.
    const blocked = blockReasonOf(body)
    choices.push({
      index: 0,
      message: { role: 'assistant', content: blocked ? null : '', refusal: blocked ? blockedMessage(blocked) : null },
      logprobs: null,
      finish_reason: blocked ? 'content_filter' : 'stop',
    })
  }
  return {
    id: completionId(body),
    object: 'chat.completion',
    created: options.created ?? Math.floor(Date.now() / 1000),
    model: options.model,
    choices,
    usage: toUsage(body.usageMetadata),
  }
}

/**
 * usageMetadata → OpenAI usage; thoughts count as completion tokens (they are billed as output). A count
 * that is not a finite, non-negative number reads as absent (0), never as text to concatenate.
 */
export function toUsage(meta: GeminiUsageMetadata | undefined): OpenAiUsage {
  const prompt = (count(meta?.promptTokenCount) ?? 0) + (count(meta?.toolUsePromptTokenCount) ?? 0)
  const thoughts = count(meta?.thoughtsTokenCount)
  const completion = (count(meta?.candidatesTokenCount) ?? 0) + (thoughts ?? 0)
  const usage: OpenAiUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: count(meta?.totalTokenCount) ?? prompt + completion,
  }
  const cached = count(meta?.cachedContentTokenCount)
  if (cached !== undefined) usage.prompt_tokens_details = { cached_tokens: cached }
  if (thoughts !== undefined) usage.completion_tokens_details = { reasoning_tokens: thoughts }
  return usage
}

/** The candidates that are objects (an upstream could send anything in the list). */
export function candidatesOf(body: GeminiResponse): GeminiCandidate[] {
  return Array.isArray(body.candidates) ? body.candidates.filter(isObject) : []
}

/** The candidate's own index when it is a whole number, else its position in the list. */
export function indexOf(candidate: GeminiCandidate, position: number): number {
  return Number.isInteger(candidate.index) && (candidate.index as number) >= 0 ? (candidate.index as number) : position
}

/** promptFeedback.blockReason when it is a non-empty string. */
export function blockReasonOf(body: GeminiResponse): string | undefined {
  const feedback: unknown = body.promptFeedback
  const reason = isObject(feedback) ? feedback.blockReason : undefined
  return typeof reason === 'string' && reason ? reason : undefined
}

/** `chatcmpl-<responseId>` when Gemini gave one, else random. */
export function completionId(body: GeminiResponse): string {
  return `chatcmpl-${typeof body.responseId === 'string' && body.responseId ? body.responseId : crypto.randomUUID().replaceAll('-', '')}`
}

/** The candidate's parts that are objects. */
export function partsOf(candidate: GeminiCandidate): GeminiPart[] {
  const content: unknown = candidate.content
  const parts = isObject(content) ? content.parts : undefined
  return Array.isArray(parts) ? parts.filter(isObject) : []
}

/** The answer text: text parts joined, thought summaries left out. */
export function textOf(parts: GeminiPart[]): string {
  let text = ''
  for (const part of parts) if (typeof part.text === 'string' && part.thought !== true) text += part.text
  return text
}

/** functionCall parts → OpenAI tool calls (arguments as a JSON string). */
export function toolCallsOf(parts: GeminiPart[], nextId: () => string): OpenAiToolCall[] {
  const calls: OpenAiToolCall[] = []
  for (const part of parts) {
    const call: unknown = part.functionCall
    if (!isObject(call) || typeof call.name !== 'string') continue
    const out: OpenAiToolCall = {
      id: typeof call.id === 'string' && call.id ? call.id : nextId(),
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
    }
    if (typeof part.thoughtSignature === 'string')
      out.extra_content = { google: { thought_signature: part.thoughtSignature } }
    calls.push(out)
  }
  return calls
}

export function blockedMessage(reason: string): string {
  return `Gemini blocked the prompt (promptFeedback.blockReason: ${reason}).`
}

export function randomToolCallId(): string {
  return `call_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`
}

// --- internal ---

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}
