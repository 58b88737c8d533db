// Every Prometheus metric the gateway exports, defined once per AppContext (no module singletons: two
// gateways in one process never share a counter). The gateway's own metrics are families.ts counters,
// histograms and gauges, recorded with plain number updates; prom-client only collects the process
// metrics, on its own Registry. Label values are bounded: routes, registry models and providers,
// status classes and fixed outcome names; never request ids, key names or secrets.
import type { Registry } from 'prom-client'
import { BUILD } from '../core/build-info'
import type { BreakerState } from '../routing/breaker'
import {
  Collected,
  Counter,
  type CounterChild,
  exposition,
  Gauge,
  Histogram,
  type HistogramChild,
  type MetricFamily,
} from './families'

/** Request durations run from sub-millisecond gateway answers (cache hits, refusals) to minutes-long streams. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
]

export type TokenKind = 'prompt' | 'completion' | 'cache_read' | 'cache_write' | 'reasoning'
/** Who counted tokens: the provider (its usage), or the gateway (a stream that ended without it). */
export type TokenSource = 'provider' | 'gateway'

/** The metric handles of one gateway. */
export interface MetricSet {
  /**
   * What one (route, model, provider) records into: requests, durations, first bytes, tokens, cost.
   * Look it up once per request (H5): one Map.get per label, then plain number updates. Measured on
   * Bun 1.4.5, a non-stream answer's five updates (request, duration, 2 × tokens, cost) cost ~60-150 ns
   * this way, against ~3 µs through prom-client's label children.
   */
  series(route: string, model: string, provider: string): RequestSeries
  /** crabllm_upstream_attempts_total{provider, outcome} */
  attempt(provider: string, outcome: string): CounterChild
  /** crabllm_retries_total{provider} */
  retry(provider: string): CounterChild
  /** crabllm_fallbacks_total{model} */
  fallback(model: string): CounterChild
  /** crabllm_cache_events_total{result} */
  cache(result: 'hit' | 'miss'): CounterChild
  /** crabllm_rejections_total{reason} */
  rejection(reason: string): CounterChild
  /** crabllm_open_streams */
  readonly openStreams: Gauge
  /** The gateway's own families, in exposition order. */
  readonly families: readonly MetricFamily[]
  /** The text exposition (format 0.0.4): the process metrics, then the gateway's own. */
  render(): Promise<string>
  /** text/plain; version=0.0.4; charset=utf-8 (prom-client's Registry.contentType). */
  readonly contentType: string
}

export interface MetricSetOptions {
  /** Read at scrape time for crabllm_in_flight_requests (the count graceful shutdown waits on). */
  inflight: { readonly count: number }
  /**
   * Read at scrape time for crabllm_provider_cooldown and crabllm_provider_cooldowns_total: each
   * provider's circuit breaker by name (the current registry's, so that reloads are followed).
   * Absent: no provider series.
   */
  breakers?: () => ReadonlyMap<string, BreakerView>
}

/** What the breaker metrics read of a provider's circuit breaker (src/routing/breaker.ts). */
export interface BreakerView {
  readonly state: BreakerState
  /** Times the breaker opened since the process started. */
  readonly trips: number
}

