// Gemini GenerateContentResponse → OpenAI chat.completion (pure), and the pieces the stream
// translator shares: finish reasons, tool calls, reasoning, usage.
// Gemini: https://ai.google.dev/api/generate-content#generatecontentresponse
// OpenAI: https://platform.openai.com/docs/api-reference/chat/object
//
// Reasoning, in the conventions of core/reasoning.ts: thought parts (`thought: true`) are never answer
// text; their text is `reasoning_content`. Signatures (https://ai.google.dev/gemini-api/docs/thought-signatures):
//   - on a functionCall part: in the tool call's id (thought-signature.ts) and in
//     `extra_content.google.thought_signature`;
//   - on a thought part: a `thinking_blocks` entry {type:'thinking', thinking: the thought text since the
//     last signed thought part, signature};
//   - on an answer text part (Gemini signs the last part of an answer without calls): an entry with
//     `thinking: ''`. request.ts puts each back where it came from.
import { isObject } from '../../core/json'
import type { ThinkingBlock } from '../../core/reasoning'
import type {
  ChatCompletion as OpenAiChatCompletion,
  FinishReason as OpenAiFinishReason,
  ToolCall as OpenAiToolCallBase,
  Usage as OpenAiUsageBase,
} from '../../wire/chat'
import { toolCallIdWith, usableGeminiId } from './thought-signature'
import type { GeminiCandidate, GeminiPart, GeminiResponse, GeminiUsageMetadata } from './types'

export interface FromGeminiOptions {
  /** The model name the client asked for (after alias resolution). */
  model: string
  /** Unix seconds; now by default. */
  created?: number
  /** Makes tool call ids (before any signature suffix); `call_<random>` by default (tests pass a counter). */
  toolCallId?: () => string
}

export interface OpenAiToolCall extends OpenAiToolCallBase {
  type: 'function'
  function: { name: string; arguments: string }
  /** Google's OpenAI-compatible layer carries a thought signature here (our id carries it too). */
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
  /** The thought summaries' text. */
  reasoning_content?: string
  /** The signatures of thought and answer parts, for the next turn. */
  thinking_blocks?: ThinkingBlock[]
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
    const reasoning = reasoningOf(parts)
    const blocks = thinkingBlocksOf(parts)
    const toolCalls = toolCallsOf(parts, nextId)
    return {
      index: indexOf(candidate, position),
      message: {
        role: 'assistant',
        content: text || (toolCalls.length ? null : ''),
        refusal: null,
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        ...(blocks.length ? { thinking_blocks: blocks } : {}),
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

/** The thought summaries' text: thought parts joined. */
export function reasoningOf(parts: GeminiPart[]): string {
  let text = ''
  for (const part of parts) if (typeof part.text === 'string' && part.thought === true) text += part.text
  return text
}

/**
 * The signatures of the parts that are not function calls, as thinking blocks: a signed thought part
 * closes a block holding the thought text since the previous one; a signed answer part is a block
 * without text.
 */
export function thinkingBlocksOf(parts: GeminiPart[]): ThinkingBlock[] {
  const blocks: ThinkingBlock[] = []
  let thought = ''
  for (const part of parts) {
    if (part.functionCall !== undefined) continue
    const isThought = part.thought === true
    if (isThought && typeof part.text === 'string') thought += part.text
    const signature = signatureOf(part)
    if (signature === undefined) continue
    blocks.push({ type: 'thinking', thinking: isThought ? thought : '', signature })
    if (isThought) thought = ''
  }
  return blocks
}

/** The signature of a part, when it has a non-empty one. */
export function signatureOf(part: GeminiPart): string | undefined {
  return typeof part.thoughtSignature === 'string' && part.thoughtSignature ? part.thoughtSignature : undefined
}

/**
 * functionCall parts → OpenAI tool calls (arguments as a JSON string). The id is Gemini's when it has a
 * usable one, else made; a signed call's id carries its signature (thought-signature.ts).
 */
export function toolCallsOf(parts: GeminiPart[], nextId: () => string): OpenAiToolCall[] {
  const calls: OpenAiToolCall[] = []
  for (const part of parts) {
    const call: unknown = part.functionCall
    if (!isObject(call) || typeof call.name !== 'string') continue
    const signature = signatureOf(part)
    const out: OpenAiToolCall = {
      id: toolCallIdWith(usableGeminiId(call.id) ? call.id : nextId(), signature),
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
    }
    if (signature !== undefined) out.extra_content = { google: { thought_signature: signature } }
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
