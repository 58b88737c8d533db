// The metrics extension: always first in the pipeline (unless `metrics = false`), it records each
// model request once, when it finishes: requests, durations, time to first byte, open streams, tokens,
// cost (the pipeline's price of the answer, ctx.cost), answers that could not be priced, cache hits and
// misses, and the refusals of rate_limit and budget. It never blocks a request: every hook is
// synchronous counter arithmetic. Attempts, retries and fallbacks come from dispatch's observer
// (observer.ts); requests refused before the pipeline from relay.ts (refusals.ts).
import { CACHE_HEADER } from '../extensions/cache'
import { microsToUsd } from '../extensions/pricing'
import type { Extension, RequestContext } from '../extensions/types'
import type { MetricSet, RequestSeries } from './metric-set'
import { pipelineRefusal } from './refusals'

/** The provider label when dispatch failed without naming one (timeout, unreachable, client gone). */
export const UNKNOWN = 'unknown'

/** `_source` is no longer read (the pipeline prices answers); kept while metrics/index.ts passes it. */
export function metricsExtension(m: MetricSet, _source?: unknown): Extension {
  /** Streams that have sent their first event and not yet ended. */
  const open = new WeakSet<RequestContext>()

  /** Counts a finished request: one requests_total and one duration observation, always together. */
  const finish = (ctx: RequestContext, s: RequestSeries, status: number) => {
    s.request(status).inc()
    s.duration().observe(((ctx.endedAt ?? performance.now()) - ctx.started) / 1000)
    if (ctx.headers[CACHE_HEADER] === 'miss') m.cache('miss').inc()
  }

  const spend = (ctx: RequestContext, s: RequestSeries) => {
    const cost = ctx.cost
    if (cost?.micros === null) s.unpriced().inc()
    else if (cost?.micros) s.cost().inc(microsToUsd(cost.micros))
    const usage = ctx.usage
    if (!usage) return
    const counted = ctx.usageEstimated ? 'gateway' : 'provider'
    s.tokens('prompt', counted).inc(usage.prompt_tokens)
    s.tokens('completion', counted).inc(usage.completion_tokens)
    if (usage.cache_read_tokens) s.tokens('cache_read', counted).inc(usage.cache_read_tokens)
    if (usage.cache_write_tokens) s.tokens('cache_write', counted).inc(usage.cache_write_tokens)
    if (usage.reasoning_tokens) s.tokens('reasoning', counted).inc(usage.reasoning_tokens)
  }

  /** A finished answer: its request, duration, tokens and cost, through one series lookup. */
  const answered = (ctx: RequestContext) => {
    const s = m.series(ctx.surface, ctx.model, ctx.provider ?? UNKNOWN)
    finish(ctx, s, ctx.status ?? 200)
    spend(ctx, s)
  }

  return {
    name: 'metrics',
    // Token counters need usage: streams are asked for their usage chunk (hidden from clients that did not ask).
    needsUsage: true,
    onResponse(ctx) {
      if (ctx.cached) {
        m.cache('hit').inc()
        finish(ctx, m.series(ctx.surface, ctx.model, 'cache'), ctx.status ?? 200)
        return
      }
      answered(ctx)
    },
    onChunk(ctx) {
      if (open.has(ctx)) return
      open.add(ctx)
      m.openStreams.inc()
      m.series(ctx.surface, ctx.model, ctx.provider ?? UNKNOWN)
        .firstByte()
        .observe((performance.now() - ctx.started) / 1000)
    },
    onStreamClose(ctx) {
      if (open.delete(ctx)) m.openStreams.dec()
    },
    onStreamEnd(ctx) {
      answered(ctx)
    },
    onError(ctx, error) {
      const reason = pipelineRefusal(error)
      if (reason) m.rejection(reason).inc()
      // Refused before its body was read (the request rate): no model is known yet.
      const model = ctx.model || UNKNOWN
      finish(ctx, m.series(ctx.surface, model, reason ? 'none' : (ctx.provider ?? UNKNOWN)), error.status)
    },
  }
}
