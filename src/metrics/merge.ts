// One /metrics view of a gateway that runs several worker processes: the expositions of every worker
// merged into one. The gateway's own families (crabllm_*) are added up series by series (counters,
// histogram buckets, sums and counts, and the in-flight and open-stream gauges all add), except the
// gauges that say a state rather than an amount (a provider's cooldown: 1 when any worker has it open;
// the build info: 1).
// The runtime's families (process_*, nodejs_*: memory, CPU, event-loop lag) describe one process each,
// and adding them would make no sense for most: each sample keeps its worker in a `worker` label.

import { formatValue } from './families'

/** Gauges that hold a state per series: the highest value across workers is the gateway's. */
const HIGHEST = new Set(['crabllm_provider_cooldown', 'crabllm_build_info'])

interface Family {
  name: string
  header: string[]
  /** Series line prefix (name and labels) → value, in first-seen order. */
  samples: Map<string, number>
}

export interface WorkerExposition {
  worker: number
  text: string
}

export function mergeExpositions(parts: readonly WorkerExposition[]): string {
  const families = new Map<string, Family>()
  const order: Family[] = []
  for (const { worker, text } of parts) {
    let family: Family | undefined
    for (const line of text.split('\n')) {
      if (line === '') continue
      if (line.startsWith('#')) {
        const [, kind, name] = line.split(' ', 3) as [string, string?, string?]
        if ((kind !== 'HELP' && kind !== 'TYPE') || !name) continue
        family = families.get(name)
        if (!family) {
          family = { name, header: [], samples: new Map() }
          families.set(name, family)
          order.push(family)
        }
        if (family.header.length < 2 && !family.header.some((h) => h.startsWith(`# ${kind} `))) family.header.push(line)
        continue
      }
      const space = line.lastIndexOf(' ')
      if (space <= 0) continue
      let series = line.slice(0, space)
      const value = Number(line.slice(space + 1))
      const sampleName = series.split('{', 1)[0]!
      // A sample belongs to the family of the last header whose name starts it (histograms: _bucket…).
      const owner = family && sampleName.startsWith(family.name) ? family : (families.get(sampleName) ?? family)
      if (!owner) continue
      if (!owner.name.startsWith('crabllm_')) series = withWorker(series, worker)
      const before = owner.samples.get(series)
      if (before === undefined) owner.samples.set(series, value)
      else owner.samples.set(series, HIGHEST.has(owner.name) ? Math.max(before, value) : before + value)
    }
  }
  const out: string[] = []
  for (const family of order) {
    const lines = [...family.header]
    for (const [series, value] of family.samples) lines.push(`${series} ${formatValue(value)}`)
    out.push(lines.join('\n'))
  }
  return `${out.join('\n\n')}\n`
}

/** `name{a="b"}` → `name{worker="N",a="b"}`; `name` → `name{worker="N"}`. */
function withWorker(series: string, worker: number): string {
  const brace = series.indexOf('{')
  if (brace < 0) return `${series}{worker="${worker}"}`
  const rest = series.slice(brace + 1)
  return `${series.slice(0, brace)}{worker="${worker}"${rest === '}' ? '}' : `,${rest}`}`
}
