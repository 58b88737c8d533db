// /v1/responses served by a provider's chat handler: the Responses request is translated to chat
// completions (src/responses-api), sent through the provider's own chat handler (a passthrough, or
// another translation: Responses → chat → Anthropic), and its answer (JSON, SSE, errors) translated back
// into the Responses format. Every kind without a native /v1/responses gets this handler
// (providers/index.ts); openai, azure and custom providers with `responses = true` send the bytes through.
import type { JsonObject } from '../core/json'
import { fromChatError, fromChatResponse, ResponsesStreamTranslator, toChatRequest } from '../responses-api'
import { type AnswerMeta, type Translation, translatingHandler } from './exchange'
import type { Handler } from './provider'

const context = (meta: AnswerMeta) => ({ model: meta.model, request: meta.request, created: meta.created })

const RESPONSES_VIA_CHAT: Translation = {
  format: 'openai',
  answer: 'a chat completion',
  toRequest: (call) => toChatRequest(call.json, { model: call.model }),
  fromResponse: (completion, meta) => fromChatResponse(completion, context(meta)),
  streamTranslator: (meta) => new ResponsesStreamTranslator(context(meta), meta.maxEventSize),
  fromError: (status, text) => fromChatError(status, text),
}

export function responsesViaChat(provider: string, chat: Handler): Handler {
  return translatingHandler(provider, RESPONSES_VIA_CHAT, (call, body, request) =>
    chat({ ...call, endpoint: 'chat', body, json: request as JsonObject }),
  )
}
