// Errors in Anthropic's shape, for `POST /v1/messages`: `{"type":"error","error":{"type","message"}}`,
// and the `event: error` frame for failures after a stream started.
// https://docs.anthropic.com/en/api/errors

import { isObject, type JsonObject, parseObject } from '../core/json'
import { namedFrame } from '../sse'

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error'

export interface AnthropicErrorBody {
  type: 'error'
  error: { type: AnthropicErrorType; message: string }
}

const BY_STATUS: Record<number, AnthropicErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
}

const TYPES = new Set<string>(Object.values(BY_STATUS))

/**
 * Anthropic's documented status → type table (400, 401, 402, 403, 404, 413, 429, 500, 504, 529).
 * Others: 503 (the upstream is unavailable, which Anthropic calls overloaded) → overloaded_error,
 * 502 → api_error; any other 4xx → invalid_request_error (as Anthropic documents), any other → api_error.
 */
export function anthropicErrorType(status: number): AnthropicErrorType {
  return BY_STATUS[status] ?? (status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error')
}

export function anthropicErrorBody(status: number, message: string, type?: AnthropicErrorType): AnthropicErrorBody {
  return { type: 'error', error: { type: type ?? anthropicErrorType(status), message } }
}

const MAX_RAW = 1000

/**
 * An upstream's error answer → Anthropic's shape, keeping its message. Understands OpenAI's
 * `{"error":{"message"}}`, `{"error":"…"}` (Ollama), `{"message"}` and `{"detail"}` (FastAPI servers such
 * as vLLM), and an Anthropic-shaped body (whose type is kept); anything else is quoted (trimmed).
 */
export function fromChatError(status: number, body: Uint8Array | string): AnthropicErrorBody {
  const text = (typeof body === 'string' ? body : new TextDecoder().decode(body)).trim()
  const json = parseObject(text)
  const message =
    (json && messageOf(json)) ?? (text === '' ? `upstream answered HTTP ${status}` : text.slice(0, MAX_RAW))
  const upstreamType = json?.type === 'error' && isObject(json.error) ? json.error.type : undefined
  const type =
    typeof upstreamType === 'string' && TYPES.has(upstreamType) ? (upstreamType as AnthropicErrorType) : undefined
  return anthropicErrorBody(status, message, type)
}

function messageOf(json: JsonObject): string | undefined {
  const error = json.error
  if (isObject(error) && typeof error.message === 'string' && error.message !== '') return error.message
  if (typeof error === 'string' && error !== '') return error
  if (typeof json.message === 'string' && json.message !== '') return json.message
  if (typeof json.detail === 'string' && json.detail !== '') return json.detail
  if (json.detail !== undefined) return JSON.stringify(json.detail).slice(0, MAX_RAW)
  return undefined
}

/** `event: error\ndata: {"type":"error","error":{…}}\n\n`, what Anthropic sends when a stream fails. */
export function anthropicErrorFrame(type: AnthropicErrorType, message: string): string {
  return namedFrame('error', { type: 'error', error: { type, message } })
}
