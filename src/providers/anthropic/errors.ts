// Anthropic error body {type: 'error', error: {type, message}} → OpenAI's {error: {message, type, param,
// code}} (pure). The HTTP status is kept; `code` keeps Anthropic's own error type so nothing is lost.
// https://docs.anthropic.com/en/api/errors
import { type ErrorBody, type ErrorType, errorTypeForStatus } from '../../core/errors'
import { isObject, parseObject } from '../../core/json'

/** Anthropic error type → the OpenAI-side type (the gateway's own vocabulary, core/errors.ts). */
export const ERROR_TYPES: Readonly<Record<string, ErrorType>> = {
  invalid_request_error: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  rate_limit_error: 'requests',
  billing_error: 'insufficient_quota',
  timeout_error: 'timeout_error',
  api_error: 'server_error',
  overloaded_error: 'server_error',
}

/** Translates an Anthropic error answer (status + body text) into OpenAI's error body. */
export function fromAnthropicError(status: number, text: string): ErrorBody {
  const parsed = parseError(text)
  if (parsed) {
    return {
      error: {
        message: parsed.message,
        type: (Object.hasOwn(ERROR_TYPES, parsed.type) && ERROR_TYPES[parsed.type]) || errorTypeForStatus(status),
        param: null,
        code: parsed.type,
      },
    }
  }
  const detail = text.trim().slice(0, 500)
  return {
    error: {
      message: detail
        ? `Anthropic answered HTTP ${status}: ${detail}`
        : `Anthropic answered HTTP ${status} with an empty body.`,
      type: errorTypeForStatus(status),
      param: null,
      code: null,
    },
  }
}

/** The message of an in-stream `error` event's data, for the Error the stream translator throws. */
export function describeStreamError(data: unknown): string {
  const error = isObject(data) ? data.error : undefined
  if (isObject(error)) {
    const { type, message } = error
    if (typeof type === 'string' || typeof message === 'string')
      return `${typeof type === 'string' ? type : 'error'}: ${typeof message === 'string' ? message : ''}`
  }
  return `error event: ${JSON.stringify(data)}`
}

// --- internal ---

function parseError(text: string): { type: string; message: string } | undefined {
  const error = parseObject(text)?.error
  if (!isObject(error) || typeof error.type !== 'string' || error.type === '') return undefined
  const { type, message } = error
  // An empty message would reach the client as an error that says nothing: the type says something.
  return { type, message: typeof message === 'string' && message !== '' ? message : type }
}
