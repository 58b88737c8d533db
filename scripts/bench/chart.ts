// The README chart: added P50 latency (target − direct, ms) per scenario and gateway, as grouped bars,
// one panel per connection count (the 32-connection figures are an order of magnitude larger, so they
// get their own axis). Hand-written SVG, no dependencies; `renderChart` is pure.
import type { LoadResult } from './compare'
import { isCrabllmTarget, type TargetName } from './scenarios'

export interface ChartSeries {
  target: TargetName
  label: string
  color: string
  /** Bars of this series may run off the top of the axis (cut, with their value printed) so that the others stay readable. */
  clip?: boolean
}

export interface ChartPanel {
  title: string
  /** One group of bars per scenario; `values[i]` belongs to `series[i]` (null: not measured). */
  groups: { scenario: string; label: string; values: (number | null)[] }[]
}

export interface ChartInput {
  title: string
  subtitle: string
  series: ChartSeries[]
  panels: ChartPanel[]
}

/** The gateways the chart shows, in bar order; the baseline (--baseline only) in a paler crabllm orange beside it. */
export const CHART_SERIES: readonly ChartSeries[] = [
  { target: 'crabllm', label: 'crabllm', color: '#e8590c' },
  { target: 'baseline', label: 'baseline', color: '#ffc078' },
  { target: 'bare', label: 'bare relay (Bun.serve + fetch)', color: '#868e96' },
  { target: 'peer', label: 'peer', color: '#1c7ed6', clip: true },
]

/** Colours of crabllm's --workers variants beside crabllm (in the order given): darker oranges and reds. */
export const WORKERS_COLORS: readonly string[] = ['#a61e4d', '#c92a2a', '#862e9c', '#5f3dc4']

/** The chart's input from load results: one panel per connection count, a series per gateway present. */
export function chartInput(results: readonly LoadResult[], subtitle: string): ChartInput {
  const labelOf = (target: TargetName) => results.find((r) => r.targets[target])?.targets[target]?.label
  // crabllm's --workers variants (crabllm-w2, …), right after crabllm.
  const variants: ChartSeries[] = []
  for (const r of results)
    for (const name of Object.keys(r.targets) as TargetName[])
      if (name !== 'crabllm' && isCrabllmTarget(name) && !variants.some((v) => v.target === name))
        variants.push({ target: name, label: name, color: WORKERS_COLORS[variants.length % WORKERS_COLORS.length]! })
  const known = CHART_SERIES.filter((s) => results.some((r) => r.targets[s.target]))
  const at = known.findIndex((s) => s.target === 'crabllm') + 1
  const present = [...known.slice(0, at), ...variants, ...known.slice(at)]
  // Every gateway but the bare relay carries its own name ("crabllm (2 workers)", "portkey 1.15.2", "baseline (crabllm-before)").
  const series = present.map((s) => (s.target === 'bare' ? s : { ...s, label: labelOf(s.target) ?? s.label }))
  const connections = [...new Set(results.map((r) => r.concurrency))].sort((a, b) => a - b)
  const panels = connections.map((c) => ({
    title: c === 1 ? '1 connection' : `${c} connections`,
    groups: results
      .filter((r) => r.concurrency === c)
      .map((r) => ({
        scenario: r.name,
        label: r.family,
        values: series.map((s) => r.targets[s.target]?.vsDirect?.p50 ?? null),
      })),
  }))
  return { title: 'Added latency per scenario (P50, ms, lower is better)', subtitle, series, panels }
}

