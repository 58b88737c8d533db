// /v1/messages served by a provider's chat handler: the Messages request is translated to chat
// completions (src/anthropic-messages), sent through the provider's own chat handler (a passthrough, or
// another translation: Messages → chat → Gemini), and its answer (JSON, SSE, errors) translated back
// into Messages. Every kind without a native /v1/messages gets this handler (providers/index.ts).
import { ChatStreamTranslator, fromChatError, fromChatResponse, toChatRequest } from '../anthropic-messages'
import type { JsonObject } from '../core/json'
import { type Translation, translatingHandler } from './exchange'
import type { Handler } from './provider'

const MESSAGES_VIA_CHAT: Translation = {
  format: 'anthropic',
  answer: 'a chat completion',
  toRequest: (call) => toChatRequest(call.json),
  fromResponse: (completion, meta) => fromChatResponse(completion, meta.model),
  streamTranslator: (meta) => new ChatStreamTranslator(meta.model, meta.maxEventSize),
  fromError: (status, text) => fromChatError(status, text),
}

export function messagesViaChat(provider: string, chat: Handler): Handler {
  return translatingHandler(provider, MESSAGES_VIA_CHAT, (call, body, request) =>
    chat({ ...call, endpoint: 'chat', body, json: request as JsonObject }),
  )
}
