// OpenAI-compatible upstream glue: URLs and header templates computed once per provider (H5),
// and the one fetch that sends the client's bytes. Shared by openai, custom, ollama and azure.
import { type Endpoint, type Provider, type UpstreamCall, upstreamHeaders } from '../provider'

/** The family serves every endpoint, OpenAI's media endpoints (images, audio) included. */
const ALL_ENDPOINTS: ReadonlySet<Endpoint> = new Set<Endpoint>([
  'chat',
  'embeddings',
  'messages',
  'images',
  'speech',
  'transcriptions',
  'translations',
])

export interface OpenAiUpstreamOptions {
  name: string
  kind: string
  /** Full URL for an endpoint and model; computed once per (endpoint, model) and cached. */
  url(endpoint: UpstreamCall['endpoint'], model: string): string
  /** Credentials and fixed headers; the client's headers never reach the upstream. */
  headers: Record<string, string>
}

/** Builds a provider that forwards bytes to an OpenAI-shaped HTTP API. */
export function openAiUpstream(options: OpenAiUpstreamOptions): Provider {
  const urls = new Map<string, string>()
  const headers = { 'content-type': 'application/json', 'accept-encoding': 'identity', ...options.headers }
  const headersStream = { ...headers, accept: 'text/event-stream' }
  return {
    name: options.name,
    kind: options.kind,
    endpoints: ALL_ENDPOINTS,
    send(call) {
      const cacheKey = `${call.endpoint} ${call.model}`
      let url = urls.get(cacheKey)
      if (url === undefined) {
        url = options.url(call.endpoint, call.model)
        urls.set(cacheKey, url)
      }
      const base = call.stream ? headersStream : headers
      return fetch(url, {
        method: 'POST',
        // A multipart body goes with its own content type (its boundary), as the client sent it.
        headers: upstreamHeaders(call.contentType ? { ...base, 'content-type': call.contentType } : base, call),
        body: call.body,
        signal: call.signal,
      })
    },
  }
}

/** Joins a base URL and a path with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}

// `messages` is never sent to this family: /v1/messages translates to chat for it (src/messages).
export const OPENAI_PATHS: Record<Endpoint, string> = {
  chat: 'chat/completions',
  embeddings: 'embeddings',
  messages: 'messages',
  images: 'images/generations',
  speech: 'audio/speech',
  transcriptions: 'audio/transcriptions',
  translations: 'audio/translations',
}
