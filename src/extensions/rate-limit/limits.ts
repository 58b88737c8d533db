// Which limits apply to a key: the extension's table, with a key's own `rate_limit` values replacing
// the extension's field by field. A key's own limit travels on its Principal (config keys and keys
// made through the admin API alike); the extension's defaults are resolved once.
//
// Every principal is limited by its name, the admin token ('admin') and 'anonymous' (auth off)
// included: a limit protects the upstream quota, whoever spends it. 'admin' and 'anonymous' have no
// key entry, so they get the extension's limits (a [[keys]] entry named like them would override).
import type { Principal } from '../../auth'

export interface RateLimitOptions {
  requests_per_minute: number
  tokens_per_minute?: number
  /** Completion tokens a request holds when it sets no max_tokens (default 4096). */
  reserve_completion_tokens?: number
  /** When storage fails: 'open' (default) lets requests through, 'closed' refuses them with 503. */
  on_storage_error?: 'open' | 'closed'
}

export interface Limits {
  readonly requests: number
  /** Absent when no token limit applies to the key. */
  readonly tokens?: number
}

export interface LimitTable {
  of(principal: Principal): Limits
  /** Whether the extension's defaults count tokens (keys may add a token limit of their own). */
  readonly countsTokens: boolean
}

export function limitTable(options: RateLimitOptions): LimitTable {
  const fallback = limitsOf(options.requests_per_minute, options.tokens_per_minute)
  return {
    of(principal) {
      const own = principal.rateLimit
      if (!own) return fallback
      return limitsOf(
        own.requests_per_minute ?? options.requests_per_minute,
        own.tokens_per_minute ?? options.tokens_per_minute,
      )
    },
    countsTokens: fallback.tokens !== undefined,
  }
}

function limitsOf(requests: number, tokens: number | undefined): Limits {
  return tokens === undefined ? { requests } : { requests, tokens }
}
