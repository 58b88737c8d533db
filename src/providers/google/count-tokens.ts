// POST /v1/messages/count_tokens on a google deployment: the Messages request is translated as
// /v1/messages reaches Gemini (Messages → chat, src/anthropic-messages; chat → generateContent,
// request.ts) and counted whole by models.countTokens (its `generateContentRequest`: contents, system
// instruction, tools). Answered `{"input_tokens": totalTokens}`; Gemini's errors in Anthropic's shape.
// https://ai.google.dev/api/tokens#method:-models.counttokens
import { anthropicErrorBody, toChatRequest } from '../../anthropic-messages'
import type { JsonObject } from '../../core/json'
import { type Translation, translatingHandler } from '../exchange'
import { type HttpTarget, joinUrl, postUpstream, urlCache } from '../http'
import type { Handler, UpstreamCall } from '../provider'
import { fromGeminiError, retryAfterOf } from './errors'
import { toGeminiRequest } from './request'

/** The countTokens body for a Messages request (without max_tokens), to count it for `model`. */
export function toGeminiCountRequest(json: Readonly<JsonObject>, model: string): JsonObject {
  const { stream: _stream, ...body } = json
  // The output settings (max_tokens, temperature, …) count nothing: only what the model reads is sent.
  const { contents, systemInstruction, tools, toolConfig } = toGeminiRequest(toChatRequest({ ...body, max_tokens: 1 }))
  const request: JsonObject = { model: `models/${bareModel(model)}`, contents }
  if (systemInstruction) request.systemInstruction = systemInstruction
  if (tools) request.tools = tools
  if (toolConfig) request.toolConfig = toolConfig
  return { generateContentRequest: request }
}

/** `{"totalTokens": N, …}` → `{"input_tokens": N}`; undefined for anything else. */
export function fromGeminiCountResponse(json: JsonObject): { input_tokens: number } | undefined {
  const total = json.totalTokens
  return typeof total === 'number' && Number.isInteger(total) && total >= 0 ? { input_tokens: total } : undefined
}

/** The count_tokens handler of a google provider at `baseUrl` with its request headers. */
export function googleCountTokens(
  provider: string,
  baseUrl: string,
  headers: Readonly<Record<string, string>>,
): Handler {
  const target: HttpTarget = {
    url: urlCache((_endpoint, model) => joinUrl(baseUrl, `models/${encodeURIComponent(bareModel(model))}:countTokens`)),
    headers: () => headers,
  }
  return translatingHandler(provider, COUNT_TOKENS, (call: UpstreamCall, body) => postUpstream(target, call, body))
}

// --- internal ---

/** Messages' count_tokens ⇄ models.countTokens; errors as /v1/messages through Gemini gives them, in Anthropic's shape. */
const COUNT_TOKENS: Translation = {
  format: 'anthropic',
  answer: 'a Gemini token count',
  toRequest: (call) => toGeminiCountRequest(call.json, call.model),
  fromResponse: fromGeminiCountResponse,
  fromError: (status, text) => anthropicErrorBody(status, fromGeminiError(status, text).error.message),
  retryAfterOf,
}

/** A model named with Gemini's resource prefix (`models/gemini-2.5-flash`) without it (as index.ts). */
function bareModel(model: string): string {
  return model.replace(/^models\//, '')
}