export function createMetricSet({ inflight, breakers = noBreakers }: MetricSetOptions): MetricSet {
  // prom-client (process metrics) loads at the first scrape: a gateway nobody scrapes never holds it.
  let processes: Promise<Registry> | undefined
  const processRegistry = () => (processes ??= processMetrics())

  const families: Families = {
    requests: new Counter({
      name: 'crabllm_requests_total',
      help: 'Model requests answered, by route, model, provider ("cache" for cache hits, "none" when refused before dispatch) and status class.',
      labelNames: ['route', 'model', 'provider', 'status_class'],
    }),
    durations: new Histogram({
      name: 'crabllm_request_duration_seconds',
      help: 'Time from arrival to the end of the answer (for streams, to the end of the stream).',
      labelNames: ['route', 'model', 'provider'],
      buckets: DURATION_BUCKETS,
    }),
    firstBytes: new Histogram({
      name: 'crabllm_stream_first_byte_seconds',
      help: 'Streams: time from arrival to the first event relayed to the client.',
      labelNames: ['route', 'model', 'provider'],
      buckets: DURATION_BUCKETS,
    }),
    tokens: new Counter({
      name: 'crabllm_tokens_total',
      help: 'Tokens of answers, by kind: prompt, completion, cache_read / cache_write (parts of prompt) and reasoning (part of completion); source "provider" as the provider reported them, "gateway" counted by the gateway for a stream that ended without them.',
      labelNames: ['model', 'provider', 'kind', 'source'],
    }),
    cost: new Counter({
      name: 'crabllm_cost_usd_total',
      help: 'Spend in USD from the model catalog, with [models.<name>] overrides (rounded up to the micro-dollar per answer).',
      labelNames: ['model'],
    }),
    unpriced: new Counter({
      name: 'crabllm_unpriced_answers_total',
      help: 'Answers whose cost is unknown (not in crabllm_cost_usd_total): the model has no price in the catalog or [models], or the answer carried no usage.',
      labelNames: ['model'],
    }),
  }
  const attempts = new Counter({
    name: 'crabllm_upstream_attempts_total',
    help: 'Calls to upstream deployments, by provider and outcome (ok, http_4xx, http_429, http_5xx, timeout, unreachable, client_closed).',
    labelNames: ['provider', 'outcome'],
  })
  const retries = new Counter({
    name: 'crabllm_retries_total',
    help: 'Retries on the same deployment after a transient failure.',
    labelNames: ['provider'],
  })
  const fallbacks = new Counter({
    name: 'crabllm_fallbacks_total',
    help: 'Moves to the next deployment of a model after one failed.',
    labelNames: ['model'],
  })
  const inFlight = new Gauge({
    name: 'crabllm_in_flight_requests',
    help: 'Model requests being answered (streams until they end).',
    read: () => inflight.count,
  })
  const openStreams = new Gauge({
    name: 'crabllm_open_streams',
    help: 'Streams being relayed: from the first event sent until the stream ends.',
  })
  const cacheEvents = new Counter({
    name: 'crabllm_cache_events_total',
    help: 'Response cache lookups by result (hit, miss); bypassed lookups are not counted.',
    labelNames: ['result'],
  })
  const rejections = new Counter({
    name: 'crabllm_rejections_total',
    help: 'Model requests the gateway refused itself, by reason (auth, forbidden, model_not_found, bad_request, too_large, rate_limit, budget, other).',
    labelNames: ['reason'],
  })
  const cooldown = new Collected({
    name: 'crabllm_provider_cooldown',
    help: 'Providers in cooldown: 1 while the circuit breaker is open or half-open (skipped, or one probe allowed), else 0.',
    type: 'gauge',
    labelNames: ['provider'],
    collect: () => breakerSamples(breakers(), (h) => (h.state === 'closed' ? 0 : 1)),
  })
  const cooldowns = new Collected({
    name: 'crabllm_provider_cooldowns_total',
    help: "Times a provider's circuit breaker opened (cooldown_failures failed attempts in a row, or a failed probe).",
    type: 'counter',
    labelNames: ['provider'],
    collect: () => breakerSamples(breakers(), (h) => h.trips),
  })
  const buildInfo = new Collected({
    name: 'crabllm_build_info',
    help: 'The build serving: always 1, with its version, commit, target and build time as labels.',
    type: 'gauge',
    labelNames: ['version', 'commit', 'target', 'built'],
    collect: () => [[[BUILD.version, BUILD.commit, BUILD.target, BUILD.built], 1] as const],
  })
  // The order prom-client exported them in (the order they were defined); the breaker families, then the build.
  const exported: readonly MetricFamily[] = [
    families.requests,
    families.durations,
    families.firstBytes,
    attempts,
    retries,
    fallbacks,
    families.tokens,
    families.cost,
    families.unpriced,
    inFlight,
    openStreams,
    cacheEvents,
    rejections,
    cooldown,
    cooldowns,
    buildInfo,
  ]

  const series = new Map<string, Map<string, Map<string, RequestSeries>>>()
  return {
    series(route, model, provider) {
      return series.get(route)?.get(model)?.get(provider) ?? addSeries(series, families, route, model, provider)
    },
    attempt: (provider, outcome) => attempts.labels(provider, outcome),
    retry: (provider) => retries.labels(provider),
    fallback: (model) => fallbacks.labels(model),
    cache: (result) => cacheEvents.labels(result),
    rejection: (reason) => rejections.labels(reason),
    openStreams,
    families: exported,
    // prom-client ends its text with a newline; a blank line separates families, as within each part.
    render: async () => `${await (await processRegistry()).metrics()}\n${exposition(exported)}`,
    contentType: PROMETHEUS_CONTENT_TYPE,
  }
}

