// An upstream's own HTTP error, kept whole so that it reaches the client as it came (status and body
// bytes) once retries and fallback are exhausted. It is a GatewayError like every other failure.
import { errorTypeForStatus, GatewayError } from '../server/errors'

export class UpstreamHttpError extends GatewayError {
  constructor(
    readonly provider: string,
    status: number,
    readonly body: Uint8Array,
    readonly contentType: string,
    /** Milliseconds the upstream asked us to wait (Retry-After), if it said. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(status, errorTypeForStatus(status), 'upstream_error', `Provider '${provider}' answered HTTP ${status}.`)
  }

  override get transient(): boolean {
    // 529 is Anthropic's "overloaded"; every other transient status is in isTransientStatus.
    return super.transient || this.status === 529
  }

  override toResponse(extraHeaders?: Record<string, string>): Response {
    return new Response(this.body, { status: this.status, headers: { 'content-type': this.contentType, ...extraHeaders } })
  }
}
