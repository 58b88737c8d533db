// POST /v1/messages/count_tokens on a bedrock deployment: the Messages request is translated as
// /v1/messages reaches Bedrock (Messages → chat, src/anthropic-messages; chat → Converse, request.ts)
// and counted by the CountTokens API, SigV4-signed like the kind's other calls: POST
// /model/{modelId}/count-tokens with `{"input":{"converse":{messages, system, toolConfig}}}`, answered
// `{"inputTokens": N}` → `{"input_tokens": N}`; Bedrock's errors in Anthropic's shape.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
import { anthropicErrorBody, toChatRequest } from '../../anthropic-messages'
import type { JsonObject } from '../../core/json'
import { type Translation, translatingHandler } from '../exchange'
import { type HttpTarget, postUpstream, urlCache } from '../http'
import type { Handler } from '../provider'
import { fromBedrockError } from './errors'
import { type ConverseRequest, toBedrockRequest } from './request'
import type { Signer } from './sign'

/** The CountTokens body for a Messages request (without max_tokens). */
export function toBedrockCountRequest(json: Readonly<JsonObject>): {
  input: { converse: Pick<ConverseRequest, 'messages' | 'system' | 'toolConfig'> }
} {
  const { stream: _stream, ...body } = json
  // inferenceConfig (max_tokens, temperature, …) counts nothing: only what the model reads is sent.
  const { messages, system, toolConfig } = toBedrockRequest(toChatRequest({ ...body, max_tokens: 1 }))
  const converse: Pick<ConverseRequest, 'messages' | 'system' | 'toolConfig'> = { messages }
  if (system) converse.system = system
  if (toolConfig) converse.toolConfig = toolConfig
  return { input: { converse } }
}

/** `{"inputTokens": N}` → `{"input_tokens": N}`; undefined for anything else. */
export function fromBedrockCountResponse(json: JsonObject): { input_tokens: number } | undefined {
  const tokens = json.inputTokens
  return typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= 0 ? { input_tokens: tokens } : undefined
}

/** The count_tokens handler of a bedrock provider at `baseUrl` (no trailing slash), signing with `signer`. */
export function bedrockCountTokens(provider: string, baseUrl: string, signer: Signer): Handler {
  const target: HttpTarget = {
    url: urlCache((_endpoint, model) => `${baseUrl}/model/${encodeURIComponent(model)}/count-tokens`),
    headers: () => HEADERS,
    sign: (request) => signer.sign({ method: 'POST', ...request }),
  }
  return translatingHandler(provider, COUNT_TOKENS, (call, body) => postUpstream(target, call, body))
}

// --- internal ---

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' }

/** Messages' count_tokens ⇄ CountTokens; errors as Bedrock names them, in Anthropic's shape. */
const COUNT_TOKENS: Translation = {
  format: 'anthropic',
  answer: 'a Bedrock token count',
  toRequest: (call) => toBedrockCountRequest(call.json),
  fromResponse: fromBedrockCountResponse,
  fromError: (status, text, headers) =>
    anthropicErrorBody(status, fromBedrockError(status, text, headers).error.message),
}