/**
 * The children one (route, model, provider) records into. Each is made on first use, so that a
 * series nothing recorded is not exported, and series appear in the order they were first recorded
 * (as with prom-client).
 */
export class RequestSeries {
  private readonly requests: (CounterChild | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]
  private durationChild: HistogramChild | undefined
  private firstByteChild: HistogramChild | undefined
  private readonly tokenChildren: { [kind in `${TokenKind}:${TokenSource}`]?: CounterChild } = {}
  private costChild: CounterChild | undefined
  private unpricedChild: CounterChild | undefined

  constructor(
    private readonly families: Families,
    readonly route: string,
    readonly model: string,
    readonly provider: string,
  ) {}

  /** crabllm_requests_total{route, model, provider, status_class} */
  request(status: number): CounterChild {
    const i = statusClassIndex(status)
    return (this.requests[i] ??= this.families.requests.labels(
      this.route,
      this.model,
      this.provider,
      STATUS_CLASSES[i]!,
    ))
  }

  /** crabllm_request_duration_seconds{route, model, provider} */
  duration(): HistogramChild {
    return (this.durationChild ??= this.families.durations.labels(this.route, this.model, this.provider))
  }

  /** crabllm_stream_first_byte_seconds{route, model, provider} */
  firstByte(): HistogramChild {
    return (this.firstByteChild ??= this.families.firstBytes.labels(this.route, this.model, this.provider))
  }

  /** crabllm_tokens_total{model, provider, kind, source} */
  tokens(kind: TokenKind, source: TokenSource = 'provider'): CounterChild {
    return (this.tokenChildren[`${kind}:${source}`] ??= this.families.tokens.labels(
      this.model,
      this.provider,
      kind,
      source,
    ))
  }

  /** crabllm_cost_usd_total{model} */
  cost(): CounterChild {
    return (this.costChild ??= this.families.cost.labels(this.model))
  }

  /** crabllm_unpriced_answers_total{model} */
  unpriced(): CounterChild {
    return (this.unpricedChild ??= this.families.unpriced.labels(this.model))
  }
}

/** "2xx", "4xx", "5xx" (and "1xx"/"3xx", which the gateway does not produce); "other" outside 100-599. */
export function statusClass(status: number): string {
  return STATUS_CLASSES[statusClassIndex(status)]!
}

// --- internal ---

/** The families a RequestSeries records into. */
interface Families {
  readonly requests: Counter<readonly ['route', 'model', 'provider', 'status_class']>
  readonly durations: Histogram<readonly ['route', 'model', 'provider']>
  readonly firstBytes: Histogram<readonly ['route', 'model', 'provider']>
  readonly tokens: Counter<readonly ['model', 'provider', 'kind', 'source']>
  readonly cost: Counter<readonly ['model']>
  readonly unpriced: Counter<readonly ['model']>
}

const noBreakers = (): ReadonlyMap<string, BreakerView> => new Map()

function* breakerSamples(
  health: ReadonlyMap<string, BreakerView>,
  value: (h: BreakerView) => number,
): Iterable<readonly [readonly [string], number]> {
  for (const [provider, h] of health) yield [[provider], value(h)] as const
}

const STATUS_CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

function statusClassIndex(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) : 0
}

function addSeries(
  tree: Map<string, Map<string, Map<string, RequestSeries>>>,
  families: Families,
  route: string,
  model: string,
  provider: string,
): RequestSeries {
  let models = tree.get(route)
  if (models === undefined) tree.set(route, (models = new Map()))
  let providers = models.get(model)
  if (providers === undefined) models.set(model, (providers = new Map()))
  const added = new RequestSeries(families, route, model, provider)
  providers.set(provider, added)
  return added
}

/**
 * prom-client's default process metrics. Checked under Bun 1.4: CPU, memory, file descriptors, start
 * time, heap size and version work; perf_hooks.monitorEventLoopDelay exists but never records (min
 * 9.2e9 s, mean NaN) and v8.getHeapSpaceStatistics reports zeros, so those series are removed rather
 * than exported as nonsense. nodejs_eventloop_lag_seconds (measured with setImmediate) stays.
 */
async function processMetrics(): Promise<Registry> {
  const { collectDefaultMetrics, Registry } = await import('prom-client')
  const register = new Registry()
  collectDefaultMetrics({ register })
  if (process.versions.bun) for (const name of BROKEN_UNDER_BUN) register.removeSingleMetric(name)
  return register
}

/** The text exposition format 0.0.4's content type (prom-client's Registry.contentType). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

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
