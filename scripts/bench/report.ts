// Turns bench results into the printed table and the target verdict. Formatting only.
import type { ScenarioResult } from './compare'

/** The stated goal: added p50 under this many ms for non-stream requests at one connection. */
export const TARGET_ADDED_P50_MS = 0.3

export interface Verdict {
  scenario: string
  addedP50: number
  targetMs: number
  met: boolean
}

/** The target applies to the non-stream chat scenario at 1 connection (chat-c1), when it ran. */
export function verdicts(results: readonly ScenarioResult[]): Verdict[] {
  return results
    .filter((r) => r.endpoint === 'chat' && !r.stream && r.concurrency === 1)
    .map((r) => ({ scenario: r.name, addedP50: r.added.p50, targetMs: TARGET_ADDED_P50_MS, met: r.added.p50 < TARGET_ADDED_P50_MS }))
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'conn', 'metric', 'direct p50', 'gw p50', 'added p50', 'direct p99', 'gw p99', 'added p99', 'ratio p50', 'direct req/s', 'gw req/s', 'req/s ratio']
  const rows: string[][] = []
  for (const r of results) {
    const throughput = [rate(r.direct.rps), rate(r.gateway.rps), ratio(r.ratio.rps)]
    if (r.stream && r.direct.ttfb && r.gateway.ttfb && r.addedTtfb) {
      rows.push([r.name, String(r.concurrency), 'ttfb', ms(r.direct.ttfb.p50), ms(r.gateway.ttfb.p50), plus(r.addedTtfb.p50), ms(r.direct.ttfb.p99), ms(r.gateway.ttfb.p99), plus(r.addedTtfb.p99), ratio(r.ratio.ttfbP50 ?? NaN), '', '', ''])
      rows.push(['', '', 'total', ms(r.direct.total.p50), ms(r.gateway.total.p50), plus(r.added.p50), ms(r.direct.total.p99), ms(r.gateway.total.p99), plus(r.added.p99), ratio(r.ratio.p50), ...throughput])
    } else {
      rows.push([r.name, String(r.concurrency), 'total', ms(r.direct.total.p50), ms(r.gateway.total.p50), plus(r.added.p50), ms(r.direct.total.p99), ms(r.gateway.total.p99), plus(r.added.p99), ratio(r.ratio.p50), ...throughput])
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
  const errors = results.filter((r) => r.direct.errors + r.gateway.errors > 0)
  for (const r of errors)
    out.push(`! ${r.name}: ${r.direct.errors} direct and ${r.gateway.errors} gateway errors (first: ${r.gateway.firstError ?? r.direct.firstError})`)
  return out.join('\n')
}

export function formatVerdicts(list: readonly Verdict[]): string {
  if (list.length === 0) return `target: added p50 < ${TARGET_ADDED_P50_MS} ms for non-stream chat at 1 connection (chat-c1 did not run)`
  return list
    .map((v) => `target: added p50 < ${v.targetMs} ms for non-stream chat at 1 connection — ${v.scenario}: ${plus(v.addedP50)} ms → ${v.met ? 'MET' : 'MISSED'}`)
    .join('\n')
}

// --- internal ---

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '-'
}

function plus(value: number): string {
  if (!Number.isFinite(value)) return '-'
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-'
}

function rate(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toString() : '-'
}
