// The one error model: every request failure is a GatewayError rendered as OpenAI's
// {"error":{message,type,param,code}} (Anthropic's shape on /v1/messages, rendered from the same object).
// An upstream's own HTTP error, relayed as-is, is its subclass UpstreamHttpError (upstream-error.ts).
import type { Logger } from './log'

/** OpenAI-side error vocabulary; `requests`/`tokens` are OpenAI's 429 types. */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'requests'
  | 'tokens'
  | 'insufficient_quota'
  | 'timeout_error'
  | 'server_error'

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null }
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const

export class GatewayError extends Error {
  override readonly name = 'GatewayError'
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
    readonly headers?: Record<string, string>,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** Transient failures are retried on the same deployment (429, 500, 502, 503, 504, network, timeout). */
  get transient(): boolean {
    return isTransientStatus(this.status)
  }

  toJSON(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }

  toResponse(extraHeaders?: Record<string, string>): Response {
    const headers = this.headers || extraHeaders ? { ...JSON_HEADERS, ...this.headers, ...extraHeaders } : JSON_HEADERS
    return new Response(JSON.stringify(this.toJSON()), { status: this.status, headers })
  }

  /** The in-band SSE frame used once a stream has started (openai-node throws on it). */
  toSseFrame(): string {
    return `data: ${JSON.stringify(this.toJSON())}\n\n`
  }
}

/** The error type an HTTP status stands for, when an upstream's body does not say. */
export function errorTypeForStatus(status: number): ErrorType {
  if (status === 401) return 'authentication_error'
  if (status === 402) return 'insufficient_quota'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 408 || status === 504) return 'timeout_error'
  if (status === 429) return 'requests'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504
}

/** The longest piece of the client's input an error message repeats (a model name, a path). */
export const MAX_ECHO = 256

/**
 * The client's input as an error message repeats it: whole up to MAX_ECHO characters, else its start and
 * how much was left out (a 10 MB model name must not come back as a 10 MB error, nor fill the log).
 */
export function echo(value: string): string {
  return value.length <= MAX_ECHO ? value : `${value.slice(0, MAX_ECHO)}… (${value.length - MAX_ECHO} more characters)`
}

// --- factories: the table in README.md § Errors copies these rows ---

/** 400 invalid_request_error; `param` names the offending field. */
export const badRequest = (message: string, param: string | null = null, code = 'invalid_value') =>
  new GatewayError(400, 'invalid_request_error', code, message, param)

export const invalidJson = (detail: string) =>
  new GatewayError(
    400,
    'invalid_request_error',
    'invalid_json',
    `We could not parse the JSON body of your request: ${detail}`,
  )

/** 401: no key, or a key the gateway does not know. The presented key is never echoed. */
export const invalidApiKey = (message = 'Incorrect API key provided.') =>
  new GatewayError(401, 'authentication_error', 'invalid_api_key', message)

export const missingApiKey = () =>
  new GatewayError(
    401,
    'authentication_error',
    'missing_api_key',
    'You didn\'t provide an API key. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".',
  )

export const modelNotAllowed = (model: string) =>
  new GatewayError(
    403,
    'permission_error',
    'model_not_allowed',
    `Your API key is not allowed to use the model '${echo(model)}'.`,
    'model',
  )

export const modelNotFound = (model: string) =>
  new GatewayError(
    404,
    'invalid_request_error',
    'model_not_found',
    `The model '${echo(model)}' does not exist or you do not have access to it.`,
    'model',
  )

export const routeNotFound = (method: string, path: string) =>
  new GatewayError(404, 'invalid_request_error', 'not_found', `Unknown route: ${echo(method)} ${echo(path)}`)

export const methodNotAllowed = (method: string, path: string, allow: string[]) =>
  new GatewayError(
    405,
    'invalid_request_error',
    'method_not_allowed',
    `Method ${echo(method)} is not allowed on ${echo(path)}; use ${allow.join(', ')}.`,
    null,
    {
      allow: allow.join(', '),
    },
  )