export function renderChart(input: ChartInput): string {
  const width = 980
  const left = 70
  const right = 20
  const panelHeight = 260
  const top = 96
  const gap = 50
  const height = top + input.panels.length * (panelHeight + gap) - gap + 46
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img" aria-label="${esc(input.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="28" font-size="16" font-weight="600" fill="#212529">${esc(input.title)}</text>`,
    `<text x="${left}" y="48" font-size="12" fill="#495057">${esc(input.subtitle)}</text>`,
  ]
  // Legend.
  let lx = left
  for (const s of input.series) {
    out.push(
      `<g class="legend-item"><rect x="${lx}" y="62" width="14" height="14" rx="2" fill="${s.color}"/><text x="${lx + 20}" y="74" font-size="13" fill="#212529">${esc(s.label)}</text></g>`,
    )
    lx += 20 + textWidth(s.label, 13) + 28
  }
  if (input.series.some((s) => s.clip)) {
    const note = '↑ bar cut at the top of the axis; its label gives the value'
    // With four series (a baseline and a peer) the legend leaves no room: the note goes under it.
    const fits = lx + textWidth(note, 11) <= width - right
    out.push(`<text x="${fits ? lx : left}" y="${fits ? 74 : 92}" font-size="11" fill="#868e96">${esc(note)}</text>`)
  }
  input.panels.forEach((panel, p) => {
    const y0 = top + p * (panelHeight + gap) + 40
    const plotH = panelHeight - 40
    const plotW = width - left - right
    const axis = panelAxis(panel, input.series)
    const y = (v: number) => y0 + plotH - ((v - axis.min) / (axis.max - axis.min)) * plotH
    out.push(
      `<text x="${left}" y="${y0 - 24}" font-size="14" font-weight="600" fill="#212529">${esc(panel.title)}</text>`,
    )
    // Grid and axis labels.
    for (const tick of axis.ticks) {
      out.push(
        `<line x1="${left}" x2="${left + plotW}" y1="${r(y(tick))}" y2="${r(y(tick))}" stroke="${tick === 0 ? '#495057' : '#dee2e6'}" stroke-width="1"/>`,
      )
      out.push(
        `<text x="${left - 8}" y="${r(y(tick) + 4)}" font-size="11" text-anchor="end" fill="#495057">${formatTick(tick, axis.step)}</text>`,
      )
    }
    out.push(
      `<text transform="translate(${left - 50} ${r(y0 + plotH / 2)}) rotate(-90)" font-size="12" text-anchor="middle" fill="#495057">added P50 (ms)</text>`,
    )
    // Bars.
    const groupW = plotW / Math.max(1, panel.groups.length)
    const barW = Math.min(34, (groupW * 0.8) / Math.max(1, input.series.length))
    panel.groups.forEach((group, g) => {
      const gx = left + g * groupW + (groupW - barW * input.series.length) / 2
      group.values.forEach((value, i) => {
        const s = input.series[i]!
        const x = gx + i * barW
        if (value === null || !Number.isFinite(value)) {
          out.push(
            `<text x="${r(x + barW / 2)}" y="${r(y(0) - 4)}" font-size="10" text-anchor="middle" fill="#adb5bd">n/a</text>`,
          )
          return
        }
        const cut = value > axis.max
        const shown = cut ? axis.max : value
        const barTop = Math.min(y(shown), y(0))
        const h = Math.max(1, Math.abs(y(shown) - y(0)))
        out.push(
          `<rect class="bar" data-scenario="${esc(group.scenario)}" data-gateway="${s.target}" x="${r(x + 1)}" y="${r(barTop)}" width="${r(barW - 2)}" height="${r(h)}" fill="${s.color}"><title>${esc(`${group.scenario}, ${s.label}: ${value.toFixed(3)} ms`)}</title></rect>`,
        )
        // A cut bar gets a white break near its top.
        if (cut)
          out.push(
            `<path d="M${r(x)} ${r(barTop + 12)} L${r(x + barW)} ${r(barTop + 6)} L${r(x + barW)} ${r(barTop + 10)} L${r(x)} ${r(barTop + 16)} Z" fill="#ffffff"/>`,
          )
        const labelY = shown >= 0 ? barTop - 4 : barTop + h + 11
        out.push(
          `<text x="${r(x + barW / 2)}" y="${r(labelY)}" font-size="10" text-anchor="middle" fill="#343a40">${formatValue(value)}${cut ? ' ↑' : ''}</text>`,
        )
      })
      // A family name wider than its group (messages-to-openai) breaks at a hyphen onto a second line.
      const cx = r(left + g * groupW + groupW / 2)
      const lines = wrapLabel(group.label, groupW - 4, 12)
      out.push(
        `<text x="${cx}" y="${r(y0 + plotH + 18)}" font-size="12" text-anchor="middle" fill="#212529">${lines.map((line, i) => (i === 0 ? esc(line) : `<tspan x="${cx}" dy="14">${esc(line)}</tspan>`)).join('')}</text>`,
      )
    })
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

/** Round axis bounds and a 1/2/5×10^k step giving about five ticks. */
export function niceAxis(min: number, max: number): { min: number; max: number; step: number; ticks: number[] } {
  if (!(max > min)) max = min + 1
  const raw = (max - min) / 5
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!
  const lo = Math.floor(min / step) * step
  const hi = Math.ceil(max / step) * step
  const ticks: number[] = []
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Math.abs(t) < step / 1e6 ? 0 : t)
  return { min: lo, max: hi, step, ticks }
}

// --- internal ---

/**
 * The panel's axis. When a clippable series (the peer) reaches more than twice the others' highest bar,
 * the axis stops just above the others and the clippable bars are cut: otherwise a peer at +28 ms
 * flattens crabllm's +0.5 ms and the relay's +0.2 ms into the same sliver.
 */
function panelAxis(panel: ChartPanel, series: readonly ChartSeries[]) {
  const finite = (v: number | null): v is number => v !== null && Number.isFinite(v)
  const all = panel.groups.flatMap((g) => g.values).filter(finite)
  const kept = panel.groups.flatMap((g) => g.values.filter((_, i) => !series[i]?.clip)).filter(finite)
  const keptMax = Math.max(0, ...kept)
  const allMax = Math.max(0, ...all)
  const top = kept.length && allMax > 2 * keptMax && keptMax > 0 ? keptMax * 1.3 : allMax
  return niceAxis(Math.min(0, ...all), top)
}

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

function r(n: number): string {
  return (Math.round(n * 10) / 10).toString()
}

function formatTick(value: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step)))
  return value.toFixed(digits)
}

function formatValue(value: number): string {
  const abs = Math.abs(value)
  return value.toFixed(abs >= 10 ? 1 : abs >= 1 ? 2 : 3)
}

/** `label` on one line, or on two split at the hyphen nearest its middle when it is wider than `width`. */
export function wrapLabel(label: string, width: number, size: number): string[] {
  if (textWidth(label, size) <= width) return [label]
  let best = -1
  for (let i = label.indexOf('-'); i > 0; i = label.indexOf('-', i + 1))
    if (best < 0 || Math.abs(i - label.length / 2) < Math.abs(best - label.length / 2)) best = i
  return best < 0 ? [label] : [label.slice(0, best + 1), label.slice(best + 1)]
}

/** Rough width of a label (average glyph ≈ 0.55 em), for laying out the legend. */
function textWidth(text: string, size: number): number {
  return text.length * size * 0.55
}
