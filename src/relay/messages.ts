// POST /v1/messages as a relay Surface. Anthropic-kind deployments take the client's Messages bytes as
// they are (the provider forwards them); every other deployment speaks OpenAI, so its calls go through
// `viaChat`: Messages → chat completions on the way out, the answer (JSON, SSE, errors) back into
// Messages on the way in. Errors use Anthropic's shape.
import type { Provider, UpstreamCall } from '../providers'
import type { Deployment } from '../routing/registry'
import { UpstreamHttpError } from '../core/upstream-error'
import type { GatewayError } from '../core/errors'
import type { Surface } from './relay'
import { translateStream } from '../sse/translate'
import { anthropicErrorBody, anthropicErrorFrame, fromOpenAiError } from '../anthropic-messages/errors'
import { messagesToChat } from '../anthropic-messages/request'
import { chatToMessage } from '../anthropic-messages/response'
import { ChatToMessagesStream } from '../anthropic-messages/stream'

const encoder = new TextEncoder()
const JSON_HEADERS = { 'content-type': 'application/json' }
/** Client headers Anthropic's API reads that are not credentials. */
const FORWARDED = ['anthropic-version', 'anthropic-beta'] as const

export const MESSAGES: Surface = {
  path: '/v1/messages',
  endpoint: 'messages',
  streams: true,
  deployments: adaptDeployments,
  clientHeaders(request) {
    let out: Record<string, string> | undefined
    for (const name of FORWARDED) {
      const value = request.headers.get(name)
      if (value) (out ??= {})[name] = value
    }
    return out
  },
  errorResponse(error: GatewayError, headers) {
    // An upstream's own error is already in Anthropic's shape (native, or converted by viaChat).
    if (error instanceof UpstreamHttpError) return error.toResponse(headers)
    return new Response(JSON.stringify(anthropicErrorBody(error.status, error.message)), {
      status: error.status,
      headers: { ...JSON_HEADERS, ...error.headers, ...headers },
    })
  },
  streamFailure: (provider, detail) => ({
    toSseFrame: () => anthropicErrorFrame('api_error', `The stream from provider '${provider}' failed: ${detail}`),
  }),
  isStreamEnd: endsWithMessageStop,
  streamEndName: 'message_stop',
}

// --- internal ---

const adapted = new WeakMap<readonly Deployment[], readonly Deployment[]>()
const wrapped = new WeakMap<Provider, Provider>()

/** The list as /v1/messages calls it; computed once per registry list, not per request (H5). */
function adaptDeployments(list: readonly Deployment[]): readonly Deployment[] {
  let out = adapted.get(list)
  if (!out) {
    out = list.map((d) => (d.provider.kind === 'anthropic' ? d : { ...d, provider: viaChatOnce(d.provider) }))
    adapted.set(list, out)
  }
  return out
}

function viaChatOnce(provider: Provider): Provider {
  let out = wrapped.get(provider)
  if (!out) wrapped.set(provider, (out = viaChat(provider)))
  return out
}

/** An OpenAI-format provider behind a Messages front. */
function viaChat(provider: Provider): Provider {
  return {
    name: provider.name,
    kind: provider.kind,
    async send(call: UpstreamCall): Promise<Response> {
      const translated = messagesToChat(call.json as Record<string, unknown>)
      if (!translated.ok) {
        const body = anthropicErrorBody(
          400,
          translated.param ? `${translated.param}: ${translated.message}` : translated.message,
        )
        return new Response(JSON.stringify(body), { status: 400, headers: JSON_HEADERS })
      }
      const chat = translated.chat
      const response = await provider.send({
        ...call,
        endpoint: 'chat',
        body: encoder.encode(JSON.stringify(chat)),
        json: chat,
      })
      if (!response.ok) {
        const bytes = new Uint8Array(await response.arrayBuffer())
        const headers: Record<string, string> = { ...JSON_HEADERS }
        for (const name of ['retry-after', 'retry-after-ms']) {
          const value = response.headers.get(name)
          if (value) headers[name] = value
        }
        return new Response(JSON.stringify(fromOpenAiError(response.status, bytes)), {
          status: response.status,
          headers,
        })
      }
      const type = response.headers.get('content-type') ?? ''
      if (call.stream && response.body && type.includes('text/event-stream')) {
        return new Response(translateStream(response.body, new ChatToMessagesStream(call.model)), {
          status: response.status,
          headers: { 'content-type': 'text/event-stream' },
        })
      }
      const text = await response.text()
      let completion: unknown
      try {
        completion = JSON.parse(text)
      } catch {
        completion = undefined
      }
      // A 2xx that is not a JSON object is the upstream's fault, said as such (it read as "could not reach").
      if (typeof completion !== 'object' || completion === null || Array.isArray(completion)) {
        const message = `Provider '${provider.name}' answered with something that is not a chat completion: ${text.trim().slice(0, 200)}`
        return new Response(JSON.stringify(anthropicErrorBody(502, message)), { status: 502, headers: JSON_HEADERS })
      }
      return new Response(JSON.stringify(chatToMessage(completion, call.model)), {
        status: response.status,
        headers: JSON_HEADERS,
      })
    },
  }
}

const MESSAGE_STOP = encoder.encode('message_stop')

/** True when the last event in these whole events is Anthropic's message_stop. */
function endsWithMessageStop(bytes: Uint8Array): boolean {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--
  // The last event starts after the previous blank line.
  let start = end - 1
  while (
    start > 0 &&
    !(bytes[start] === 10 && (bytes[start - 1] === 10 || (bytes[start - 1] === 13 && bytes[start - 2] === 10)))
  )
    start--
  return indexOf(bytes.subarray(start, end), MESSAGE_STOP) !== -1
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}
