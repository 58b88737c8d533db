// Anthropic: OpenAI chat completions are translated to the Messages API and back (request.ts,
// response.ts, stream.ts, errors.ts); /v1/messages calls go upstream as the client's own bytes and
// come back untouched. Embeddings do not exist on Anthropic.
// https://docs.anthropic.com/en/api/messages
import type { ProviderConfig } from '../../config/schema'
import { unsupportedEndpoint } from '../../core/errors'
import { translateStream } from '../../sse/translate'
import { joinUrl } from '../openai'
import { type Provider, type ProviderKind, type UpstreamCall, upstreamHeaders } from '../provider'
import { toOpenAiError } from './errors'
import { listAnthropicModels } from './models'
import { toMessagesRequest } from './request'
import { isMessage, toChatCompletion } from './response'
import { AnthropicChatStream } from './stream'

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1'
export const ANTHROPIC_VERSION = '2023-06-01'

const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = { 'content-type': 'text/event-stream' }
/** Headers an error answer keeps: dispatch reads them to wait before a retry. */
const RETRY_HEADERS = ['retry-after', 'retry-after-ms'] as const

export const anthropicKind: ProviderKind = {
  normalize: (config) => ({ ...config, base_url: config.base_url ?? ANTHROPIC_BASE_URL }),
  check: (config) =>
    config.api_key
      ? undefined
      : { field: 'api_key', problem: 'is required for kind "anthropic"', fix: 'api_key = "${ANTHROPIC_API_KEY}"' },
  create: createAnthropic,
  listModels: listAnthropicModels,
}

function createAnthropic(name: string, config: ProviderConfig): Provider {
  const url = joinUrl(config.base_url ?? ANTHROPIC_BASE_URL, 'messages')
  const headers: Record<string, string> = {
    'x-api-key': config.api_key ?? '',
    'anthropic-version': ANTHROPIC_VERSION,
    'content-type': 'application/json',
    'accept-encoding': 'identity',
  }
  const headersStream = { ...headers, accept: 'text/event-stream' }
  const encoder = new TextEncoder()

  async function chat(call: UpstreamCall): Promise<Response> {
    const translated = toMessagesRequest(call.json, call.model)
    if (!translated.ok) {
      const { message, param, code } = translated.problem
      return jsonResponse(400, { error: { message, type: 'invalid_request_error', param, code } })
    }
    const stream = translated.request.stream === true
    const upstream = await fetch(url, {
      method: 'POST',
      headers: upstreamHeaders(stream ? headersStream : headers, call),
      body: encoder.encode(JSON.stringify(translated.request)),
      signal: call.signal,
    })
    const created = Math.floor(Date.now() / 1000)
    if (!upstream.ok) return errorResponse(upstream)
    const contentType = upstream.headers.get('content-type') ?? ''
    if (stream && upstream.body && contentType.includes('text/event-stream')) {
      const options = call.json.stream_options as { include_usage?: unknown } | null | undefined
      const translator = new AnthropicChatStream({
        includeUsage: options?.include_usage === true,
        created,
        model: call.model,
      })
      return new Response(translateStream(upstream.body, translator), { status: upstream.status, headers: SSE_HEADERS })
    }
    const text = await upstream.text()
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      message = undefined
    }
    if (!isMessage(message)) {
      const detail = text.trim().slice(0, 200)
      const message = `Provider '${name}' answered with something that is not an Anthropic message: ${detail}`
      return jsonResponse(502, { error: { message, type: 'server_error', param: null, code: 'bad_upstream_response' } })
    }
    return jsonResponse(upstream.status, toChatCompletion(message, created))
  }

  function messages(call: UpstreamCall): Promise<Response> {
    const base = call.stream ? headersStream : headers
    const version = call.clientHeaders?.['anthropic-version']
    const beta = call.clientHeaders?.['anthropic-beta']
    // The client's anthropic-version wins over ours; anthropic-beta opts into features we do not know.
    const outbound =
      version || beta
        ? { ...base, ...(version && { 'anthropic-version': version }), ...(beta && { 'anthropic-beta': beta }) }
        : base
    return fetch(url, {
      method: 'POST',
      headers: upstreamHeaders(outbound, call),
      body: call.body,
      signal: call.signal,
    })
  }

  return {
    name,
    kind: 'anthropic',
    send(call) {
      if (call.endpoint === 'chat') return chat(call)
      if (call.endpoint === 'messages') return messages(call)
      return Promise.resolve(unsupportedEndpoint(name, 'anthropic', call.endpoint).toResponse())
    },
  }
}

// --- internal ---

function jsonResponse(status: number, body: unknown, extra?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS })
}

async function errorResponse(upstream: Response): Promise<Response> {
  const extra: Record<string, string> = {}
  for (const name of RETRY_HEADERS) {
    const value = upstream.headers.get(name)
    if (value !== null) extra[name] = value
  }
  return jsonResponse(upstream.status, toOpenAiError(upstream.status, await upstream.text()), extra)
}
