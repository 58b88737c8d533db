// The one translating exchange. A translating endpoint (Anthropic, Gemini and Bedrock behind OpenAI's
// chat; Gemini's embeddings; /v1/messages through any provider's chat) declares its four translators
// and how a translated body reaches the upstream; this file does the rest, once:
//   translate the request (a GatewayError there rejects before any fetch: final, not an attempt)
//   → send → an error answer in the client's format, same status, Retry-After kept
//   → a stream wrapped through its translator (an upstream error met before any output answers as
//     that HTTP error) → or the JSON answer translated (a 2xx that is not it: 502 upstream_invalid_response).
// Answers it will not read (a redirect, an encoding not asked for, a body over max_answer_size) reject
// with their UnusableAnswerError after the fetch, which dispatch takes as the attempt's outcome.
import { anthropicErrorBody } from '../anthropic-messages/errors'
import { upstreamInvalidResponse } from '../core/errors'
import { type JsonObject, parseObject } from '../core/json'
import {
  DEFAULT_LIMITS,
  MAX_ERROR_BODY,
  readUpstreamBody,
  refusalOf,
  retryHeadersOf,
  upstreamAnswerTooLarge,
} from '../core/upstream-error'
import { type StreamTranslator, startTranslatedStream } from '../sse'
import type { Handler, UpstreamCall } from './provider'
import { wantsUsageChunk } from './provider'

/** What a translator knows of an answer besides its body. */
export interface AnswerMeta {
  /** The canonical model the client asked for (after aliases). */
  readonly model: string
  /** Seconds since the epoch when the answer started: the same on every chunk of a stream. */
  readonly created: number
  /** The client asked for a usage chunk (stream_options.include_usage). */
  readonly includeUsage: boolean
  /** The upstream's response headers (Bedrock's request id names the completion). */
  readonly headers: Headers
  /** The client's request body, as the call carried it (encoding_format, …). */
  readonly request: Readonly<JsonObject>
  /** The largest event a stream translator's SseParser may hold (max_sse_event_size). */
  readonly maxEventSize?: number
}

/** The client's format on one side of an endpoint, the upstream's on the other. */
export interface Translation {
  /** The client format, which the exchange's own errors (a 502 for an answer it cannot read) are in. */
  readonly format: 'openai' | 'anthropic'
  /** What the upstream answers, for that 502's message: "a chat completion", "an Anthropic message", … */
  readonly answer: string
  /**
   * The upstream's request body for this call. Throws a GatewayError (400 naming the field) for input
   * the upstream cannot take: the call then fails before any fetch.
   */
  toRequest(call: UpstreamCall): unknown
  /** The client-format answer from the upstream's JSON; undefined when it is not the answer its API defines. */
  fromResponse(json: JsonObject, meta: AnswerMeta): unknown
  /** For endpoints that stream: a translator of one upstream stream into the client's frames. */
  streamTranslator?(meta: AnswerMeta): StreamTranslator
  /** The client-format error body for an upstream error answer (status and body text as they came). */
  fromError(status: number, text: string, headers: Headers): unknown
  /** Seconds to wait, when an error body says it and the headers do not (Gemini's RetryInfo). */
  retryAfterOf?(text: string): string | undefined
  /**
   * An error a stream translator threw before its first output that is an upstream error with a status
   * (Bedrock's exception events): answered as that HTTP error, so it is retried like any other.
   */
  fromStreamError?(error: unknown): { status: number; body: unknown } | undefined
}

/** How a translated body reaches the upstream: a fetch (http.ts), or another handler (Messages through chat). */
export type Send = (call: UpstreamCall, body: Uint8Array, request: unknown) => Promise<Response>

/** A handler that translates each call with `translation` and sends it with `send`. */
export function translatingHandler(provider: string, translation: Translation, send: Send): Handler {
  return async (call) => {
    const request = translation.toRequest(call)
    const response = await send(call, encoder.encode(JSON.stringify(request)), request)
    const refusal = refusalOf(provider, response)
    if (refusal) {
      response.body?.cancel().catch(() => {})
      throw refusal
    }
    const limits = call.limits ?? DEFAULT_LIMITS
    const meta: AnswerMeta = {
      model: call.model,
      created: Math.floor(Date.now() / 1000),
      includeUsage: wantsUsageChunk(call.json),
      headers: response.headers,
      request: call.json,
      maxEventSize: limits.eventBytes,
    }
    if (!response.ok) return errorAnswer(translation, response)
    const type = response.headers.get('content-type') ?? ''
    // A JSON answer to a stream request (a server that ignores `stream`) is read as a whole answer.
    if (call.stream && translation.streamTranslator && response.body && !type.includes('application/json'))
      return streamAnswer(translation, response, translation.streamTranslator(meta))
    // A read that fails rejects: no whole answer came.
    const bytes = await readUpstreamBody(response, limits.answerBytes)
    if (!bytes) throw upstreamAnswerTooLarge(provider, limits.answerBytes)
    const text = decoder.decode(bytes)
    const json = parseObject(text)
    const answer = json && translation.fromResponse(json, meta)
    if (answer === undefined)
      return ownError(
        translation,
        upstreamInvalidResponse(provider, `something that is not ${translation.answer}: ${preview(text)}`),
      )
    return jsonAnswer(response.status, answer)
  }
}

// --- internal ---

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

function jsonAnswer(status: number, body: unknown, extra?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS })
}

/** An upstream error in the client's format, same status; Retry-After and retry-after-ms kept. */
async function errorAnswer(translation: Translation, response: Response): Promise<Response> {
  // An error body past the bound is not read: the translator makes its error from the status alone.
  const bytes = await readUpstreamBody(response, MAX_ERROR_BODY)
  const text = bytes ? decoder.decode(bytes) : `(an error body over ${MAX_ERROR_BODY} bytes, not read)`
  const body = translation.fromError(response.status, text, response.headers)
  let retry = retryHeadersOf(response.headers)
  if (!retry?.['retry-after']) {
    const seconds = translation.retryAfterOf?.(text)
    if (seconds !== undefined) retry = { ...retry, 'retry-after': seconds }
  }
  return jsonAnswer(response.status, body, retry)
}

/** The exchange's own failure (the answer could not be read), in the client's format. */
function ownError(translation: Translation, error: { status: number; message: string; toJSON(): unknown }): Response {
  const body = translation.format === 'anthropic' ? anthropicErrorBody(error.status, error.message) : error.toJSON()
  return jsonAnswer(error.status, body)
}

/**
 * The translated stream, started: an upstream error the translator meets before its first output (and
 * can give a status) answers as that HTTP error instead. Dispatch waits for the first chunk anyway (it
 * commits to a stream there), so starting it here costs no time.
 */
async function streamAnswer(
  translation: Translation,
  response: Response,
  translator: StreamTranslator,
): Promise<Response> {
  let body: ReadableStream<Uint8Array>
  try {
    body = await startTranslatedStream(response.body!, translator)
  } catch (err) {
    const refusal = translation.fromStreamError?.(err)
    if (!refusal) throw err
    return jsonAnswer(refusal.status, refusal.body)
  }
  return new Response(body, { status: response.status, headers: SSE_HEADERS })
}

function preview(text: string): string {
  const trimmed = text.trim()
  return trimmed ? trimmed.slice(0, 200) : '(an empty body)'
}
