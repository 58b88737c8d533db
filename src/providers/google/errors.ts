// Gemini error bodies → OpenAI error bodies (pure); the HTTP status stays the upstream's.
// Gemini: {"error":{"code","message","status","details"}} (https://ai.google.dev/gemini-api/docs/troubleshooting)
import { type ErrorBody, type ErrorType, errorTypeForStatus } from '../../core/errors'
import { isObject } from '../../core/json'
import type { GeminiErrorBody } from './types'

/**
 * google.rpc.Code names → OpenAI error types. Statuses not listed fall back to the HTTP status.
 * https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 */
const TYPES: Record<string, ErrorType> = {
  INVALID_ARGUMENT: 'invalid_request_error',
  FAILED_PRECONDITION: 'invalid_request_error',
  OUT_OF_RANGE: 'invalid_request_error',
  UNAUTHENTICATED: 'authentication_error',
  PERMISSION_DENIED: 'permission_error',
  NOT_FOUND: 'not_found_error',
  RESOURCE_EXHAUSTED: 'requests',
  DEADLINE_EXCEEDED: 'timeout_error',
  INTERNAL: 'server_error',
  UNAVAILABLE: 'server_error',
  UNKNOWN: 'server_error',
}

/**
 * `code` is the ErrorInfo reason when Gemini gives one (`api_key_invalid`), else the status name
 * (`resource_exhausted`), in snake_case either way. A body that is not Gemini JSON keeps its text.
 */
export function fromGeminiError(status: number, text: string): ErrorBody {
  const error = parse(text)?.error
  const name = typeof error?.status === 'string' ? error.status : undefined
  const reason = detailsOf(error).find((d) => typeof d.reason === 'string')?.reason as string | undefined
  const message =
    typeof error?.message === 'string' && error.message
      ? error.message
      : `Gemini answered HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 500)}` : '.'}`
  return {
    error: {
      message,
      type: (name && Object.hasOwn(TYPES, name) && TYPES[name]) || errorTypeForStatus(status),
      param: null,
      code: (reason ?? name)?.toLowerCase() ?? null,
    },
  }
}

/** RetryInfo.retryDelay ("22s", "1.5s") as whole seconds for a Retry-After header, if the body has one. */
export function retryAfterOf(text: string): string | undefined {
  const delay = detailsOf(parse(text)?.error).find((d) => typeof d.retryDelay === 'string')?.retryDelay as
    | string
    | undefined
  const seconds = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined
  return seconds === undefined ? undefined : String(Math.ceil(Number(seconds)))
}

/** One line describing an error payload found inside a stream (the relay reports it in-band). */
export function describeGeminiError(payload: GeminiErrorBody): string {
  const e: unknown = payload.error
  const field = (name: string) => {
    const value = isObject(e) ? e[name] : undefined
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
  }
  const code = field('code')
  const status = field('status')
  const message = field('message') ?? (typeof e === 'string' && e ? e : 'no message')
  return `Gemini stream error${code ? ` ${code}` : ''}${status ? ` ${status}` : ''}: ${message}`
}

// --- internal ---

function parse(text: string): GeminiErrorBody | undefined {
  try {
    const json: unknown = JSON.parse(text)
    // streamGenerateContent without alt=sse answers a JSON array; take its first element.
    const body: unknown = Array.isArray(json) ? json[0] : json
    return isObject(body) && typeof body.error === 'object' ? (body as GeminiErrorBody) : undefined
  } catch {
    return undefined
  }
}

function detailsOf(error: GeminiErrorBody['error']): Record<string, unknown>[] {
  return Array.isArray(error?.details) ? error.details.filter(isObject) : []
}
