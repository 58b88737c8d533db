// One audit record per request that reached the pipeline: what was asked, who asked, what answered,
// what it cost and how it ended; refusals are one record per key, model, error and minute, with a count
// (refusals.ts). Stored as JSON in the time-ordered log `records`, indexed by the time the request
// arrived, so that GET /v1/admin/logs reads it newest first with an index scan.
import type { Endpoint } from '../../core/endpoint'
import { microsToUsd } from '../pricing'
import type { Cost, RelayOutcome, RequestContext } from '../types'

export interface AuditRecord {
  request_id: string
  /** When the request arrived, ISO 8601 (UTC). */
  timestamp: string
  /** The same instant in ms since the epoch (the log's index). */
  time: number
  /** The key's name when the request was made. */
  key: string
  /** The key's id (absent on records written before ids existed). */
  key_id?: string
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
  /** Of the completion tokens, those spent reasoning; present when the provider reported them. */
  reasoning_tokens?: number
  /**
   * From the model catalog's prices, with `[models.<name>]` overrides (rounded up to a micro-dollar, as
   * budgets charge); 0 for a cache hit (no provider was paid); null when it cannot be known, with why
   * in cost_reason: never a silent 0.
   */
  cost_usd: number | null
  /**
   * Why cost_usd is null: "no price for model X in the catalog or [models]", "the answer carried no
   * usage", "the request failed". Absent when it is not null.
   */
  cost_reason?: string
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

/** The record of a request; its cost is the pipeline's (ctx.cost). */
export function auditRecord(ctx: RequestContext, ending: Ending, now = performance.now()): AuditRecord {
  const usage = ctx.usage
  const cost = ctx.cached ? CACHED : (ctx.cost ?? UNPRICED)
  return {
    request_id: ctx.requestId,
    timestamp: new Date(ctx.startedAt).toISOString(),
    time: ctx.startedAt,
    key: ctx.key,
    key_id: ctx.principal.id,
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
    ...(usage?.reasoning_tokens ? { reasoning_tokens: usage.reasoning_tokens } : {}),
    cost_usd: cost.micros === null ? null : microsToUsd(cost.micros),
    ...(cost.micros === null ? { cost_reason: cost.reason } : {}),
    latency_ms: Math.round(((ctx.endedAt ?? now) - ctx.started) * 100) / 100,
    cached: ctx.cached === true,
    error: ending.error ? (ending.error.code ?? ending.error.type) : null,
    count: 1,
    ...(ctx.usageEstimated ? { usage_estimated: true } : {}),
  }
}

// --- internal ---

const CACHED: Cost = { micros: 0 }
/** A pipeline built without a catalog (tests) prices nothing. */
const UNPRICED: Cost = { micros: null, reason: 'no catalog' }
