// What an upstream answered that reaches the client otherwise than as it came: its own HTTP error (kept
// whole, the provider's secrets masked, relayed once retries and fallback are exhausted), and the answers
// the gateway will not relay at all (a redirect, an encoding it did not ask for, a body or an event over
// its limit), with the bounded read that finds the last. All of them are GatewayErrors.
import { readAtMost } from './bytes'
import { errorTypeForStatus, GatewayError } from './errors'

export class UpstreamHttpError extends GatewayError {
  constructor(
    readonly provider: string,
    status: number,
    readonly body: Uint8Array,
    readonly contentType: string,
    /** Milliseconds the upstream asked us to wait (Retry-After), if it said. */
    readonly retryAfterMs: number | undefined,
    /** The upstream's response headers: those in RELAYED_HEADERS reach the client with the error. */
    upstreamHeaders?: Headers,
  ) {
    super(
      status,
      errorTypeForStatus(status),
      'upstream_error',
      `Provider '${provider}' answered HTTP ${status}.`,
      null,
      upstreamHeaders && retryHeadersOf(upstreamHeaders),
    )
  }

  override get transient(): boolean {
    // 529 is Anthropic's "overloaded"; every other transient status is in isTransientStatus.
    return super.transient || this.status === 529
  }

  override toResponse(extraHeaders?: Record<string, string>): Response {
    return new Response(this.body, {
      status: this.status,
      headers: { ...this.headers, 'content-type': this.contentType, ...extraHeaders },
    })
  }
}

/**
 * When to come back, as the upstream said it: a client that gets the final 429 or 503 can wait as
 * asked instead of hammering (RFC 9110 §10.2.3; retry-after-ms is OpenAI's).
 */
export const RELAYED_HEADERS = ['retry-after', 'retry-after-ms'] as const

/** The RELAYED_HEADERS an upstream answer carries, or undefined when it carries none. */
export function retryHeadersOf(headers: Headers): Record<string, string> | undefined {
  let out: Record<string, string> | undefined
  for (const name of RELAYED_HEADERS) {
    const value = headers.get(name)
    if (value !== null) (out ??= {})[name] = value
  }
  return out
}

// --- answers the gateway does not relay ---

/**
 * A 502 for an upstream answer the gateway will not relay. Never transient: the same call to the same
 * deployment gets the same answer, so retrying it only repeats the cost. `blamesDeployment`: the
 * deployment answers this way whatever the request (a redirect, an encoding the gateway did not ask
 * for): dispatch counts it against the breaker and moves on to the next deployment. Otherwise (a body
 * or an event over its limit, which the request may have asked for) it is final, like a 4xx.
 */
export class UnusableAnswerError extends GatewayError {
  constructor(
    code: string,
    message: string,
    readonly blamesDeployment: boolean,
  ) {
    super(502, 'server_error', code, message)
  }

  override get transient(): boolean {
    return false
  }
}

/**
 * 502 upstream_redirect: a 3xx is never followed (fetch's `redirect: 'manual'`). Followed, it would carry
 * the credentials (fetch drops only `Authorization` across origins, not x-api-key, api-key,
 * x-goog-api-key or a SigV4 signature) and, on 307/308, the prompt to another host, whose answer would
 * pass for the provider's (RFC 9110 §15.4). A redirect is a wrong base_url, not a passing failure. Only
 * the target's host is named: a full URL can carry a key in its query.
 */
export function upstreamRedirect(provider: string | undefined, response: Response): UnusableAnswerError {
  return new UnusableAnswerError(
    'upstream_redirect',
    `${who(provider)} answered HTTP ${response.status}, a redirect to ${targetHost(response)}; the gateway does not follow upstream redirects (check base_url).`,
    true,
  )
}

/**
 * 502 upstream_unexpected_encoding: the gateway asks for `accept-encoding: identity` and never inflates
 * (fetch's `decompress: false`), so that a small compressed body cannot become gigabytes in memory (a
 * gzip bomb); a compressed answer it did not ask for is refused unread (RFC 9110 §8.4, §12.5.3).
 */
export function upstreamUnexpectedEncoding(provider: string | undefined, encoding: string): UnusableAnswerError {
  return new UnusableAnswerError(
    'upstream_unexpected_encoding',
    `${who(provider)} answered with content-encoding "${encoding.slice(0, 40)}", which the gateway did not ask for (it asks for identity and does not decompress answers).`,
    true,
  )
}

/**
 * 502 upstream_answer_too_large: a non-stream answer passed its limit (max_answer_size, unless `setting`
 * names another) as it arrived; the rest was not read.
 */
export function upstreamAnswerTooLarge(
  provider: string | undefined,
  limit: number,
  setting = 'max_answer_size',
): UnusableAnswerError {
  return new UnusableAnswerError(
    'upstream_answer_too_large',
    `${who(provider)} answered with a body over ${limit} bytes (${setting}); it was not read further.`,
    false,
  )
}

