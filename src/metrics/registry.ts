// Every Prometheus metric the gateway exports, defined on one prom-client Registry per AppContext (no
// module singletons: two gateways in one process never share a counter). Recording goes through label
// children cached by their label values (H5: prom-client hashes a label object on every `labels()`
// call; a cached child is one Map lookup). Label values are bounded: routes, registry models and
// providers, status classes and fixed outcome names; never request ids, key names or secrets.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Request durations run from sub-millisecond gateway answers (cache hits, refusals) to minutes-long streams. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

export type TokenKind = 'prompt' | 'completion' | 'cache_read' | 'cache_write'

/** The metric handles, each one already bound to its registry. */
export interface MetricSet {
  readonly register: Registry
  /** crabllm_requests_total{route, model, provider, status_class} */
  request(route: string, model: string, provider: string, status: number): Counter.Internal
  /** crabllm_request_duration_seconds{route, model, provider} */
  duration(route: string, model: string, provider: string): Histogram.Internal<string>
  /** crabllm_stream_first_byte_seconds{route, model, provider} */
  firstByte(route: string, model: string, provider: string): Histogram.Internal<string>
  /** crabllm_upstream_attempts_total{provider, outcome} */
  attempt(provider: string, outcome: string): Counter.Internal
  /** crabllm_retries_total{provider} */
  retry(provider: string): Counter.Internal
  /** crabllm_fallbacks_total{model} */
  fallback(model: string): Counter.Internal
  /** crabllm_tokens_total{model, provider, kind} */
  tokens(model: string, provider: string, kind: TokenKind): Counter.Internal
  /** crabllm_cost_usd_total{model} */
  cost(model: string): Counter.Internal
  /** crabllm_cache_events_total{result} */
  cache(result: 'hit' | 'miss'): Counter.Internal
  /** crabllm_rejections_total{reason} */
  rejection(reason: string): Counter.Internal
  /** crabllm_open_streams */
  readonly openStreams: Gauge
}

export interface MetricSetOptions {
  /** Read at scrape time for crabllm_in_flight_requests (the count graceful shutdown waits on). */
  inflight: { readonly count: number }
}

export function createMetricSet({ inflight }: MetricSetOptions): MetricSet {
  const register = new Registry()
  const registers = [register]
  collectProcessMetrics(register)

  const requests = new Counter({
    name: 'crabllm_requests_total',
    help: 'Model requests answered, by route, model, provider ("cache" for cache hits, "none" when refused before dispatch) and status class.',
    labelNames: ['route', 'model', 'provider', 'status_class'],
    registers,
  })
  const durations = new Histogram({
    name: 'crabllm_request_duration_seconds',
    help: 'Time from arrival to the end of the answer (for streams, to the end of the stream).',
    labelNames: ['route', 'model', 'provider'],
    buckets: DURATION_BUCKETS,
    registers,
  })
  const firstBytes = new Histogram({
    name: 'crabllm_stream_first_byte_seconds',
    help: 'Streams: time from arrival to the first event relayed to the client.',
    labelNames: ['route', 'model', 'provider'],
    buckets: DURATION_BUCKETS,
    registers,
  })
  const attempts = new Counter({
    name: 'crabllm_upstream_attempts_total',
    help: 'Calls to upstream deployments, by provider and outcome (ok, http_4xx, http_429, http_5xx, timeout, unreachable, client_closed).',
    labelNames: ['provider', 'outcome'],
    registers,
  })
  const retries = new Counter({
    name: 'crabllm_retries_total',
    help: 'Retries on the same deployment after a transient failure.',
    labelNames: ['provider'],
    registers,
  })
  const fallbacks = new Counter({
    name: 'crabllm_fallbacks_total',
    help: 'Moves to the next deployment of a model after one failed.',
    labelNames: ['model'],
    registers,
  })
  const tokens = new Counter({
    name: 'crabllm_tokens_total',
    help: 'Tokens reported by providers, by kind: prompt, completion, and cache_read / cache_write (parts of prompt).',
    labelNames: ['model', 'provider', 'kind'],
    registers,
  })
  const cost = new Counter({
    name: 'crabllm_cost_usd_total',
    help: 'Spend in USD from [models.<name>] pricing (rounded up to the micro-dollar per answer).',
    labelNames: ['model'],
    registers,
  })
  new Gauge({
    name: 'crabllm_in_flight_requests',
    help: 'Model requests being answered (streams until they end).',
    registers,
    collect() {
      this.set(inflight.count)
    },
  })
  const openStreams = new Gauge({
    name: 'crabllm_open_streams',
    help: 'Streams being relayed: from the first event sent until the stream ends.',
    registers,
  })
  const cacheEvents = new Counter({
    name: 'crabllm_cache_events_total',
    help: 'Response cache lookups by result (hit, miss); bypassed lookups are not counted.',
    labelNames: ['result'],
    registers,
  })
  const rejections = new Counter({
    name: 'crabllm_rejections_total',
    help: 'Model requests the gateway refused itself, by reason (auth, forbidden, model_not_found, bad_request, too_large, rate_limit, budget, other).',
    labelNames: ['reason'],
    registers,
  })

  const requestChild = children((v) => requests.labels(...v))
  return {
    register,
    request: (route, model, provider, status) => requestChild(route, model, provider, statusClass(status)),
    duration: children((v) => durations.labels(...v)),
    firstByte: children((v) => firstBytes.labels(...v)),
    attempt: children((v) => attempts.labels(...v)),
    retry: children((v) => retries.labels(...v)),
    fallback: children((v) => fallbacks.labels(...v)),
    tokens: children((v) => tokens.labels(...v)),
    cost: children((v) => cost.labels(...v)),
    cache: children((v) => cacheEvents.labels(...v)),
    rejection: children((v) => rejections.labels(...v)),
    openStreams,
  }
}

/** "2xx", "4xx", "5xx" (and "1xx"/"3xx", which the gateway does not produce). */
export function statusClass(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100)] ?? 'other'
}

// --- internal ---

const STATUS_CLASSES: Readonly<Record<number, string>> = { 1: '1xx', 2: '2xx', 3: '3xx', 4: '4xx', 5: '5xx' }

/** A label-values → child cache (the set of values is bounded, so the map is too). */
function children<C>(make: (values: string[]) => C): (...values: string[]) => C {
  const cache = new Map<string, C>()
  return (...values) => {
    const key = values.join('\u0000')
    let child = cache.get(key)
    if (child === undefined) cache.set(key, (child = make(values)))
    return child
  }
}

/**
 * prom-client's default process metrics. Checked under Bun 1.4: CPU, memory, file descriptors, start
 * time, heap size and version work; perf_hooks.monitorEventLoopDelay exists but never records (min
 * 9.2e9 s, mean NaN) and v8.getHeapSpaceStatistics reports zeros, so those series are removed rather
 * than exported as nonsense. nodejs_eventloop_lag_seconds (measured with setImmediate) stays.
 */
function collectProcessMetrics(register: Registry): void {
  collectDefaultMetrics({ register })
  if (!process.versions.bun) return
  for (const name of BROKEN_UNDER_BUN) register.removeSingleMetric(name)
}

const BROKEN_UNDER_BUN = [
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
]
