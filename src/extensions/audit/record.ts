// One audit record per request that reached the pipeline: what was asked, who asked, what answered,
// what it cost and how it ended; refusals are one record per key, model, error and minute, with a count
// (refusals.ts). Stored as JSON in the time-ordered log `records`, indexed by the time the request
// arrived, so that GET /v1/admin/logs reads it newest first with an index scan.
import type { Config } from '../../config/schema'
import type { Endpoint } from '../../core/endpoint'
import { costMicros, microsToUsd, pricingOf } from '../pricing'
import type { RelayOutcome, RequestContext } from '../types'

export interface AuditRecord {
  request_id: string
  /** When the request arrived, ISO 8601 (UTC). */
  timestamp: string
  /** The same instant in ms since the epoch (the log's index). */
  time: number
  key: string
  /** The canonical model, after alias resolution. */
  model: string
  /** The model name the client sent (an alias, or the same as `model`). */
  requested_model: string
  /** The provider that answered; null when none did (refused, a cache hit, or no deployment reached). */
  provider: string | null
  surface: Endpoint
  stream: boolean
  /** HTTP status sent to the client. */
  status: number | null
  /** How a stream ended (done, upstream_error, truncated, client_closed); null for non-stream answers. */
  outcome: RelayOutcome | null
  prompt_tokens: number | null
  completion_tokens: number | null
  total_tokens: number | null
  /**
   * From `[models.<name>]` pricing (rounded up to a micro-dollar, as budgets charge); null without
   * pricing or usage; 0 for a cache hit (no provider was paid).
   */
  cost_usd: number | null
  /** From arrival to the answer (for streams: to the end of the stream), ms. */
  latency_ms: number
  /** Whether the answer came from the gateway's cache (then no tokens are known: null). */
  cached: boolean
  /** The error code of a failed request (`rate_limit_exceeded`, an upstream's code, …); null on success. */
  error: string | null
  /**
   * The requests the record stands for: 1, or for refusals (requests the gateway refused before any
   * upstream: rate limit, budget, overload, bad input) the number refused in the record's minute with
   * the same key, model, status and error; the record then describes the first of them, and latency_ms
   * is their mean. Absent on records written before counts existed: read it with countOf.
   */
  count?: number
  /**
   * True when the gateway counted the tokens (a stream that ended without the provider's usage: the
   * request and the text delivered, tokenized); absent when the provider reported them.
   */
  usage_estimated?: boolean
}

/** How many requests a record stands for (1 unless it is an aggregate of refusals). */
export function countOf(record: Pick<AuditRecord, 'count'>): number {
  const n = record.count
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 1
}

/**
 * Whether a record is a failure: an error status (≥ 400), a stream that failed after it started
 * (upstream_error, truncated; the status is then the 200 already sent), or an error code. A stream the
 * client closed is not one.
 */
export function isFailure(record: Pick<AuditRecord, 'status' | 'outcome' | 'error'>): boolean {
  return (
    (record.status !== null && record.status >= 400) ||
    record.outcome === 'upstream_error' ||
    record.outcome === 'truncated' ||
    record.error !== null
  )
}

export interface Ending {
  outcome?: RelayOutcome
  error?: { code: string | null; type: string }
}

export function auditRecord(config: Config, ctx: RequestContext, ending: Ending, now = performance.now()): AuditRecord {
  const usage = ctx.usage
  const pricing = pricingOf(config, ctx.model, ctx.requestedModel)
  return {
    request_id: ctx.requestId,
    timestamp: new Date(ctx.startedAt).toISOString(),
    time: ctx.startedAt,
    key: ctx.key,
    model: ctx.model,
    requested_model: ctx.requestedModel,
    provider: ctx.provider ?? null,
    surface: ctx.surface,
    stream: ctx.stream,
    status: ctx.status ?? null,
    outcome: ending.outcome ?? null,
    prompt_tokens: usage ? usage.prompt_tokens : null,
    completion_tokens: usage ? usage.completion_tokens : null,
    total_tokens: usage ? usage.total_tokens : null,
    cost_usd: ctx.cached ? 0 : pricing && usage ? microsToUsd(costMicros(pricing, usage)) : null,
    latency_ms: Math.round(((ctx.endedAt ?? now) - ctx.started) * 100) / 100,
    cached: ctx.cached === true,
    error: ending.error ? (ending.error.code ?? ending.error.type) : null,
    count: 1,
    ...(ctx.usageEstimated ? { usage_estimated: true } : {}),
  }
}
