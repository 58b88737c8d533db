// The gateway's own metric families (counters, histograms, gauges) and their Prometheus text
// exposition, format 0.0.4. Recording is plain number updates on label children, and finding a child
// is one Map.get per label. The text is what prom-client 15.1 renders for the same metrics, byte for
// byte (test/metrics/families.test.ts records into both and compares); prom-client is kept only for
// the process metrics (registry.ts). Not here: which metrics exist (registry.ts).

/** One series of a counter. */
export class CounterChild {
  value = 0
  /** `labels` is the rendered label pairs, `route="chat",model="m"` ("" when unlabelled). */
  constructor(readonly labels: string) {}

  /** Adds `by` (1 by default). A counter never goes down: negative and NaN increments are dropped. */
  inc(by = 1): void {
    if (by > 0) this.value += by
  }
}

/** One series of a histogram: observations per bucket (not cumulative), their sum and count. */
export class HistogramChild {
  /** counts[i]: observations v with bounds[i - 1] < v <= bounds[i]; those above every bound are only in `count`. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(
    readonly labels: string,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length)
  }

  observe(value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && !(value <= bounds[i]!)) i++
    if (i < bounds.length) this.counts[i]!++
    this.sum += value
    this.count++
  }
}

/** What the exposition needs of a family. */
export interface MetricFamily {
  readonly name: string
  readonly help: string
  /** The family's text: HELP, TYPE, then one line per sample, without a trailing newline. */
  render(): string
}

export interface FamilyOptions<L extends readonly string[]> {
  name: string
  help: string
  /** Fixed at creation; every child has one value per name, in this order. */
  labelNames: L
}

/** The values of a family's labels, one string per label name. */
export type LabelValues<L extends readonly string[]> = { [K in keyof L]: string }

export class Counter<const L extends readonly string[] = readonly string[]> implements MetricFamily {
  readonly name: string
  readonly help: string
  readonly labelNames: L
  private readonly children: ChildTree<CounterChild>

  constructor({ name, help, labelNames }: FamilyOptions<L>) {
    checkNames(name, help, labelNames)
    this.name = name
    this.help = help
    this.labelNames = labelNames
    this.children = new ChildTree(labelNames, (labels) => new CounterChild(labels))
  }

  /** The child of these label values, made on first use. */
  labels(...values: LabelValues<L>): CounterChild {
    return this.children.get(values)
  }

  render(): string {
    const lines = [header(this.name, this.help, 'counter')]
    for (const child of this.children.list)
      lines.push(`${this.name}${braced(child.labels)} ${formatValue(child.value)}`)
    return lines.join('\n')
  }
}

export interface HistogramOptions<L extends readonly string[]> extends FamilyOptions<L> {
  /** Upper bounds, increasing and finite; +Inf is implied. */
  buckets: readonly number[]
}

export class Histogram<const L extends readonly string[] = readonly string[]> implements MetricFamily {
  readonly name: string
  readonly help: string
  readonly labelNames: L
  readonly buckets: readonly number[]
  private readonly children: ChildTree<HistogramChild>
  /** `le="0.005"` per bound, as prom-client prints it (String(bound)). */
  private readonly le: readonly string[]

  constructor({ name, help, labelNames, buckets }: HistogramOptions<L>) {
    checkNames(name, help, labelNames)
    if (labelNames.includes('le')) throw new Error(`${name}: "le" is reserved for histogram buckets`)
    if (!buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > buckets[i - 1]!)))
      throw new Error(`${name}: buckets must be finite and increasing: ${buckets.join(', ')}`)
    this.name = name
    this.help = help
    this.labelNames = labelNames
    this.buckets = [...buckets]
    this.le = buckets.map((b) => `le="${b}"`)
    const bounds = new Float64Array(buckets)
    this.children = new ChildTree(labelNames, (labels) => new HistogramChild(labels, bounds))
  }

  /** The child of these label values, made on first use. */
  labels(...values: LabelValues<L>): HistogramChild {
    return this.children.get(values)
  }

  render(): string {
    const { name, le } = this
    const lines = [header(name, this.help, 'histogram')]
    for (const child of this.children.list) {
      // prom-client puts `le` first, before the child's own labels.
      const rest = child.labels ? `,${child.labels}` : ''
      let cumulative = 0
      for (let i = 0; i < le.length; i++) {
        cumulative += child.counts[i]!
        lines.push(`${name}_bucket{${le[i]}${rest}} ${formatValue(cumulative)}`)
      }
      lines.push(
        `${name}_bucket{le="+Inf"${rest}} ${formatValue(child.count)}`,
        `${name}_sum${braced(child.labels)} ${formatValue(child.sum)}`,
        `${name}_count${braced(child.labels)} ${formatValue(child.count)}`,
      )
    }
    return lines.join('\n')
  }
}

export interface GaugeOptions {
  name: string
  help: string
  /** Read at scrape time instead of the recorded value (like prom-client's `collect`). */
  read?: () => number
}