/**
 * 502 upstream_event_too_large: a server-sent event held for its blank line passed max_sse_event_size.
 * Its message reads as the detail of an in-band stream error, where the provider is already named.
 */
export function upstreamEventTooLarge(limit: number): UnusableAnswerError {
  return new UnusableAnswerError(
    'upstream_event_too_large',
    `the upstream sent an event over ${limit} bytes without ending it (max_sse_event_size)`,
    false,
  )
}

/**
 * The refusal an answer earns before its body is read: a 3xx, or a content-encoding other than
 * identity. One status test and one header lookup per answer.
 */
export function refusalOf(provider: string | undefined, response: Response): UnusableAnswerError | undefined {
  const { status } = response
  if (status >= 300 && status < 400) return upstreamRedirect(provider, response)
  const encoding = response.headers.get('content-encoding')?.trim().toLowerCase()
  return encoding && encoding !== 'identity' ? upstreamUnexpectedEncoding(provider, encoding) : undefined
}

/** How much of an upstream answer the gateway holds (config max_answer_size and max_sse_event_size). */
export interface AnswerLimits {
  /** Largest non-stream answer, in bytes as they arrive (never inflated). */
  readonly answerBytes: number
  /** Largest server-sent event held while its blank line has not come. */
  readonly eventBytes: number
}

/** The config schema's defaults (config/schema.ts; test/routing/dispatch.test.ts keeps them equal). */
export const DEFAULT_LIMITS: AnswerLimits = { answerBytes: 64 * 1024 * 1024, eventBytes: 4 * 1024 * 1024 }

/**
 * Largest upstream error body kept to be relayed or translated. Errors are a few hundred bytes (a proxy's
 * HTML page a few KB); one larger than this is answered with its status and a message of the gateway's.
 */
export const MAX_ERROR_BODY = 1024 * 1024

/**
 * An answer's body, counted as it arrives; undefined (and the rest cancelled) once it passes `limit`.
 * A declared content-length is trusted (with decompression off, it is exactly the bytes that come):
 * over the limit, nothing is read; within it, the body is read whole in one native call.
 */
export async function readUpstreamBody(response: Response, limit: number): Promise<Uint8Array | undefined> {
  const declared = response.headers.get('content-length')
  if (declared !== null) {
    const length = Number(declared)
    if (length > limit) {
      response.body?.cancel().catch(() => {})
      return undefined
    }
    if (Number.isSafeInteger(length)) return new Uint8Array(await response.arrayBuffer())
  }
  return response.body ? readAtMost(response.body, limit) : EMPTY
}

// --- a provider's secrets in what its upstream wrote ---

/** Masks a provider's own secrets in bytes its upstream wrote (an error body that quotes the key). */
export type Scrub = (bytes: Uint8Array) => Uint8Array

/**
 * The scrub of one provider's secrets, built once when the registry is (H5); undefined when it has none.
 * Each secret shows as the admin API shows it (first 3 and last 4 characters, or "****" when short),
 * also where the upstream quoted it URL-encoded or JSON-escaped. The bytes are searched without decoding;
 * they are decoded and re-encoded only when a secret is in them.
 */
export function secretScrubber(secrets: readonly (string | undefined)[]): Scrub | undefined {
  const forms = new Map<string, string>()
  for (const secret of secrets) {
    // Shorter "secrets" would mask ordinary words (the admin API's rule too).
    if (!secret || secret.length < 4) continue
    const mask = maskSecret(secret)
    for (const form of [
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      secret.replaceAll('/', '\\/'),
    ])
      forms.set(form, mask)
  }
  if (forms.size === 0) return undefined
  // Longest first: a secret's escaped form may contain another form of it.
  const patterns = [...forms]
    .sort(([a], [b]) => b.length - a.length)
    .map(([text, mask]) => ({ text, mask, bytes: Buffer.from(text) }))
  return (bytes) => {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (!patterns.some((p) => view.indexOf(p.bytes) !== -1)) return bytes
    let text = decoder.decode(bytes)
    for (const p of patterns) text = text.replaceAll(p.text, p.mask)
    return encoder.encode(text)
  }
}

/** A secret as the admin API shows it (src/admin/mask.ts, which core may not import): "sk-…wxyz", or "****". */
export function maskSecret(secret: string): string {
  return secret.length < 12 ? '****' : `${secret.slice(0, 3)}…${secret.slice(-4)}`
}

// --- internal ---

const EMPTY = new Uint8Array(0)
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function who(provider: string | undefined): string {
  return provider === undefined ? 'The upstream' : `Provider '${provider}'`
}

/** The host (and port) a redirect points to, resolved against the request's URL; never the path or query. */
function targetHost(response: Response): string {
  const location = response.headers.get('location')
  if (!location) return 'no location'
  try {
    return `host ${new URL(location, response.url || undefined).host}`
  } catch {
    return 'an unreadable location'
  }
}
