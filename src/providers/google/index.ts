// The `google` kind (alias `gemini`): the Gemini API behind OpenAI's chat completions and embeddings,
// each a translation through the one exchange (request.ts, response.ts, stream.ts, errors.ts,
// embeddings.ts); /v1/messages/count_tokens through models.countTokens (count-tokens.ts).
// https://ai.google.dev/api (key in the x-goog-api-key header, never in the URL)
import type { ProviderConfig } from '../../config/schema'
import { type Translation, translatingHandler } from '../exchange'
import { type HttpTarget, joinUrl, postUpstream, urlCache } from '../http'
import type { Handlers, ProviderKind, UpstreamCall } from '../provider'
import { googleCountTokens } from './count-tokens'
import { fromGeminiEmbedResponse, toGeminiEmbedRequest } from './embeddings'
import { fromGeminiError, retryAfterOf } from './errors'
import { listGoogleModels } from './models'
import { toGeminiRequest } from './request'
import { fromGeminiResponse } from './response'
import { GeminiStreamTranslator } from './stream'

export const GOOGLE_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta'

export const googleKind: ProviderKind = {
  translatesChat: true,
  normalize: (config) => ({ ...config, base_url: config.base_url ?? GOOGLE_BASE_URL }),
  check: (config) =>
    config.api_key
      ? undefined
      : { field: 'api_key', problem: `is required for kind "${config.kind}"`, fix: 'api_key = "${GEMINI_API_KEY}"' },
  create: createGoogle,
  listModels: listGoogleModels,
}

// --- internal ---

const fromError = (status: number, text: string) => fromGeminiError(status, text)

/** OpenAI chat completions ⇄ generateContent / streamGenerateContent. */
const CHAT: Translation = {
  format: 'openai',
  answer: 'a Gemini response',
  toRequest: (call) => toGeminiRequest(call.json, { model: bareModel(call.model) }),
  fromResponse: (json, meta) => fromGeminiResponse(json, { model: meta.model }),
  streamTranslator: (meta) =>
    new GeminiStreamTranslator({ model: meta.model, includeUsage: meta.includeUsage, maxEventSize: meta.maxEventSize }),
  fromError,
  retryAfterOf,
}

/** OpenAI embeddings ⇄ batchEmbedContents. */
const EMBEDDINGS: Translation = {
  format: 'openai',
  answer: 'a Gemini embedding list',
  toRequest: (call) => toGeminiEmbedRequest(call.json, bareModel(call.model)),
  fromResponse: (json, meta) => fromGeminiEmbedResponse(json, meta.model, meta.request.encoding_format === 'base64'),
  fromError,
  retryAfterOf,
}

const METHODS = {
  chat: 'generateContent',
  stream: 'streamGenerateContent?alt=sse',
  embeddings: 'batchEmbedContents',
} as const

function createGoogle(name: string, config: ProviderConfig): Handlers {
  const base = config.base_url ?? GOOGLE_BASE_URL
  const headers = {
    'x-goog-api-key': config.api_key ?? '',
    'content-type': 'application/json',
    'accept-encoding': 'identity',
  }
  const streamHeaders = { ...headers, accept: 'text/event-stream' }
  const target: HttpTarget = {
    url: urlCache((endpoint, model, stream) => {
      const method = endpoint === 'embeddings' ? METHODS.embeddings : stream ? METHODS.stream : METHODS.chat
      return joinUrl(base, `models/${encodeURIComponent(bareModel(model))}:${method}`)
    }),
    headers: (call) => (call.stream ? streamHeaders : headers),
  }
  const send = (call: UpstreamCall, body: Uint8Array) => postUpstream(target, call, body)
  return {
    chat: translatingHandler(name, CHAT, send),
    embeddings: translatingHandler(name, EMBEDDINGS, send),
    count_tokens: googleCountTokens(name, base, headers),
  }
}

/** A model named with Gemini's resource prefix (`models/gemini-2.5-flash`) without it. */
function bareModel(model: string): string {
  return model.replace(/^models\//, '')
}