/** An unlabelled gauge (labelled values read from elsewhere at scrape time are a Collected family). */
export class Gauge implements MetricFamily {
  readonly name: string
  readonly help: string
  value = 0
  private readonly read: (() => number) | undefined

  constructor({ name, help, read }: GaugeOptions) {
    checkNames(name, help, [])
    this.name = name
    this.help = help
    this.read = read
  }

  inc(by = 1): void {
    this.value += by
  }

  dec(by = 1): void {
    this.value -= by
  }

  set(value: number): void {
    this.value = value
  }

  render(): string {
    return `${header(this.name, this.help, 'gauge')}\n${this.name} ${formatValue(this.read ? this.read() : this.value)}`
  }
}

export interface CollectedOptions<L extends readonly string[]> extends FamilyOptions<L> {
  type: 'counter' | 'gauge'
  /** The samples at scrape time, in the order to print them: label values (one per name) and value. */
  collect: () => Iterable<readonly [LabelValues<L>, number]>
}

/**
 * A labelled family whose samples are read at scrape time from state kept elsewhere (the providers'
 * circuit breakers), like a prom-client metric whose `collect` resets and refills it: nothing is
 * recorded here, so a series disappears when its source does (a provider removed by a reload).
 */
export class Collected<const L extends readonly string[] = readonly string[]> implements MetricFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  readonly labelNames: L
  private readonly collect: () => Iterable<readonly [LabelValues<L>, number]>

  constructor({ name, help, type, labelNames, collect }: CollectedOptions<L>) {
    checkNames(name, help, labelNames)
    this.name = name
    this.help = help
    this.type = type
    this.labelNames = labelNames
    this.collect = collect
  }

  /** The samples now: label values and value, read from the source. */
  samples(): Iterable<readonly [LabelValues<L>, number]> {
    return this.collect()
  }

  render(): string {
    const lines = [header(this.name, this.help, this.type)]
    for (const [values, value] of this.samples()) {
      const labels = this.labelNames.map((label, i) => `${label}="${escapeLabelValue(values[i]!)}"`).join(',')
      lines.push(`${this.name}${braced(labels)} ${formatValue(value)}`)
    }
    return lines.join('\n')
  }
}

/** Families in order, as prom-client's Registry.metrics() joins them: a blank line between, a newline at the end. */
export function exposition(families: readonly MetricFamily[]): string {
  return `${families.map((f) => f.render()).join('\n\n')}\n`
}

/**
 * A sample value as prom-client prints it (lib/util.js getValueAsString): "Nan" (sic: Prometheus
 * parses floats case-insensitively), "+Inf", "-Inf", else JavaScript's own number formatting.
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return `${value}`
}

/** A label value escaped as prom-client does (lib/registry.js): backslash, newline, double quote. */
export function escapeLabelValue(value: string): string {
  return escapeText(value).replace(/"/g, '\\"')
}

// --- internal ---

/**
 * Label values → child, one Map per label level, children also listed in the order they were made
 * (prom-client's order: its hash map is keyed on first use). Measured on Bun 1.4.5 with a fresh model
 * string per lookup, as JSON.parse gives: three levels ~20-40 ns; one Map keyed by the values joined
 * with "\0" ~70-190 ns (the concatenation is flattened and hashed on every call).
 */
class ChildTree<C> {
  readonly list: C[] = []
  private readonly root = new Map<string, unknown>()

  constructor(
    private readonly labelNames: readonly string[],
    private readonly make: (labels: string) => C,
  ) {
    // Like prom-client, an unlabelled family has its one child (at 0) from the start.
    if (labelNames.length === 0) this.get([])
  }

  get(values: readonly string[]): C {
    if (values.length !== this.labelNames.length)
      throw new Error(
        `expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
      )
    let node: unknown = this.root
    for (let i = 0; i < values.length; i++) {
      node = (node as Map<string, unknown>).get(values[i]!)
      if (node === undefined) return this.add(values)
    }
    return values.length === 0 ? ((this.root.get('') as C | undefined) ?? this.add(values)) : (node as C)
  }

  private add(values: readonly string[]): C {
    let level = this.root
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined
      if (next === undefined) level.set(values[i]!, (next = new Map()))
      level = next
    }
    const child = this.make(this.labelNames.map((name, i) => `${name}="${escapeLabelValue(values[i]!)}"`).join(','))
    level.set(values.length === 0 ? '' : values[values.length - 1]!, child)
    this.list.push(child)
    return child
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function checkNames(name: string, help: string, labelNames: readonly string[]): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name: ${name}`)
  if (!help) throw new Error(`${name}: help is required`)
  for (const label of labelNames) if (!LABEL_NAME.test(label)) throw new Error(`${name}: invalid label name: ${label}`)
}

function header(name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): string {
  return `# HELP ${name} ${escapeText(help)}\n# TYPE ${name} ${type}`
}

function braced(labels: string): string {
  return labels ? `{${labels}}` : ''
}

/** HELP text and label values: backslash and newline escaped (prom-client's escapeString). */
function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}
