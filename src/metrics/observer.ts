// Dispatch's observer: each upstream attempt with its outcome, each retry and each fallback. Dispatch
// calls it synchronously between attempts (src/routing/dispatch.ts).
import type { GatewayError } from '../core/errors'
import { UpstreamHttpError } from '../core/upstream-error'
import type { Answer, DispatchObserver } from '../routing/dispatch'
import { ClientClosedError } from '../routing/dispatch'
import type { MetricSet } from './metric-set'

export function dispatchObserver(m: MetricSet): DispatchObserver {
  return {
    attempt: (provider, result) => m.attempt(provider, attemptOutcome(result)).inc(),
    retry: (provider) => m.retry(provider).inc(),
    fallback: (model) => m.fallback(model).inc(),
  }
}

/** ok, http_4xx, http_429, http_5xx, timeout, unreachable, client_closed, or error (anything else). */
export function attemptOutcome(result: Answer | GatewayError): string {
  if (!(result instanceof Error)) return 'ok'
  if (result instanceof UpstreamHttpError)
    return result.status === 429 ? 'http_429' : result.status >= 500 ? 'http_5xx' : 'http_4xx'
  if (result instanceof ClientClosedError) return 'client_closed'
  if (result.code === 'upstream_timeout') return 'timeout'
  if (result.code === 'upstream_unreachable') return 'unreachable'
  return 'error'
}
