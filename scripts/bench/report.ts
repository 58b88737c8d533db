// Renders bench results as Markdown: the same text is printed by `bun run bench` and written into
// docs/benchmarks.md by --write-docs. Formatting only; the figures come from compare.ts and open-streams.ts.
import type { LoadResult, TargetFigures } from './compare'
import type { OpenStreamsResult } from './open-streams'
import type { BenchResults } from './results'
import { isCrabllmTarget, type TargetName } from './scenarios'
import { formatVerdicts } from './verdicts'

/**
 * Targets in table order: direct, the bare relay, crabllm, its --workers variants (in the order given),
 * the baseline (--baseline, compared with crabllm), the peer.
 */
export function orderTargets<T extends string>(names: Iterable<T>): T[] {
  const rank = (name: string) =>
    name === 'direct'
      ? 0
      : name === 'bare'
        ? 1
        : name === 'crabllm'
          ? 2
          : isCrabllmTarget(name)
            ? 3
            : name === 'baseline'
              ? 4
              : 5
  return [...names]
    .map((name, i) => ({ name, i }))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.i - b.i)
    .map((x) => x.name)
}

/** The whole report: run description, tables, memory, verdicts. */
export function formatReport(results: BenchResults): string {
  const load = results.scenarios.filter((r): r is LoadResult => r.kind === 'load')
  const open = results.scenarios.filter((r): r is OpenStreamsResult => r.kind === 'open-streams')
  const parts = [formatMachine(results)]
  if (load.length) parts.push('#### Latency and throughput', formatLoadTable(load))
  if (load.some((r) => r.targets.crabllm?.vsBaseline)) parts.push('#### crabllm vs baseline', formatBaselineTable(load))
  if (load.some((r) => Object.keys(r.targets).some((n) => n !== 'crabllm' && isCrabllmTarget(n))))
    parts.push('#### crabllm by number of workers', formatWorkersTable(load))
  if (load.some((r) => r.stream)) parts.push('#### Streams: time to first byte', formatTtfbTable(load))
  if (open.length) parts.push('#### Open streams', formatOpenStreamsTable(open))
  parts.push(
    '#### Memory (idle: after start-up, before any request; peak: VmHWM over the whole run)',
    formatProcessTable(results),
  )
  parts.push('#### Targets', formatVerdicts(results.verdicts))
  return parts.join('\n\n')
}

