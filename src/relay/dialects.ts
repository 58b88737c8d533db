// The dialects a surface speaks to its client: OpenAI's (the error object, `data: {"error":…}` in-band,
// `data: [DONE]` at the end), OpenAI's Responses API on /v1/responses (the same error object; in-band an
// `event: error` frame; the stream ends with response.completed, .incomplete or .failed) and
// Anthropic's on /v1/messages (`{"type":"error",…}`, `event: error` in-band, `message_stop` at the end).
// One object each, read from the surface table.
// https://platform.openai.com/docs/guides/error-codes · https://docs.anthropic.com/en/api/errors
// https://platform.openai.com/docs/api-reference/responses-streaming/error
import { anthropicErrorBody, anthropicErrorFrame } from '../anthropic-messages/errors'
import { type GatewayError, upstreamStreamFailed } from '../core/errors'
import { UpstreamHttpError } from '../core/upstream-error'
import { RESPONSE_END_EVENTS } from '../responses-api'
import { endsWithDone, endsWithEvent, namedFrame } from '../sse'
import type { Surface } from './surfaces'

export interface Dialect {
  /** The error as the client's SDK expects it; an upstream's own error in this dialect goes as it came. */
  errorResponse(error: GatewayError, headers: Record<string, string>): Response
  /** The in-band frame that ends a stream that failed after it started. */
  streamFailure(provider: string, detail: string): { toSseFrame(): string }
  /** True when these whole events end the stream. */
  isStreamEnd(events: Uint8Array): boolean
  /** The end marker's name, for the message of a stream that stopped before it. */
  readonly streamEndName: string
}

const OPENAI: Dialect = {
  errorResponse: (error, headers) => error.toResponse(headers),
  streamFailure: upstreamStreamFailed,
  isStreamEnd: endsWithDone,
  streamEndName: '[DONE]',
}

const JSON_HEADERS = { 'content-type': 'application/json' }
const MESSAGE_STOP = new TextEncoder().encode('message_stop')

const ANTHROPIC: Dialect = {
  errorResponse(error, headers) {
    // An upstream's own error is already in Anthropic's shape (native, or translated through chat).
    if (error instanceof UpstreamHttpError) return error.toResponse(headers)
    return new Response(JSON.stringify(anthropicErrorBody(error.status, error.message)), {
      status: error.status,
      headers: { ...JSON_HEADERS, ...error.headers, ...headers },
    })
  },
  streamFailure: (provider, detail) => ({
    toSseFrame: () => anthropicErrorFrame('api_error', `The stream from provider '${provider}' failed: ${detail}`),
  }),
  isStreamEnd: (events) => endsWithEvent(events, MESSAGE_STOP),
  streamEndName: 'message_stop',
}

const RESPONSE_ENDS = RESPONSE_END_EVENTS.map((type) => `"${type}"`).map((type) => new TextEncoder().encode(type))

const RESPONSES: Dialect = {
  errorResponse: OPENAI.errorResponse,
  streamFailure: (provider, detail) => {
    const error = upstreamStreamFailed(provider, detail)
    // The documented error event; the SDKs raise it as an APIError.
    return {
      toSseFrame: () => namedFrame('error', { type: 'error', code: error.code, message: error.message, param: null }),
    }
  },
  isStreamEnd: (events) => RESPONSE_ENDS.some((end) => endsWithEvent(events, end)),
  streamEndName: 'response.completed',
}

export function dialectOf(surface: Surface): Dialect {
  return surface.dialect === 'anthropic' ? ANTHROPIC : surface.dialect === 'responses' ? RESPONSES : OPENAI
}
