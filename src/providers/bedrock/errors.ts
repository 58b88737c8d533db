// Bedrock's HTTP errors → OpenAI's error shape, same status. Bedrock names the error in the
// x-amzn-errortype header ("ValidationException:http://internal.amazon.com/...") and explains it in
// a JSON body {"message": "..."} (some services spell it "Message").
// https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
import { type ErrorBody, type ErrorType, errorTypeForStatus } from '../../core/errors'

/** Exception names Bedrock uses, with the OpenAI error type each reads as. */
const TYPES: Record<string, ErrorType> = {
  ValidationException: 'invalid_request_error',
  ResourceNotFoundException: 'not_found_error',
  AccessDeniedException: 'permission_error',
  UnrecognizedClientException: 'authentication_error',
  InvalidSignatureException: 'authentication_error',
  ExpiredTokenException: 'authentication_error',
  ThrottlingException: 'requests',
  ServiceQuotaExceededException: 'requests',
  ModelNotReadyException: 'server_error',
  ModelTimeoutException: 'timeout_error',
  ModelErrorException: 'server_error',
  InternalServerException: 'server_error',
  ServiceUnavailableException: 'server_error',
}

/** The Bedrock exception name from x-amzn-errortype (or the body's __type), without its namespace. */
export function bedrockErrorName(headerValue: string | null, body: unknown): string | undefined {
  const raw = headerValue ?? (body as { __type?: unknown } | null)?.__type
  if (typeof raw !== 'string' || !raw) return undefined
  const name = raw.split(':')[0]!
  return name.includes('#') ? name.slice(name.lastIndexOf('#') + 1) : name
}

export function toOpenAiErrorBody(status: number, errorName: string | undefined, bodyText: string): ErrorBody {
  let parsed: unknown
  try {
    parsed = JSON.parse(bodyText)
  } catch {
    parsed = undefined
  }
  const p = parsed as { message?: unknown; Message?: unknown } | undefined
  const said =
    typeof p?.message === 'string'
      ? p.message
      : typeof p?.Message === 'string'
        ? p.Message
        : bodyText.trim().slice(0, 1000)
  const name = errorName ?? bedrockErrorName(null, parsed)
  const message = said || `Bedrock answered HTTP ${status}${name ? ` (${name})` : ''}.`
  const type = (name && Object.hasOwn(TYPES, name) && TYPES[name]) || errorTypeForStatus(status)
  return { error: { message, type, param: null, code: name ?? null } }
}

/** Reads a non-2xx Bedrock answer and re-renders it in OpenAI's shape, keeping status and Retry-After. */
export async function toOpenAiErrorResponse(response: Response): Promise<Response> {
  const text = await response.text()
  const body = toOpenAiErrorBody(
    response.status,
    bedrockErrorName(response.headers.get('x-amzn-errortype'), undefined),
    text,
  )
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const retryAfter = response.headers.get('retry-after')
  if (retryAfter) headers['retry-after'] = retryAfter
  return new Response(JSON.stringify(body), { status: response.status, headers })
}

/** HTTP statuses of the exceptions ConverseStream can send in-stream (API reference, ConverseStreamOutput). */
const STREAM_STATUS: Record<string, number> = {
  ValidationException: 400,
  ThrottlingException: 429,
  ModelStreamErrorException: 424,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
}

/**
 * An exception event inside a ConverseStream (`:message-type exception`). Before anything reached the
 * client it becomes an HTTP error with the exception's status (so a throttled stream is retried like a
 * 429); after that, the relay reports it in-band.
 */
export class BedrockStreamException extends Error {
  /** e.g. ThrottlingException (the stream spells it throttlingException). */
  readonly errorName: string
  readonly status: number
  constructor(
    exceptionType: string,
    readonly detail: string,
  ) {
    super(`Bedrock ${exceptionType}${detail ? `: ${detail}` : ''}`)
    this.errorName = exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1)
    this.status = STREAM_STATUS[this.errorName] ?? 502
  }

  toResponse(): Response {
    const body = toOpenAiErrorBody(
      this.status,
      this.errorName,
      JSON.stringify({ message: this.detail || this.message }),
    )
    return new Response(JSON.stringify(body), { status: this.status, headers: { 'content-type': 'application/json' } })
  }
}
