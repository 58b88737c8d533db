// Which limits apply to a key: the extension's table, with a key's own `rate_limit` values replacing
// the extension's field by field. Resolved once at startup; the hot path does one map lookup.
//
// Every principal is limited by its name, the admin token ('admin') and 'anonymous' (auth off)
// included: a limit protects the upstream quota, whoever spends it. 'admin' and 'anonymous' have no
// key entry, so they get the extension's limits (a [[keys]] entry named like them would override).
import type { Config } from '../../config/schema'

export interface RateLimitOptions {
  requests_per_minute: number
  tokens_per_minute?: number
}

export interface Limits {
  readonly requests: number
  /** Absent when no token limit applies to the key. */
  readonly tokens?: number
}

export interface LimitTable {
  of(key: string): Limits
  /** Whether any key has a token limit (the extension then needs usage, streams included). */
  readonly countsTokens: boolean
}

export function limitTable(options: RateLimitOptions, keys: Config['keys']): LimitTable {
  const fallback = limitsOf(options.requests_per_minute, options.tokens_per_minute)
  const byKey = new Map<string, Limits>()
  for (const key of keys) {
    const own = key.rate_limit
    if (!own) continue
    byKey.set(key.name, limitsOf(own.requests_per_minute ?? options.requests_per_minute, own.tokens_per_minute ?? options.tokens_per_minute))
  }
  return {
    of: (key) => byKey.get(key) ?? fallback,
    countsTokens: fallback.tokens !== undefined || [...byKey.values()].some((l) => l.tokens !== undefined),
  }
}

function limitsOf(requests: number, tokens: number | undefined): Limits {
  return tokens === undefined ? { requests } : { requests, tokens }
}
