// GET /v1/admin/stats: what the dashboard's overview and provider pages chart, computed from the audit
// extension's records (the only per-request history the gateway keeps) plus live gauges. One index scan
// of the window, newest first, bounded by MAX_STATS_RECORDS: past that the oldest records are left out
// and the answer says `truncated` (with the time from which its numbers are complete). Without
// [extensions.audit] the answer carries the live gauges only, `audit: false` and a hint.
// It does not read usage or budget counters (GET /v1/usage, GET /v1/budget answer those).
// A record stands for `count` requests (refused requests are aggregated per minute): requests, errors
// and top lists add up the counts, and latency percentiles weigh each record by its count.
import { badRequest } from '../core/errors'
import { AUDIT_LOG, type AuditRecord, countOf, isFailure } from '../extensions/audit'
import type { LogRecord } from '../storage/store'
import type { Stats, StatsBucket, StatsCounts, StatsRow } from '../wire/admin'
import type { AdminDeps } from './deps'

/** The windows a caller may ask for: how many buckets of how long. */
export const STATS_WINDOWS = {
  '1h': { bucketMs: 60_000, buckets: 60 },
  '24h': { bucketMs: 30 * 60_000, buckets: 48 },
} as const
export type StatsWindow = keyof typeof STATS_WINDOWS

/** The most audit records one answer reads (about 10 MB of JSON from Redis at ~500 bytes a record). */
export const MAX_STATS_RECORDS = 20_000
export const DEFAULT_TOP = 10
export const MAX_TOP = 100

export const AUDIT_HINT =
  'Add an [extensions.audit] table to the config file (and restart) to record requests and chart them.'

export interface StatsQuery {
  window: StatsWindow
  /** Rows in each top list. */
  top: number
}

/** Reads and checks the query string (window, top); a bad value is a 400 naming the parameter. */
export function parseStatsQuery(params: URLSearchParams): StatsQuery {
  const query: StatsQuery = { window: '1h', top: DEFAULT_TOP }
  const window = params.get('window')
  if (window !== null) {
    if (!Object.hasOwn(STATS_WINDOWS, window))
      throw badRequest(`window must be one of ${Object.keys(STATS_WINDOWS).join(', ')}, got "${window}".`, 'window')
    query.window = window as StatsWindow
  }
  const top = params.get('top')
  if (top !== null) {
    const n = /^\d{1,4}$/.test(top) ? Number(top) : Number.NaN
    if (!(n >= 1 && n <= MAX_TOP)) throw badRequest(`top must be an integer from 1 to ${MAX_TOP}, got "${top}".`, 'top')
    query.top = n
  }
  return query
}

/** Requests in flight and streams open now: this process's, or every worker's added up. */
async function liveGauges(ctx: AdminDeps): Promise<Stats['live']> {
  if (!ctx.cluster)
    return { inflight_requests: ctx.inflight.count, open_streams: ctx.metrics ? ctx.metrics.openStreams() : null }
  const all = await ctx.cluster.gather()
  return {
    inflight_requests: all.reduce((sum, w) => sum + w.inflight, 0),
    open_streams: ctx.metrics ? all.reduce((sum, w) => sum + w.openStreams, 0) : null,
    workers: all.map((w) => ({
      worker: w.worker,
      pid: w.pid,
      inflight_requests: w.inflight,
      open_streams: w.openStreams,
    })),
  }
}

export async function readStats(ctx: AdminDeps, query: StatsQuery, now = Date.now()): Promise<Stats> {
  const { bucketMs, buckets } = STATS_WINDOWS[query.window]
  const since = Math.floor(now / bucketMs) * bucketMs - (buckets - 1) * bucketMs
  const audit = ctx.pipeline.names.includes('audit')
  const base = {
    object: 'stats' as const,
    window: query.window,
    bucket_seconds: bucketMs / 1000,
    since,
    until: now,
    extensions: ctx.pipeline.names.filter((name) => name !== 'metrics'),
    live: await liveGauges(ctx),
    max_records: MAX_STATS_RECORDS,
  }
  if (!audit) {
    return {
      ...base,
      audit: false,
      hint: AUDIT_HINT,
      records: 0,
      truncated: false,
      totals: null,
      buckets: [],
      top_keys: { by_requests: [], by_spend: [] },
      top_models: { by_requests: [], by_spend: [] },
      providers: [],
    }
  }
  // The audit extension's records: the pipeline gives each extension the namespace of its name. Refusals
  // it is still counting are written first, so that the last minute's 429s show.
  await ctx.pipeline.flush()
  const read = await ctx.store.namespace('audit').recent(AUDIT_LOG, { since, until: now, limit: MAX_STATS_RECORDS + 1 })
  const truncated = read.length > MAX_STATS_RECORDS
  const records = truncated ? read.slice(0, MAX_STATS_RECORDS) : read
  const summary = summarize(records, { since, bucketMs, buckets, top: query.top })
  return {
    ...base,
    audit: true,
    records: records.length,
    truncated,
    // Records of the oldest millisecond read may continue past the cut: count from the next one.
    ...(truncated ? { complete_since: records[records.length - 1]!.time + 1 } : {}),
    ...summary,
  }
}

