// The gateway's own metric families and their text exposition (src/metrics/families.ts): the text for
// known recordings (escaping, cumulative buckets, +Inf, sum and count, fractional counters, gauges),
// and the same recordings made into prom-client and into ours rendering byte for byte the same, for
// families of every shape and for the gateway's whole metric set.
import { describe, expect, test } from 'bun:test'
import * as prom from 'prom-client'
import {
  Collected,
  Counter,
  escapeLabelValue,
  exposition,
  formatValue,
  Gauge,
  Histogram,
  type MetricFamily,
} from '../../src/metrics/families'
import {
  createMetricSet,
  DURATION_BUCKETS,
  type MetricSet,
  statusClass,
  type TokenKind,
  type TokenSource,
} from '../../src/metrics/metric-set'
import type { BreakerState } from '../../src/routing/breaker'

// --- the text for known recordings ---

describe('text exposition', () => {
  test('a labelled counter: one line per child, in the order first used, label values escaped', () => {
    const c = new Counter({
      name: 'x_total',
      help: 'Help with a \\ backslash,\na newline and "quotes".',
      labelNames: ['a', 'b'],
    })
    c.labels('plain', 'second').inc()
    c.labels('back\\slash', 'quote"d').inc(2)
    c.labels('new\nline', '').inc(0)
    c.labels('plain', 'second').inc()
    expect(exposition([c])).toBe(
      [
        '# HELP x_total Help with a \\\\ backslash,\\na newline and "quotes".',
        '# TYPE x_total counter',
        'x_total{a="plain",b="second"} 2',
        'x_total{a="back\\\\slash",b="quote\\"d"} 2',
        'x_total{a="new\\nline",b=""} 0',
        '',
      ].join('\n'),
    )
  })

  test('a counter incremented by fractions (cost) prints the float sum; negative and NaN increments are dropped', () => {
    const c = new Counter({ name: 'cost_usd_total', help: 'Cost.', labelNames: ['model'] })
    const child = c.labels('m')
    for (const usd of [0.000017, 0.000017, 0.000015]) child.inc(usd)
    child.inc(-1)
    child.inc(Number.NaN)
    expect(child.value).toBe(0.000017 + 0.000017 + 0.000015)
    expect(c.render()).toBe(
      `# HELP cost_usd_total Cost.\n# TYPE cost_usd_total counter\ncost_usd_total{model="m"} ${0.000017 + 0.000017 + 0.000015}`,
    )
  })

  test('a labelled family nothing recorded into prints its HELP and TYPE only; an unlabelled one prints 0', () => {
    const labelled = new Counter({ name: 'a_total', help: 'A.', labelNames: ['x'] })
    const unlabelled = new Counter({ name: 'b_total', help: 'B.', labelNames: [] })
    const histogram = new Histogram({ name: 'c_seconds', help: 'C.', labelNames: [], buckets: [1] })
    expect(exposition([labelled, unlabelled, histogram])).toBe(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        '',
        '# HELP b_total B.',
        '# TYPE b_total counter',
        'b_total 0',
        '',
        '# HELP c_seconds C.',
        '# TYPE c_seconds histogram',
        'c_seconds_bucket{le="1"} 0',
        'c_seconds_bucket{le="+Inf"} 0',
        'c_seconds_sum 0',
        'c_seconds_count 0',
        '',
      ].join('\n'),
    )
  })

  test('a histogram: cumulative buckets with le first, +Inf equal to the count, then sum and count', () => {
    const h = new Histogram({ name: 'd_seconds', help: 'D.', labelNames: ['route'], buckets: [0.0005, 0.1, 1, 60] })
    const chat = h.labels('chat')
    for (const v of [0.0001, 0.0005, 0.05, 0.1, 0.1000001, 30, 600]) chat.observe(v) // 0.0005 and 0.1 fall in their own bucket
    h.labels('a "b"').observe(0)
    expect(h.render()).toBe(
      [
        '# HELP d_seconds D.',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{le="0.0005",route="chat"} 2',
        'd_seconds_bucket{le="0.1",route="chat"} 4',
        'd_seconds_bucket{le="1",route="chat"} 5',
        'd_seconds_bucket{le="60",route="chat"} 6',
        'd_seconds_bucket{le="+Inf",route="chat"} 7',
        `d_seconds_sum{route="chat"} ${0.0001 + 0.0005 + 0.05 + 0.1 + 0.1000001 + 30 + 600}`,
        'd_seconds_count{route="chat"} 7',
        'd_seconds_bucket{le="0.0005",route="a \\"b\\""} 1',
        'd_seconds_bucket{le="0.1",route="a \\"b\\""} 1',
        'd_seconds_bucket{le="1",route="a \\"b\\""} 1',
        'd_seconds_bucket{le="60",route="a \\"b\\""} 1',
        'd_seconds_bucket{le="+Inf",route="a \\"b\\""} 1',
        'd_seconds_sum{route="a \\"b\\""} 0',
        'd_seconds_count{route="a \\"b\\""} 1',
      ].join('\n'),
    )
  })

  test('gauges go up and down; one with `read` shows what it reads at scrape time', () => {
    const open = new Gauge({ name: 'open', help: 'Open.' })
    expect(open.render()).toBe('# HELP open Open.\n# TYPE open gauge\nopen 0')
    open.inc()
    open.inc()
    open.dec()
    expect(open.render()).toBe('# HELP open Open.\n# TYPE open gauge\nopen 1')
    open.dec(2)
    expect(open.render()).toBe('# HELP open Open.\n# TYPE open gauge\nopen -1')
    const source = { count: 3 }
    const inflight = new Gauge({ name: 'inflight', help: 'In flight.', read: () => source.count })
    expect(inflight.render()).toBe('# HELP inflight In flight.\n# TYPE inflight gauge\ninflight 3')
    source.count = 0
    expect(inflight.render()).toBe('# HELP inflight In flight.\n# TYPE inflight gauge\ninflight 0')
  })

  test.each([
    [1, '1'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1e+21'],
    [1.5e-7, '1.5e-7'],
    [-0, '0'],
    [Number.NaN, 'Nan'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('formatValue(%p) is %p, as prom-client prints it', (value, text) => {
    expect(formatValue(value)).toBe(text)
  })

  test.each([
    ['plain', 'plain'],
    ['a\\b', 'a\\\\b'],
    ['a"b', 'a\\"b'],
    ['a\nb', 'a\\nb'],
    ['\\"\n', '\\\\\\"\\n'],
    ['tab\tand ünïcode', 'tab\tand ünïcode'],
  ])('label value %p is escaped as %p', (value, escaped) => {
    expect(escapeLabelValue(value)).toBe(escaped)
  })

  test('label arity and names are checked', () => {
    const c = new Counter({ name: 'e_total', help: 'E.', labelNames: ['a', 'b'] })
    expect(() => (c.labels as (...v: string[]) => unknown)('only one')).toThrow('expected 2 label values')
    expect(() => new Counter({ name: 'bad-name', help: 'x', labelNames: [] })).toThrow('invalid metric name')
    expect(() => new Counter({ name: 'ok', help: 'x', labelNames: ['bad-label'] })).toThrow('invalid label name')
    expect(() => new Histogram({ name: 'ok', help: 'x', labelNames: ['le'], buckets: [1] })).toThrow('reserved')
    expect(() => new Histogram({ name: 'ok', help: 'x', labelNames: [], buckets: [2, 1] })).toThrow('increasing')
  })
})

// --- the same recordings into prom-client and into ours ---

/** mulberry32: a small seeded PRNG, so that a failure replays. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** prom-client's twin of one of our families, on `register`. */
function twin(family: MetricFamily, register: prom.Registry, read?: () => number): void {
  const base = { name: family.name, help: family.help, registers: [register] }
  if (family instanceof Counter) new prom.Counter({ ...base, labelNames: [...family.labelNames] })
  else if (family instanceof Histogram)
    new prom.Histogram({ ...base, labelNames: [...family.labelNames], buckets: [...family.buckets] })
  else if (family instanceof Gauge)
    new prom.Gauge({
      ...base,
      collect() {
        if (read) this.set(read())
      },
    })
  else if (family instanceof Collected) {
    // prom-client's way to export state kept elsewhere: reset, then refill from the source in collect().
    const samples = (): (readonly [readonly string[], number])[] => [...family.samples()]
    if (family.type === 'gauge')
      new prom.Gauge({
        ...base,
        labelNames: [...family.labelNames],
        collect() {
          this.reset()
          for (const [values, value] of samples()) this.labels(...values).set(value)
        },
      })
    else
      new prom.Counter({
        ...base,
        labelNames: [...family.labelNames],
        collect() {
          this.reset()
          for (const [values, value] of samples()) this.labels(...values).inc(value)
        },
      })
  } else throw new Error(`no twin for ${family.name}`)
}

const promCounter = (r: prom.Registry, name: string) => r.getSingleMetric(name) as prom.Counter<string>
const promHistogram = (r: prom.Registry, name: string) => r.getSingleMetric(name) as prom.Histogram<string>
const promGauge = (r: prom.Registry, name: string) => r.getSingleMetric(name) as prom.Gauge<string>

const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)]!
/** Label values that need escaping or look like prom-client's internal hash syntax, and plain ones. */
const LABEL_VALUES = [
  'chat',
  'gpt-4o-mini',
  'llama3:8b',
  'a,b',
  'back\\slash',
  'say "hi"',
  'two\nlines',
  '',
  'ünïcode ✓',
]
/** Bucket bounds themselves (they belong to their own bucket), between them, 0, and above the last. */
const OBSERVATIONS = [...DURATION_BUCKETS, 0, 1e-9, 0.0007, 0.3, 3.25, 599.999, 601, 7200]
/** Integer token counts (0 included) and micro-dollar costs as the extension adds them. */
const INCREMENTS = [0, 1, 4, 9, 12345, 0.000017, 0.000015, 1e-6, 0.1, 2.5]

describe('the same recordings render the same bytes as prom-client', () => {
  test('families of every shape', async () => {
    const random = seeded(7)
    const ours = [
      new Counter({
        name: 'lab_total',
        help: 'Labelled "counter" \\ with\nescapes.',
        labelNames: ['route', 'model', 'provider'],
      }),
      new Counter({ name: 'one_total', help: 'One label.', labelNames: ['reason'] }),
      new Counter({ name: 'none_total', help: 'Unlabelled.', labelNames: [] }),
      new Counter({ name: 'never_total', help: 'Never used.', labelNames: ['x'] }),
      new Histogram({
        name: 'lab_seconds',
        help: 'Labelled histogram.',
        labelNames: ['route', 'model'],
        buckets: DURATION_BUCKETS,
      }),
      new Histogram({ name: 'none_seconds', help: 'Unlabelled histogram.', labelNames: [], buckets: [0.1, 1, 10] }),
      new Gauge({ name: 'up_down', help: 'A gauge.' }),
    ] as const
    const [lab, one, none, , labH, noneH, gauge] = ours
    const register = new prom.Registry()
    for (const f of ours) twin(f, register)

    for (let i = 0; i < 3000; i++) {
      const v = pick(random, INCREMENTS)
      const [a, b, c] = [pick(random, LABEL_VALUES), pick(random, LABEL_VALUES), pick(random, LABEL_VALUES)]
      const o = pick(random, OBSERVATIONS)
      switch (Math.floor(random() * 7)) {
        case 0:
          lab.labels(a, b, c).inc(v)
          promCounter(register, lab.name).labels(a, b, c).inc(v)
          break
        case 1:
          one.labels(a).inc()
          promCounter(register, one.name).labels(a).inc()
          break
        case 2:
          none.labels().inc(v)
          promCounter(register, none.name).inc(v)
          break
        case 3:
          labH.labels(a, b).observe(o)
          promHistogram(register, labH.name).labels(a, b).observe(o)
          break
        case 4:
          noneH.labels().observe(o)
          promHistogram(register, noneH.name).observe(o)
          break
        case 5:
          gauge.inc(v)
          promGauge(register, gauge.name).inc(v)
          break
        default:
          gauge.dec(v)
          promGauge(register, gauge.name).dec(v)
      }
    }
    expect(exposition(ours)).toBe(await register.metrics())
  })

  test("the gateway's whole metric set, recorded through its series", async () => {
    const random = seeded(42)
    const inflight = { count: 0 }
    const breakers = new Map<string, { state: BreakerState; trips: number }>()
    const m = createMetricSet({ inflight, breakers: () => breakers })
    const register = new prom.Registry()
    for (const f of m.families)
      twin(f, register, f.name === 'crabllm_in_flight_requests' ? () => inflight.count : undefined)
    const record = recorder(m, register)

    const routes = ['chat', 'embeddings', 'messages']
    const models = ['gpt-4o-mini', 'claude "3"', 'unknown', 'llama3:8b']
    const providers = ['a', 'b\\c', 'cache', 'none', 'unknown']
    const kinds: TokenKind[] = ['prompt', 'completion', 'cache_read', 'cache_write']
    const SOURCES: TokenSource[] = ['provider', 'gateway']
    const statuses = [200, 200, 201, 400, 401, 404, 429, 500, 502, 504, 529, 99, 600]
    const outcomes = ['ok', 'http_4xx', 'http_429', 'http_5xx', 'timeout', 'unreachable', 'client_closed']
    for (let i = 0; i < 3000; i++) {
      const [route, model, provider] = [pick(random, routes), pick(random, models), pick(random, providers)]
      switch (Math.floor(random() * 10)) {
        case 0:
          record.request(route, model, provider, pick(random, statuses), pick(random, OBSERVATIONS))
          break
        case 1:
          record.firstByte(route, model, provider, pick(random, OBSERVATIONS))
          break
        case 2:
          record.tokens(route, model, provider, pick(random, kinds), pick(random, SOURCES), pick(random, INCREMENTS))
          break
        case 3:
          record.cost(route, model, provider, pick(random, INCREMENTS))
          break
        case 4:
          record.attempt(provider, pick(random, outcomes))
          break
        case 5:
          record.retry(provider)
          record.fallback(model)
          break
        case 6:
          record.cache(random() < 0.5 ? 'hit' : 'miss')
          break
        case 7:
          record.rejection(pick(random, ['auth', 'rate_limit', 'budget', 'other']))
          break
        case 8:
          if (random() < 0.5) record.stream(random() < 0.6 ? 1 : -1)
          else
            breakers.set(provider, {
              state: pick(random, ['closed', 'open', 'half_open'] as const),
              trips: Math.floor(random() * 4),
            })
          break
        default:
          inflight.count = Math.floor(random() * 5)
      }
    }
    expect(exposition(m.families)).toBe(await register.metrics())
  })

  test('render(): the process metrics from prom-client, then ours, as one registry printed them', async () => {
    const m = createMetricSet({ inflight: { count: 2 } })
    m.series('chat', 'm', 'p').request(200).inc()
    const text = await m.render()
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(text.startsWith('# HELP process_cpu_user_seconds_total')).toBe(true)
    expect(text.endsWith(`\n\n${exposition(m.families)}`)).toBe(true)
    expect(text).toContain('\ncrabllm_requests_total{route="chat",model="m",provider="p",status_class="2xx"} 1\n')
    expect(text).toContain('\ncrabllm_in_flight_requests 2\n')
    expect(text).not.toContain('\n\n\n')
  })

  test('two metric sets share nothing', () => {
    const one = createMetricSet({ inflight: { count: 0 } })
    const two = createMetricSet({ inflight: { count: 0 } })
    one.series('chat', 'm', 'p').request(200).inc()
    one.openStreams.inc()
    expect(exposition(two.families)).not.toContain('crabllm_requests_total{')
    expect(exposition(two.families)).toContain('\ncrabllm_open_streams 0\n')
  })
})

test.each([
  [200, '2xx'],
  [404, '4xx'],
  [529, '5xx'],
  [101, '1xx'],
  [99, 'other'],
  [600, 'other'],
])('status %p is in class %p', (status, cls) => {
  expect(statusClass(status)).toBe(cls)
})

// --- internal ---

/** Records each event into the metric set (as the extension does) and into prom-client twins (as the old registry did). */
function recorder(m: MetricSet, r: prom.Registry) {
  const counter = (name: string) => promCounter(r, name)
  return {
    request(route: string, model: string, provider: string, status: number, seconds: number) {
      const s = m.series(route, model, provider)
      s.request(status).inc()
      s.duration().observe(seconds)
      counter('crabllm_requests_total').labels(route, model, provider, statusClass(status)).inc()
      promHistogram(r, 'crabllm_request_duration_seconds').labels(route, model, provider).observe(seconds)
    },
    firstByte(route: string, model: string, provider: string, seconds: number) {
      m.series(route, model, provider).firstByte().observe(seconds)
      promHistogram(r, 'crabllm_stream_first_byte_seconds').labels(route, model, provider).observe(seconds)
    },
    tokens(route: string, model: string, provider: string, kind: TokenKind, source: TokenSource, n: number) {
      m.series(route, model, provider).tokens(kind, source).inc(n)
      counter('crabllm_tokens_total').labels(model, provider, kind, source).inc(n)
    },
    cost(route: string, model: string, provider: string, usd: number) {
      m.series(route, model, provider).cost().inc(usd)
      counter('crabllm_cost_usd_total').labels(model).inc(usd)
    },
    attempt(provider: string, outcome: string) {
      m.attempt(provider, outcome).inc()
      counter('crabllm_upstream_attempts_total').labels(provider, outcome).inc()
    },
    retry(provider: string) {
      m.retry(provider).inc()
      counter('crabllm_retries_total').labels(provider).inc()
    },
    fallback(model: string) {
      m.fallback(model).inc()
      counter('crabllm_fallbacks_total').labels(model).inc()
    },
    cache(result: 'hit' | 'miss') {
      m.cache(result).inc()
      counter('crabllm_cache_events_total').labels(result).inc()
    },
    rejection(reason: string) {
      m.rejection(reason).inc()
      counter('crabllm_rejections_total').labels(reason).inc()
    },
    stream(delta: 1 | -1) {
      if (delta > 0) m.openStreams.inc()
      else m.openStreams.dec()
      promGauge(r, 'crabllm_open_streams').inc(delta)
    },
  }
}
