// rate_limit: requests and tokens per key per minute, in fixed one-minute windows
// (window = floor(now / 60 s)) kept in the shared store as counters `req:{key}:{window}` and
// `tok:{key}:{window}` that expire after two minutes.
//
// - Requests: onRequest increments the window's counter (one atomic step on every backend) and admits
//   the request when the new value is within the limit, so N concurrent requests against a limit L
//   admit exactly L. A refused request still counts, as at OpenAI ("unsuccessful requests contribute
//   to your per-minute limit"): hammering does not get through sooner.
// - Tokens (when a token limit applies): a request is refused while the window's token counter is
//   already at or over the limit. Tokens are added after the answer from its actual usage (JSON and
//   streams; failed requests add nothing), off the response path through `defer`, in the window in
//   which the answer ended. A request may therefore overshoot the limit by its own tokens, as
//   OpenAI's usage-based limits do.
// - Every answer for the key (success, refusal, upstream error) carries the x-ratelimit-* headers as
//   they stood when the request was admitted; a refusal adds Retry-After.
import type { Extension, ExtensionDeps, ExtensionFactory, RequestContext } from '../types'
import { formatDuration, type LimitKind, rateLimitExceeded } from './headers'
import { limitTable, type RateLimitOptions } from './limits'

export type { RateLimitOptions } from './limits'

export const WINDOW_MS = 60_000
/** Counters outlive their window a little so that a late token write still lands in a live counter. */
const COUNTER_TTL_MS = 2 * WINDOW_MS

export const rateLimitExtension: ExtensionFactory<RateLimitOptions> = (deps) => createRateLimit(deps)

/** The extension with an injectable clock (tests move time across windows). */
export function createRateLimit(deps: ExtensionDeps<RateLimitOptions>, now: () => number = Date.now): Extension {
  const { store, defer } = deps
  const limits = limitTable(deps.options)

  /** Adds the answer's actual tokens to the window it ended in, without holding the response. */
  const addUsage = (ctx: RequestContext): void => {
    const tokens = ctx.usage?.total_tokens
    if (limits.of(ctx.principal).tokens === undefined || !tokens || !Number.isSafeInteger(tokens) || tokens <= 0) return
    defer(store.increment(`tok:${ctx.key}:${windowOf(now())}`, tokens, COUNTER_TTL_MS))
  }

  return {
    name: 'rate_limit',
    // Keys made through the admin API may bring a token limit later: always read usage.
    needsUsage: true,
    failClosed: deps.options.on_storage_error === 'closed',
    async onRequest(ctx) {
      const { key } = ctx
      const limit = limits.of(ctx.principal)
      const t = now()
      const window = windowOf(t)
      const resetMs = (window + 1) * WINDOW_MS - t
      const reset = formatDuration(resetMs)
      const [requests, tokensUsed] = await Promise.all([
        store.increment(`req:${key}:${window}`, 1, COUNTER_TTL_MS),
        limit.tokens === undefined ? undefined : store.get(`tok:${key}:${window}`).then(counterValue),
      ])
      const headers = ctx.headers
      headers['x-ratelimit-limit-requests'] = String(limit.requests)
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, limit.requests - requests))
      headers['x-ratelimit-reset-requests'] = reset
      if (limit.tokens !== undefined && tokensUsed !== undefined) {
        headers['x-ratelimit-limit-tokens'] = String(limit.tokens)
        headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, limit.tokens - tokensUsed))
        headers['x-ratelimit-reset-tokens'] = reset
      }
      let refused: { kind: LimitKind; limit: number; used: number } | undefined
      // "Used" is the share of the limit already spent: refused requests count, but never past the limit.
      if (requests > limit.requests)
        refused = { kind: 'requests', limit: limit.requests, used: Math.min(requests - 1, limit.requests) }
      else if (limit.tokens !== undefined && tokensUsed !== undefined && tokensUsed >= limit.tokens)
        refused = { kind: 'tokens', limit: limit.tokens, used: tokensUsed }
      if (refused) throw rateLimitExceeded({ ...refused, key, resetMs, headers: { ...headers } })
    },
    onResponse(ctx) {
      addUsage(ctx)
    },
    onStreamEnd(ctx) {
      addUsage(ctx)
    },
  }
}

function windowOf(ms: number): number {
  return Math.floor(ms / WINDOW_MS)
}

/** A counter read with get(): absent (or unreadable) is 0. */
function counterValue(value: string | undefined): number {
  const n = value === undefined ? 0 : Number.parseInt(value, 10)
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}
