// The OpenAI-compatible family: `openai`, `ollama`, and any unknown kind with a base_url (custom); azure
// reuses its handlers with its own URLs and key header. Every endpoint is a passthrough: requests go
// upstream as the client's bytes, answers come back as they are. /v1/messages reaches the family
// through chat (providers/messages-via-chat.ts); /v1/responses goes through as bytes to openai and azure, and
// to a custom provider with `responses = true` (else through chat, providers/responses-via-chat.ts).
import type { ProviderConfig } from '../../config/schema'
import type { Endpoint } from '../../core/endpoint'
import { joinUrl, urlCache } from '../http'
import { passthroughHandler } from '../passthrough'
import type { Handlers, ProviderKind } from '../provider'
import { listOpenAiModels } from './models'

export const OPENAI_BASE_URL = 'https://api.openai.com/v1'
export const OLLAMA_BASE_URL = 'http://localhost:11434/v1'

/**
 * crabllm's built-in OpenAI-compatible kinds and their OpenAI base URLs (crabllm providers
 * src/provider/compat.rs): here they are custom providers at that URL (/v1/messages reaches them
 * through chat instead of their own Anthropic endpoint).
 */
export const COMPAT_BASE_URLS: Readonly<Record<string, string>> = {
  deepseek: 'https://api.deepseek.com/v1',
  zai: 'https://api.z.ai/api/paas/v4',
  qwen: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
  minimax: 'https://api.minimax.io/v1',
  kimi: 'https://api.moonshot.ai/v1',
}

/** Whether a base URL is OpenAI's own API (where a key is required). */
export function isOpenAiUrl(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname === 'api.openai.com'
  } catch {
    return false
  }
}

/** The path of each endpoint the family serves, under the base URL. */
export const OPENAI_PATHS: Readonly<Record<Exclude<Endpoint, 'messages' | 'count_tokens'>, string>> = {
  chat: 'chat/completions',
  embeddings: 'embeddings',
  responses: 'responses',
  images: 'images/generations',
  speech: 'audio/speech',
  transcriptions: 'audio/transcriptions',
  translations: 'audio/translations',
}

/**
 * The family's handlers: one passthrough for every endpoint, `url` built once per (endpoint, model),
 * the header sets built once (H5). `credentials` are the only headers a kind adds.
 */
export function openAiHandlers(
  url: (endpoint: keyof typeof OPENAI_PATHS, model: string) => string,
  credentials: Readonly<Record<string, string>>,
  responses: boolean,
): Handlers {
  const headers = { 'content-type': 'application/json', 'accept-encoding': 'identity', ...credentials }
  const streamHeaders = { ...headers, accept: 'text/event-stream' }
  const handler = passthroughHandler({
    url: urlCache((endpoint, model) => url(endpoint as keyof typeof OPENAI_PATHS, model)),
    headers: (call) => (call.stream ? streamHeaders : headers),
  })
  return {
    chat: handler,
    embeddings: handler,
    ...(responses ? { responses: handler } : {}),
    images: handler,
    speech: handler,
    transcriptions: handler,
    translations: handler,
  }
}

function createOpenAiCompatible(_name: string, config: ProviderConfig): Handlers {
  const base = config.base_url!
  return openAiHandlers(
    (endpoint) => joinUrl(base, OPENAI_PATHS[endpoint]),
    config.api_key ? { authorization: `Bearer ${config.api_key}` } : {},
    config.responses === true || config.kind === 'openai',
  )
}

export const openaiKind: ProviderKind = {
  normalize: (config) => ({ ...config, base_url: config.base_url ?? OPENAI_BASE_URL }),
  // OpenAI's API needs a key; an OpenAI-compatible server elsewhere (vLLM, LM Studio) may not, as in crabllm.
  check: (config) =>
    config.api_key || !isOpenAiUrl(config.base_url ?? OPENAI_BASE_URL)
      ? undefined
      : { field: 'api_key', problem: 'is required for kind "openai"', fix: 'api_key = "${OPENAI_API_KEY}"' },
  create: createOpenAiCompatible,
  listModels: listOpenAiModels,
}

export const ollamaKind: ProviderKind = {
  normalize: (config) => ({ ...config, base_url: config.base_url ?? OLLAMA_BASE_URL }),
  create: createOpenAiCompatible,
  listModels: listOpenAiModels,
}

/** Any kind the gateway does not know, served over the OpenAI protocol at `base_url`. */
export const customKind: ProviderKind = {
  normalize: (config) =>
    config.base_url || !Object.hasOwn(COMPAT_BASE_URLS, config.kind)
      ? config
      : { ...config, base_url: COMPAT_BASE_URLS[config.kind] },
  check: (config) =>
    config.base_url
      ? undefined
      : config.kind === 'llamacpp'
        ? {
            field: 'kind',
            problem: 'crabllm\'s "llamacpp" kind starts a local llama.cpp server; this gateway starts none',
            fix: 'run llama-server yourself and serve it as kind = "openai" with base_url = "http://127.0.0.1:8080/v1"',
          }
        : {
            field: 'kind',
            problem: `unknown provider kind "${config.kind}"`,
            fix: 'use a known kind, or set base_url to serve it as an OpenAI-compatible custom provider',
          },
  create: createOpenAiCompatible,
  listModels: listOpenAiModels,
}
