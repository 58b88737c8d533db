// What a rate-limited client sees, as OpenAI sends it: x-ratelimit-{limit,remaining,reset}-{requests,
// tokens} on every answer, and on a refusal a 429 with Retry-After and OpenAI's wording.
// https://platform.openai.com/docs/guides/rate-limits (reset values are durations such as "1s",
// "6m0s", "59.5s", "12ms": Go's time.Duration format).
import { GatewayError } from '../../core/errors'

/** A number of milliseconds in OpenAI's reset format: "0s", "12ms", "1.5s", "59.5s", "1m0s", "1h2m3s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms))
  if (total === 0) return '0s'
  if (total < 1000) return `${total}ms`
  const hours = Math.floor(total / 3_600_000)
  const minutes = Math.floor((total % 3_600_000) / 60_000)
  const seconds = `${(total % 60_000) / 1000}s`
  if (hours) return `${hours}h${minutes}m${seconds}`
  if (minutes) return `${minutes}m${seconds}`
  return seconds
}

/** Whole seconds to wait, at least 1 (Retry-After takes an integer). */
export function retryAfterSeconds(resetMs: number): number {
  return Math.max(1, Math.ceil(resetMs / 1000))
}

export type LimitKind = 'requests' | 'tokens'

export interface Refusal {
  kind: LimitKind
  key: string
  limit: number
  /** What the window had used before this request. */
  used: number
  resetMs: number
  /** The x-ratelimit-* headers of this answer. */
  headers: Record<string, string>
}

/** 429 with OpenAI's `type` (requests / tokens), code rate_limit_exceeded, and Retry-After. */
export function rateLimitExceeded(r: Refusal): GatewayError {
  const what = r.kind === 'requests' ? 'requests per minute (RPM)' : 'tokens per minute (TPM)'
  // A request costs one request; its tokens are not known until the answer, so none are "requested".
  const requested = r.kind === 'requests' ? ', Requested 1' : ''
  const message =
    `Rate limit reached for ${what} on key '${r.key}': Limit ${r.limit}, Used ${r.used}${requested}. ` +
    `Please try again in ${formatDuration(r.resetMs)}.`
  return new GatewayError(429, r.kind, 'rate_limit_exceeded', message, null, {
    ...r.headers,
    'retry-after': String(retryAfterSeconds(r.resetMs)),
  })
}