export interface SummaryOptions {
  since: number
  bucketMs: number
  buckets: number
  top: number
}

type Summary = Pick<Stats, 'buckets' | 'top_keys' | 'top_models' | 'providers'> & { totals: StatsCounts }

/** Adds up audit records (as stored: JSON strings) into buckets, totals, top lists and providers. */
export function summarize(records: readonly LogRecord[], options: SummaryOptions): Summary {
  const { since, bucketMs, buckets: count, top } = options
  const total = new Tally()
  const buckets = Array.from({ length: count }, () => new Tally())
  const keys = new Map<string, Tally>()
  const models = new Map<string, Tally>()
  const providers = new Map<string, Tally>()
  for (const entry of records) {
    const index = Math.floor((entry.time - since) / bucketMs)
    if (index < 0 || index >= count) continue
    let record: AuditRecord
    try {
      record = JSON.parse(entry.value) as AuditRecord
    } catch {
      continue
    }
    total.add(record)
    buckets[index]!.add(record)
    tallyOf(keys, record.key).add(record)
    tallyOf(models, record.model).add(record)
    if (record.provider !== null) tallyOf(providers, record.provider).add(record)
  }
  return {
    totals: total.counts(),
    buckets: buckets.map((tally, i): StatsBucket => ({ time: since + i * bucketMs, ...tally.counts() })),
    top_keys: topOf(keys, top),
    top_models: topOf(models, top),
    providers: rowsOf(providers).sort((a, b) => compareNames(a.name, b.name)),
  }
}

/** The value at percentile `p` (0–1) of ascending `sorted`, by nearest rank; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

/**
 * percentile() over values that stand for `weight` observations each ([value, weight], ascending by
 * value): the same answer as repeating each value `weight` times, without the copies.
 */
export function weightedPercentile(sorted: readonly (readonly [number, number])[], p: number): number | null {
  let total = 0
  for (const [, weight] of sorted) total += weight
  if (total === 0) return null
  const rank = Math.min(total, Math.max(1, Math.ceil(p * total)))
  let seen = 0
  for (const [value, weight] of sorted) {
    seen += weight
    if (seen >= rank) return value
  }
  return sorted[sorted.length - 1]![0]
}

// --- internal ---

class Tally {
  requests = 0
  errors = 0
  prompt = 0
  completion = 0
  tokens = 0
  /** Micro-dollars, so that sums of rounded costs stay exact. */
  micros = 0
  /** [latency, requests] per record. */
  readonly latencies: [number, number][] = []

  add(record: AuditRecord): void {
    const n = countOf(record)
    this.requests += n
    if (isFailure(record)) this.errors += n
    this.prompt += record.prompt_tokens ?? 0
    this.completion += record.completion_tokens ?? 0
    this.tokens += record.total_tokens ?? 0
    this.micros += Math.round((record.cost_usd ?? 0) * 1e6)
    if (Number.isFinite(record.latency_ms)) this.latencies.push([record.latency_ms, n])
  }

  counts(): StatsCounts {
    const sorted = this.latencies.sort((a, b) => a[0] - b[0])
    return {
      requests: this.requests,
      errors: this.errors,
      prompt_tokens: this.prompt,
      completion_tokens: this.completion,
      total_tokens: this.tokens,
      cost_usd: this.micros / 1e6,
      latency_p50_ms: weightedPercentile(sorted, 0.5),
      latency_p99_ms: weightedPercentile(sorted, 0.99),
    }
  }
}

function tallyOf(map: Map<string, Tally>, name: string): Tally {
  let tally = map.get(name)
  if (!tally) map.set(name, (tally = new Tally()))
  return tally
}

function rowsOf(map: Map<string, Tally>): StatsRow[] {
  return [...map].map(([name, tally]) => ({ name, ...tally.counts() }))
}

function topOf(map: Map<string, Tally>, top: number): Stats['top_keys'] {
  const rows = rowsOf(map)
  return {
    by_requests: [...rows].sort((a, b) => b.requests - a.requests || compareNames(a.name, b.name)).slice(0, top),
    by_spend: rows
      .filter((r) => r.cost_usd > 0)
      .sort((a, b) => b.cost_usd - a.cost_usd || compareNames(a.name, b.name))
      .slice(0, top),
  }
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
