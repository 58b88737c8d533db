// Bedrock's HTTP errors → OpenAI's error shape, same status. Bedrock names the error in the
// x-amzn-errortype header ("ValidationException:http://internal.amazon.com/...") and explains it in
// a JSON body {"message": "..."} (some services spell it "Message").
// https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
import { type ErrorBody, type ErrorType, errorTypeForStatus } from '../../core/errors'
import { isObject, parseObject } from '../../core/json'

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
  const raw = headerValue ?? (isObject(body) ? body.__type : undefined)
  if (typeof raw !== 'string' || !raw) return undefined
  const name = raw.split(':')[0]!
  return name.includes('#') ? name.slice(name.lastIndexOf('#') + 1) : name
}

/** A Bedrock error answer (status, body text, headers) → OpenAI's error body; the exception name is the code. */
export function fromBedrockError(status: number, text: string, headers: Headers): ErrorBody {
  return errorBody(status, bedrockErrorName(headers.get('x-amzn-errortype'), undefined), text)
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
}

/**
 * The HTTP error (status and OpenAI body) for a BedrockStreamException met before the stream's first
 * output, so that dispatch retries it or relays it like any other; undefined for any other error.
 */
export function bedrockStreamRefusal(error: unknown): { status: number; body: ErrorBody } | undefined {
  if (!(error instanceof BedrockStreamException)) return undefined
  const body = errorBody(error.status, error.errorName, JSON.stringify({ message: error.detail || error.message }))
  return { status: error.status, body }
}

// --- internal ---

/** The body for an error named `errorName` (from a header or a stream event) whose JSON body is `text`. */
function errorBody(status: number, errorName: string | undefined, text: string): ErrorBody {
  const parsed = parseObject(text)
  const said =
    typeof parsed?.message === 'string'
      ? parsed.message
      : typeof parsed?.Message === 'string'
        ? parsed.Message
        : text.trim().slice(0, 1000)
  const name = errorName ?? bedrockErrorName(null, parsed)
  const message = said || `Bedrock answered HTTP ${status}${name ? ` (${name})` : ''}.`
  const type = (name && Object.hasOwn(TYPES, name) && TYPES[name]) || errorTypeForStatus(status)
  return { error: { message, type, param: null, code: name ?? null } }
}