export function formatMachine(results: BenchResults): string {
  const m = results.meta
  const peer = results.processes.find((p) => p.target === 'peer')
  return [
    `Run ${m.date.slice(0, 16).replace('T', ' ')} UTC, \`${m.mode}\` mode, commit ${m.commit ?? 'unknown'}${m.srcDirty ? ' plus uncommitted changes in src/' : ''}, ${m.wallS.toFixed(0)} s wall time.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, Bun ${m.bun}, load average at start ${m.loadavgAtStart.map((n) => n.toFixed(2)).join(' ')}.`,
    `crabllm: ${m.crabllm === 'binary' ? 'compiled binary dist/crabllm' : 'bun src/main.ts'}, keys on, extensions: ${m.extensions}${m.workers ? `, \`serve --workers ${m.workers.join('` / `--workers ')}\`` : ''}. ` +
      (m.baseline ? `Baseline: compiled binary ${m.baseline}, same config and environment as crabllm. ` : '') +
      `Peer: ${peer ? peer.label : (m.peerSkipped ?? 'not run (add --peers)')}. ` +
      `Bun fetch limit in the gateways: ${m.fetchLimit ?? "Bun's default (256 in flight per process)"}.`,
    `Load scenarios: ${m.durationS} s measured per target in ${m.rounds} rotated rounds after ${m.warmupS} s warm-up; open streams: ${m.openStreamRounds} round(s). ` +
      'Every figure is the median over rounds; "added" is target − direct within a round; ms unless noted.',
  ].join('\n')
}

export function formatLoadTable(results: readonly LoadResult[]): string {
  const header = ['scenario', 'target', 'P50', 'P99', 'added P50', 'added P99', 'req/s', 'of direct', 'of bare relay']
  const rows: string[][] = []
  for (const r of results)
    for (const [name, t] of targetsOf(r)) {
      rows.push([
        r.name,
        t.label,
        ms(t.p50),
        ms(t.p99),
        name === 'direct' ? '' : signed(t.vsDirect?.p50),
        name === 'direct' ? '' : signed(t.vsDirect?.p99),
        rate(t.rps),
        name === 'direct' ? '' : pct(t.vsDirect?.rpsShare),
        t.vsBare ? pct(t.vsBare.rpsShare) : '',
      ])
    }
  const translated = results.some((r) => r.check !== undefined && r.check !== 'bytes')
  const note = translated
    ? "\n\nIn the translated scenarios (messages-to-openai, anthropic-kind) direct is the mock's endpoint in the upstream's format with the request the gateway sends upstream, so crabllm's added latency includes both translations; the bare relay forwards the client's request to the same path of the mock (its Messages or chat completions endpoint), without translating."
    : ''
  return table(header, rows, 2) + note + errorNotes(results)
}

/**
 * --workers with several counts: per load scenario, each crabllm's req/s and its share of the bare relay's
 * (taken within each round, then the median), side by side.
 */
export function formatWorkersTable(results: readonly LoadResult[]): string {
  const names = orderTargets(
    new Set(results.flatMap((r) => (Object.keys(r.targets) as TargetName[]).filter((n) => isCrabllmTarget(n)))),
  )
  const labels = names.map((n) => results.find((r) => r.targets[n])?.targets[n]?.label ?? n)
  const header = ['scenario', 'bare relay req/s', ...labels.flatMap((l) => [`${l} req/s`, 'of bare relay'])]
  const rows = results.map((r) => [
    r.name,
    r.targets.bare ? rate(r.targets.bare.rps) : '-',
    ...names.flatMap((n) => {
      const t = r.targets[n]
      return t ? [rate(t.rps), pct(t.vsBare?.rpsShare)] : ['-', '-']
    }),
  ])
  return table(header, rows, 1)
}

/**
 * --baseline: per load scenario, crabllm's added P50 and req/s beside the baseline's, and the two compared
 * within each round (same conditions) before the median, which is what a before/after verdict should rest on.
 */
export function formatBaselineTable(results: readonly LoadResult[]): string {
  const header = [
    'scenario',
    'crabllm added P50',
    'baseline added P50',
    'crabllm − baseline P50',
    'crabllm req/s',
    'baseline req/s',
    'crabllm req/s of baseline',
  ]
  const rows: string[][] = []
  for (const r of results) {
    const crab = r.targets.crabllm
    const base = r.targets.baseline
    if (!crab?.vsBaseline || !base) continue
    rows.push([
      r.name,
      signed(crab.vsDirect?.p50),
      signed(base.vsDirect?.p50),
      signed(crab.vsBaseline.p50),
      rate(crab.rps),
      rate(base.rps),
      pct(crab.vsBaseline.rpsShare),
    ])
  }
  const note =
    'Differences and shares are taken within each round, then the median: below 0 ms and above 100 % mean crabllm is faster than the baseline.'
  return `${table(header, rows, 1)}\n\n${note}`
}

export function formatTtfbTable(results: readonly LoadResult[]): string {
  const header = ['scenario', 'target', 'TTFB P50', 'TTFB P99', 'added vs direct', 'added vs bare relay']
  const rows: string[][] = []
  for (const r of results.filter((x) => x.stream))
    for (const [name, t] of targetsOf(r))
      rows.push([
        r.name,
        t.label,
        ms(t.ttfbP50),
        ms(t.ttfbP99),
        name === 'direct' ? '' : signed(t.vsDirect?.ttfbP50),
        t.vsBare ? signed(t.vsBare.ttfbP50) : '',
      ])
  return table(header, rows, 2)
}

export function formatOpenStreamsTable(results: readonly OpenStreamsResult[]): string {
  const header = [
    'streams',
    'target',
    'completed',
    'errors',
    'time to complete',
    'TTFB P50',
    'stream P50',
    'upstream peak open',
    'RSS MB before',
    'peak RSS MB',
  ]
  const rows: string[][] = []
  const notes: string[] = []
  for (const r of results)
    for (const name of orderTargets(Object.keys(r.targets) as TargetName[])) {
      const t = r.targets[name]
      if (!t) continue
      const completed = Math.min(...t.runs.map((x) => x.completed))
      rows.push([
        String(r.streams),
        t.label,
        t.allCompleted ? `all ${t.streams}` : `${completed} of ${t.streams}`,
        String(t.errors),
        ms(t.wallMs, 0),
        ms(t.ttfbP50, 1),
        ms(t.totalP50, 0),
        t.upstreamPeakOpen === null ? '?' : String(t.upstreamPeakOpen),
        name === 'direct' ? '' : mb(t.rssBeforeMB),
        name === 'direct' ? '' : mb(t.peakRssMB),
      ])
      if (t.firstError) notes.push(`\n\n! ${r.name} ${t.label}: ${t.errors} errors (first: ${t.firstError})`)
    }
  return table(header, rows, 2) + notes.join('')
}

export function formatProcessTable(results: BenchResults): string {
  // Absolute paths shortened to their file name: the table is about which program, not where it lives.
  const command = (argv: readonly string[]) =>
    argv
      .map((a) => (a.startsWith('/') ? a.slice(a.lastIndexOf('/') + 1) : a))
      .map((a) => (a === 'bun.exe' ? 'bun' : a))
      .join(' ')
  // Older results files have neither idleRssMB nor processCount.
  const rows = results.processes.map((p) => [
    p.label,
    `\`${command(p.command)}\``,
    p.idleRssMB === undefined || p.idleRssMB === null ? '?' : p.idleRssMB.toFixed(1),
    p.peakRssMB === null ? '?' : p.peakRssMB.toFixed(1),
    String(p.processCount ?? 1),
  ])
  const several = results.processes.some((p) => (p.processCount ?? 1) > 1)
  const note = several
    ? "\n\nFor several processes (a supervisor and its workers) the figures are sums: idle RSS is what they hold together; peak RSS adds each one's own peak, an upper bound of their peak together."
    : ''
  return table(['process', 'command', 'idle RSS MB', 'peak RSS MB', 'processes'], rows, 2) + note
}

// --- internal ---

function targetsOf(r: LoadResult): [TargetName, TargetFigures][] {
  return orderTargets(Object.keys(r.targets) as TargetName[]).flatMap((name) =>
    r.targets[name] ? [[name, r.targets[name]!] as [TargetName, TargetFigures]] : [],
  )
}

function errorNotes(results: readonly LoadResult[]): string {
  const notes: string[] = []
  for (const r of results)
    for (const [, t] of targetsOf(r))
      if (t.errors > 0)
        notes.push(`! ${r.name} ${t.label}: ${t.errors} of ${t.requests} requests failed (first: ${t.firstError})`)
  return notes.length ? `\n\n${notes.join('\n')}` : ''
}

/** A Markdown table padded to line up in a terminal too; columns from `leftColumns` on are right-aligned. */
function table(header: readonly string[], rows: readonly string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i < leftColumns ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

function ms(value: number | undefined, digits = 3): string {
  return value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '-'
}

function signed(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`
}

function pct(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${Math.round(value * 100)} %` : '-'
}

function mb(value: number | null): string {
  return value === null ? '?' : value.toFixed(1)
}

function rate(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toString() : '-'
}
