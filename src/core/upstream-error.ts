// An upstream's own HTTP error, kept whole so that it reaches the client as it came (status, body bytes
// and the headers that tell a client when to come back) once retries and fallback are exhausted. It is
// a GatewayError like every other failure.
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