export const requestTooLarge = (limit: number) =>
  new GatewayError(
    413,
    'invalid_request_error',
    'request_too_large',
    `Request body is larger than the limit of ${limit} bytes.`,
  )

export const unsupportedEndpoint = (provider: string, kind: string, endpoint: string) =>
  new GatewayError(
    400,
    'invalid_request_error',
    'unsupported_endpoint',
    `Provider '${provider}' (kind ${kind}) does not support ${endpoint}.`,
  )

export const upstreamUnreachable = (provider: string, cause: unknown) =>
  new GatewayError(
    502,
    'server_error',
    'upstream_unreachable',
    `Could not reach provider '${provider}': ${describeCause(cause)}`,
    null,
    undefined,
    { cause },
  )

export const upstreamTimeout = (provider: string, ms: number) =>
  new GatewayError(504, 'timeout_error', 'upstream_timeout', `Provider '${provider}' did not answer within ${ms} ms.`)

export const upstreamStreamFailed = (provider: string, detail: string) =>
  new GatewayError(
    502,
    'server_error',
    'upstream_stream_error',
    `The stream from provider '${provider}' failed: ${detail}`,
  )

export const serviceUnavailable = (message: string) =>
  new GatewayError(503, 'server_error', 'service_unavailable', message)

/** 502 when an upstream answered 2xx with something that is not the answer its API defines. */
export const upstreamInvalidResponse = (provider: string, what: string) =>
  new GatewayError(502, 'server_error', 'upstream_invalid_response', `Provider '${provider}' answered with ${what}.`)

export const internalError = (requestId: string) =>
  new GatewayError(
    500,
    'server_error',
    'internal_error',
    `The gateway had an internal error. Request id: ${requestId}.`,
  )

/** Logs a bug with its stack (never sent to the client) and returns the generic 500. */
export function unexpected(log: Logger, err: unknown, requestId: string): GatewayError {
  log.error('unexpected error', {
    request_id: requestId,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  })
  return internalError(requestId)
}

/**
 * A connection failure in words for the client: the cause's message and code, without the runtime's
 * advice to its developer ("pass `verbose: true`…", "Is the computer able to access the url?") and
 * without the upstream URL (it can carry a deployment path or a key in its query).
 */
export function describeCause(cause: unknown): string {
  let text: string
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    text = typeof code === 'string' && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message
  } else text = String(cause)
  return (
    text
      .replace(/\s*For more information, pass `verbose: true`[^.]*\.?/g, '')
      .replace(/\s*Is the computer able to access the url\??/g, '')
      .replace(/\s*fetching "[^"]*"/g, '')
      .replace(/https?:\/\/\S+/g, '(upstream URL)')
      .trim() || 'connection failed'
  )
}

/** 503 when the gateway already has max_inflight model requests in flight: refused at once, not queued. */
export function overloaded(limit: number): GatewayError {
  return new GatewayError(
    503,
    'server_error',
    'server_overloaded',
    `The gateway is at its limit of ${limit} requests in flight (max_inflight); retry shortly.`,
    null,
    { 'retry-after': '1' },
  )
}

/** 429 when a key already has its max_inflight model requests in flight. */
export function concurrencyLimitExceeded(key: string, limit: number): GatewayError {
  return new GatewayError(
    429,
    'requests',
    'concurrency_limit_exceeded',
    `Key '${key}' already has ${limit} requests in flight, its limit (max_inflight); retry when one finishes.`,
    null,
    { 'retry-after': '1' },
  )
}

/** 503 when an extension that fails closed (on_storage_error = "closed") cannot reach its storage. */
export function storageUnavailable(extension: string): GatewayError {
  return new GatewayError(
    503,
    'server_error',
    'storage_unavailable',
    `The gateway cannot check this request: ${extension} storage is unavailable. Retry shortly.`,
    null,
    { 'retry-after': '1' },
  )
}
