// Time-bucket charts drawn as SVG at the element's real width: stacked bars (requests and errors,
// tokens, spend) or lines (latency percentiles). Each bucket has a native tooltip; the figure has a
// text summary for screen readers and its data as a table under "Show data".
import { clock, hourMinute } from '../format'
import { useWidth } from '../hooks'

export interface Series {
  label: string
  values: readonly (number | null)[]
  /** Colour class: a, b (two data series) or err. */
  tone: 'a' | 'b' | 'err'
}

interface ChartProps {
  title: string
  times: readonly number[]
  series: readonly Series[]
  kind: 'stacked' | 'lines'
  format: (n: number) => string
  /** One sentence a screen reader reads for the whole chart. */
  summary: string
}

const HEIGHT = 170
const PAD = { top: 10, right: 8, bottom: 22, left: 52 }

export function Chart({ title, times, series, kind, format, summary }: ChartProps) {
  const [ref, width] = useWidth<HTMLDivElement>(600)
  const n = times.length
  const plotW = Math.max(10, width - PAD.left - PAD.right)
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const totals = times.map((_, i) =>
    kind === 'stacked'
      ? series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0)
      : Math.max(0, ...series.map((s) => s.values[i] ?? 0)),
  )
  const top = niceMax(Math.max(0, ...totals))
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH
  const slot = plotW / Math.max(1, n)
  const x = (i: number) => PAD.left + i * slot
  const ticks = n > 1 ? [0, Math.round((n - 1) / 2), n - 1] : [0]
  if (width >= 420 && n > 8)
    ticks.splice(1, 1, Math.round((n - 1) / 4), Math.round((n - 1) / 2), Math.round((3 * (n - 1)) / 4))

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={ref} class="chart-box">
        <svg width={width} height={HEIGHT} role="img" aria-label={`${title}: ${summary}`}>
          {[0, 0.5, 1].map((f) => (
            <g key={f}>
              <line class="grid" x1={PAD.left} x2={PAD.left + plotW} y1={y(top * f)} y2={y(top * f)} />
              <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">
                {format(top * f)}
              </text>
            </g>
          ))}
          {ticks.map((i) => (
            <text
              key={i}
              class="axis"
              x={i === 0 ? x(0) : i === n - 1 ? x(n - 1) + slot : x(i) + slot / 2}
              y={HEIGHT - 6}
              text-anchor={i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle'}
            >
              {times[i] !== undefined ? hourMinute(times[i]!) : ''}
            </text>
          ))}
          {kind === 'stacked' ? (
            <Bars series={series} n={n} x={x} y={y} slot={slot} />
          ) : (
            <Lines series={series} n={n} x={x} y={y} slot={slot} />
          )}
          {times.map((t, i) => (
            <rect key={t} class="hit" x={x(i)} y={PAD.top} width={slot} height={plotH}>
              <title>{`${clock(t)}: ${series.map((s) => `${s.label} ${s.values[i] === null || s.values[i] === undefined ? '–' : format(s.values[i]!)}`).join(', ')}`}</title>
            </rect>
          ))}
        </svg>
      </div>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.label}>
            <span class={`swatch ${s.tone}`} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
      <details class="chart-data">
        <summary>Show data</summary>
        {/* biome-ignore lint/a11y/useSemanticElements lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable and named to scroll by keyboard (axe scrollable-region-focusable) */}
        <div class="table-scroll" role="region" aria-label={`${title} data`} tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((t, i) => (
                <tr key={t}>
                  <th scope="row">{clock(t)}</th>
                  {series.map((s) => (
                    <td key={s.label}>
                      {s.values[i] === null || s.values[i] === undefined ? '–' : format(s.values[i]!)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  )
}

interface DrawProps {
  series: readonly Series[]
  n: number
  x: (i: number) => number
  y: (v: number) => number
  slot: number
}

function Bars({ series, n, x, y, slot }: DrawProps) {
  const gap = slot > 4 ? 1 : 0
  const bars = []
  for (let i = 0; i < n; i++) {
    let base = 0
    for (const s of series) {
      const v = s.values[i] ?? 0
      if (v <= 0) continue
      const y0 = y(base)
      const y1 = y(base + v)
      bars.push(
        <rect
          key={`${s.label}-${i}`}
          class={`bar ${s.tone}`}
          x={x(i) + gap / 2}
          y={y1}
          width={Math.max(1, slot - gap)}
          height={Math.max(1, y0 - y1)}
        />,
      )
      base += v
    }
  }
  return <g>{bars}</g>
}

function Lines({ series, n, x, y, slot }: DrawProps) {
  return (
    <g>
      {series.map((s) => {
        // One polyline per run of buckets that have a value (an empty bucket breaks the line).
        const runs: string[][] = []
        let run: string[] | undefined
        for (let i = 0; i < n; i++) {
          const v = s.values[i]
          if (v === null || v === undefined) {
            run = undefined
            continue
          }
          if (!run) runs.push((run = []))
          run.push(`${(x(i) + slot / 2).toFixed(1)},${y(v).toFixed(1)}`)
        }
        return runs.map((points, k) =>
          points.length === 1 ? (
            <circle
              key={`${s.label}-${k}`}
              class={`dot ${s.tone}`}
              cx={points[0]!.split(',')[0]}
              cy={points[0]!.split(',')[1]}
              r={2.5}
            />
          ) : (
            <polyline key={`${s.label}-${k}`} class={`line ${s.tone}`} points={points.join(' ')} />
          ),
        )
      })}
    </g>
  )
}

/** A round axis maximum at or above `max`: 1, 2, 2.5 or 5 × a power of ten. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}
