// Jittered exponential backoff and Retry-After parsing (pure: random and clock are injected).

/** Delay before retry number `attempt` (0-based): b = base·2^attempt, uniformly random in [b/2, b]. */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const b = baseMs * 2 ** attempt
  return b / 2 + random() * (b / 2)
}

/**
 * Milliseconds an upstream asked us to wait: `retry-after-ms` (OpenAI), else `Retry-After` as seconds or
 * an HTTP date (RFC 9110 §10.2.3). Undefined when absent or unparseable; never negative.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms)
  const value = headers.get('retry-after')
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-3" or "abc 3" as 2001.
  if (!/^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** The wait before the next attempt: Retry-After when given (capped), else jittered backoff. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: { baseMs: number; retryAfterCapMs: number; random?: () => number },
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.retryAfterCapMs)
  return backoffDelay(attempt, options.baseMs, options.random)
}
