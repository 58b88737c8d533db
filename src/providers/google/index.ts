// The `google` kind (alias `gemini`): the Gemini API behind OpenAI's chat completions and embeddings.
// Bodies are translated both ways by the pure files next to this one; this file owns the HTTP exchange.
// https://ai.google.dev/api (key in the x-goog-api-key header, never in the URL)
import type { ProviderConfig } from '../../config/schema'
import { GatewayError } from '../../core/errors'
import { translateStream } from '../../sse/translate'
import { joinUrl } from '../openai'
import { type Provider, type ProviderKind, type UpstreamCall, upstreamHeaders } from '../provider'
import { fromGeminiEmbedResponse, toGeminiEmbedRequest } from './embeddings'
import { fromGeminiError, retryAfterOf } from './errors'
import { listGoogleModels } from './models'
import { toGeminiRequest } from './request'
import { fromGeminiResponse } from './response'
import { GeminiStreamTranslator } from './stream'

export const GOOGLE_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta'

export const googleKind: ProviderKind = {
  normalize: (config) => ({ ...config, base_url: config.base_url ?? GOOGLE_BASE_URL }),
  check: (config) =>
    config.api_key
      ? undefined
      : { field: 'api_key', problem: `is required for kind "${config.kind}"`, fix: 'api_key = "${GEMINI_API_KEY}"' },
  create: createGoogle,
  listModels: listGoogleModels,
}

// --- internal ---

const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = { 'content-type': 'text/event-stream' }
const METHODS = {
  chat: 'generateContent',
  stream: 'streamGenerateContent?alt=sse',
  embeddings: 'batchEmbedContents',
} as const

function createGoogle(name: string, config: ProviderConfig): Provider {
  const base = config.base_url ?? GOOGLE_BASE_URL
  const headers = {
    'x-goog-api-key': config.api_key ?? '',
    'content-type': 'application/json',
    'accept-encoding': 'identity',
  }
  const headersStream = { ...headers, accept: 'text/event-stream' }
  // H5: one URL per (method, model), built on first use and kept.
  const urls = new Map<string, string>()
  const urlOf = (method: keyof typeof METHODS, model: string) => {
    const key = `${method} ${model}`
    let url = urls.get(key)
    if (url === undefined) {
      url = joinUrl(base, `models/${encodeURIComponent(model.replace(/^models\//, ''))}:${METHODS[method]}`)
      urls.set(key, url)
    }
    return url
  }
  const post = (url: string, body: unknown, call: UpstreamCall) =>
    fetch(url, {
      method: 'POST',
      headers: upstreamHeaders(call.stream ? headersStream : headers, call),
      body: JSON.stringify(body),
      signal: call.signal,
    })

  return {
    name,
    kind: config.kind,
    async send(call) {
      try {
        if (call.endpoint === 'embeddings') {
          const request = toGeminiEmbedRequest(call.json, call.model.replace(/^models\//, ''))
          const response = await post(urlOf('embeddings', call.model), request, call)
          if (!response.ok) return upstreamError(response)
          const body = await readJson(response)
          if (body instanceof Response) return body
          return Response.json(fromGeminiEmbedResponse(body, call.model, call.json.encoding_format === 'base64'), {
            headers: JSON_HEADERS,
          })
        }
        if (call.endpoint !== 'chat')
          return new GatewayError(
            400,
            'invalid_request_error',
            'unsupported_endpoint',
            `Provider '${name}' (Gemini) serves chat completions and embeddings only.`,
          ).toResponse()
        const request = toGeminiRequest(call.json)
        const response = await post(urlOf(call.stream ? 'stream' : 'chat', call.model), request, call)
        if (!response.ok) return upstreamError(response)
        if (call.stream && response.body) {
          const options = call.json.stream_options
          const includeUsage =
            typeof options === 'object' &&
            options !== null &&
            (options as { include_usage?: unknown }).include_usage === true
          const translator = new GeminiStreamTranslator({ model: call.model, includeUsage })
          return new Response(translateStream(response.body, translator), {
            status: response.status,
            headers: SSE_HEADERS,
          })
        }
        const body = await readJson(response)
        if (body instanceof Response) return body
        return Response.json(fromGeminiResponse(body, { model: call.model }), { headers: JSON_HEADERS })
      } catch (err) {
        // A client mistake found while translating: answered, not thrown (only a missing HTTP answer rejects).
        if (err instanceof GatewayError) return err.toResponse()
        throw err
      }
    },
  }
}

/** An upstream error in OpenAI's shape, same status; Retry-After kept (or taken from RetryInfo). */
async function upstreamError(response: Response): Promise<Response> {
  const text = await response.text()
  const headers: Record<string, string> = { ...JSON_HEADERS }
  const retryAfter = response.headers.get('retry-after') ?? retryAfterOf(text)
  if (retryAfter) headers['retry-after'] = retryAfter
  return Response.json(fromGeminiError(response.status, text), { status: response.status, headers })
}

/** The success body as JSON; a 2xx that is not JSON becomes a 502 in OpenAI's shape. */
async function readJson(response: Response): Promise<Record<string, unknown> | Response> {
  const text = await response.text()
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json as Record<string, unknown>
  } catch {
    // reported below
  }
  return new GatewayError(
    502,
    'server_error',
    'upstream_invalid_response',
    `Gemini answered HTTP ${response.status} with a body that is not a JSON object.`,
  ).toResponse()
}
