// Issue #17's performance targets, judged on one run's results. They are reported, never failed on,
// except by `--check`, whose single rule is `checkVerdict`. Pure functions: tests call them directly.
import type { LoadResult } from './compare'
import type { OpenStreamsResult } from './open-streams'
import { isCrabllmTarget, type WorkersTargetName } from './scenarios'

type CrabllmTarget = 'crabllm' | WorkersTargetName

export type ScenarioResult = LoadResult | OpenStreamsResult

/** The numbers the targets name (issue #17; docs/benchmarks.md § Targets). */
export const TARGETS = {
  /** chat-minimal-c1: crabllm's added P50 at most this many ms above the bare relay's. */
  addedP50OverBareMs: 0.08,
  /** Every 32-connection load scenario: crabllm's req/s at least this share of the bare relay's. */
  c32RpsShareOfBare: 0.8,
  /** Streams at 1 connection (chat-stream-c1, long-stream-c1): crabllm's TTFB P50 at most this many ms above the bare relay's. */
  ttfbOverBareMs: 0.1,
  /** This many slow streams open at once must all complete… */
  openStreams: 1000,
  /** …with crabllm's resident memory (sampled during the run) at most this, in MB (10^6 bytes). */
  peakRssMB: 90,
  /** crabllm's resident memory after start-up, before any request, at most this, in MB. */
  idleRssMB: 60,
  /** The translated families: their added P50 at 1 connection at most this multiple of the passthrough's (chat-minimal-c1)… */
  translationRatio: 2,
  translated: ['messages-to-openai', 'anthropic-kind'],
  /** …and the passthrough families reported beside them, not judged. */
  passthroughReported: ['responses'],
  /** `--check` fails when crabllm's added P50 exceeds the bare relay's by more than this, in ms. */
  checkOverBareMs: 0.1,
} as const

/** The passthrough the translations are judged against is floored at this (ms), so that noise pushing it to ~0 does not fail them. */
const PASSTHROUGH_FLOOR_MS = 0.01

export interface Verdict {
  /** The target, in words. */
  rule: string
  /** null: the scenarios it needs did not run. */
  met: boolean | null
  /** The figures it was judged on, one line per scenario. */
  detail: string[]
}

/** What the verdicts read of a process (results.ts ProcessInfo): its idle memory. */
export interface ProcessMemory {
  target: string
  idleRssMB: number | null
  processCount?: number
}

/**
 * Every target judged on one run: per crabllm target (crabllm, and each `--workers` variant, whose rules
 * are then prefixed with its label), the added latency, the 32-connection throughput, the stream TTFB,
 * the open streams, the idle memory and the translations; then crabllm against the peer.
 */
export function verdicts(results: readonly ScenarioResult[], processes: readonly ProcessMemory[] = []): Verdict[] {
  const load = results.filter((r): r is LoadResult => r.kind === 'load')
  const names: CrabllmTarget[] = ['crabllm']
  for (const r of results)
    for (const name of Object.keys(r.targets)) if (isCrabllmTarget(name) && !names.includes(name)) names.push(name)
  for (const p of processes) if (isCrabllmTarget(p.target) && !names.includes(p.target)) names.push(p.target)
  const out: Verdict[] = []
  for (const name of names) {
    const label = labelOf(results, name)
    const prefix = names.length > 1 ? `${label}: ` : ''
    const judged = [
      addedLatencyVerdict(load, name),
      throughputVerdict(load, name),
      ttfbVerdict(load, name),
      openStreamsVerdict(results, name),
      idleRssVerdict(processes, name),
      translationVerdict(load, name),
    ]
    for (const v of judged) out.push({ ...v, rule: prefix + v.rule })
  }
  out.push(peerVerdict(load))
  return out
}

/** 1. chat-minimal-c1: added P50 ≤ the bare relay's + TARGETS.addedP50OverBareMs. */
export function addedLatencyVerdict(load: readonly LoadResult[], name: CrabllmTarget = 'crabllm'): Verdict {
  const r = load.find((x) => x.name === 'chat-minimal-c1')
  const crab = r?.targets[name]?.vsDirect?.p50
  const bare = r?.targets.bare?.vsDirect?.p50
  const rule = `added P50 at 1 connection (chat-minimal-c1) ≤ the bare relay's + ${ms2(TARGETS.addedP50OverBareMs)} ms`
  if (crab === undefined || bare === undefined)
    return { rule, met: null, detail: ['chat-minimal-c1 did not run for crabllm and the bare relay'] }
  const limit = bare + TARGETS.addedP50OverBareMs
  return {
    rule,
    met: crab <= limit,
    detail: [
      `crabllm ${signed(crab)} ms, bare relay ${signed(bare)} ms: ${signed(crab - bare)} ms over it (limit ${signed(limit)} ms)`,
    ],
  }
}

/**
 * 2. Every 32-connection load scenario: req/s ≥ TARGETS.c32RpsShareOfBare of the bare relay's in the
 * same scenario. Every scenario has a bare relay target (the translated ones too: it forwards the
 * client's request to the same path of the mock); one without its figure is left out and named.
 */
export function throughputVerdict(load: readonly LoadResult[], name: CrabllmTarget = 'crabllm'): Verdict {
  const rows = load.filter((r) => r.concurrency === 32 && r.targets[name])
  const judged = rows.filter((r) => r.targets[name]!.vsBare)
  const rule = `throughput at 32 connections ≥ ${pct(TARGETS.c32RpsShareOfBare)} of the bare relay's, every scenario`
  if (judged.length === 0)
    return { rule, met: null, detail: ['no 32-connection scenario ran for crabllm and the bare relay'] }
  const ok = (r: LoadResult) => r.targets[name]!.vsBare!.rpsShare >= TARGETS.c32RpsShareOfBare
  return {
    rule,
    met: judged.every(ok),
    detail: rows.map((r) =>
      r.targets[name]!.vsBare
        ? `${r.name}: ${pct(r.targets[name]!.vsBare!.rpsShare)} (${Math.round(r.targets[name]!.rps)} vs ${Math.round(r.targets.bare?.rps ?? NaN)} req/s) ${mark(ok(r))}`
        : `${r.name}: no bare relay figure, left out`,
    ),
  }
}

/** 3. Stream TTFB P50 at 1 connection ≤ the bare relay's + TARGETS.ttfbOverBareMs (chat-stream-c1, long-stream-c1). */
export function ttfbVerdict(load: readonly LoadResult[], name: CrabllmTarget = 'crabllm'): Verdict {
  const rows = load.filter((r) => r.stream && r.concurrency === 1 && r.targets[name]?.vsBare?.ttfbP50 !== undefined)
  const rule = `stream TTFB P50 at 1 connection ≤ the bare relay's + ${ms2(TARGETS.ttfbOverBareMs)} ms`
  const ok = (r: LoadResult) => r.targets[name]!.vsBare!.ttfbP50! <= TARGETS.ttfbOverBareMs
  if (rows.length === 0)
    return { rule, met: null, detail: ['no 1-connection stream scenario ran for crabllm and the bare relay'] }
  return {
    rule,
    met: rows.every(ok),
    detail: rows.map((r) => `${r.name}: ${signed(r.targets[name]!.vsBare!.ttfbP50!)} ms over the relay ${mark(ok(r))}`),
  }
}

/** 4. open-streams-1000: all complete, and the peak RSS sampled during the run ≤ TARGETS.peakRssMB. */
export function openStreamsVerdict(results: readonly ScenarioResult[], name: CrabllmTarget = 'crabllm'): Verdict {
  const r = results.find((x): x is OpenStreamsResult => x.kind === 'open-streams' && x.streams === TARGETS.openStreams)
  const crab = r?.targets[name]
  const rule = `${TARGETS.openStreams} open streams all complete and crabllm's peak RSS ≤ ${TARGETS.peakRssMB} MB`
  if (!crab) return { rule, met: null, detail: [`open-streams-${TARGETS.openStreams} did not run for crabllm`] }
  const rssOk = crab.peakRssMB !== null && crab.peakRssMB <= TARGETS.peakRssMB
  const detail = [
    `${crab.allCompleted ? 'all completed' : `${Math.min(...crab.runs.map((x) => x.completed))} of ${crab.streams} completed`}, ${crab.errors} errors, ${Math.round(crab.wallMs)} ms to complete`,
    `peak RSS ${crab.peakRssMB === null ? 'unknown' : `${crab.peakRssMB.toFixed(1)} MB`} ${mark(rssOk)}`,
  ]
  if (crab.upstreamPeakOpen !== null && crab.upstreamPeakOpen < crab.streams)
    detail.push(
      `the mock saw at most ${crab.upstreamPeakOpen} of them open at once: the rest waited in crabllm's upstream fetch queue`,
    )
  return { rule, met: crab.allCompleted && rssOk, detail }
}

/** 5. RSS after start-up, before any request ≤ TARGETS.idleRssMB (summed over a supervisor and its workers). */
export function idleRssVerdict(processes: readonly ProcessMemory[], name: CrabllmTarget = 'crabllm'): Verdict {
  const p = processes.find((x) => x.target === name)
  const rule = `crabllm's idle RSS (after start-up, before any request) ≤ ${TARGETS.idleRssMB} MB`
  if (!p) return { rule, met: null, detail: ['crabllm did not run'] }
  if (p.idleRssMB === null) return { rule, met: null, detail: ['its memory could not be read (no /proc)'] }
  const summed = (p.processCount ?? 1) > 1 ? `, summed over ${p.processCount} processes` : ''
  return {
    rule,
    met: p.idleRssMB <= TARGETS.idleRssMB,
    detail: [`idle RSS ${p.idleRssMB.toFixed(1)} MB${summed}`],
  }
}

/**
 * 6. Translation: the added P50 at 1 connection of each translated family ≤ TARGETS.translationRatio × the
 * passthrough's (chat-minimal-c1, floored at 0.01 ms). The Responses passthrough is reported beside them,
 * not judged.
 */
export function translationVerdict(load: readonly LoadResult[], name: CrabllmTarget = 'crabllm'): Verdict {
  const added = (scenario: string) => load.find((r) => r.name === scenario)?.targets[name]?.vsDirect?.p50
  const pass = added('chat-minimal-c1')
  const rule = `translation: added P50 at 1 connection of ${TARGETS.translated.join(' and ')} ≤ ${TARGETS.translationRatio}× the passthrough's (chat-minimal-c1)`
  const translated = TARGETS.translated.flatMap((f) => {
    const v = added(`${f}-c1`)
    return v === undefined ? [] : [{ name: `${f}-c1`, added: v }]
  })
  const reported = TARGETS.passthroughReported.flatMap((f) => {
    const v = added(`${f}-c1`)
    return v === undefined ? [] : [{ name: `${f}-c1`, added: v }]
  })
  if (translated.length === 0)
    return {
      rule,
      met: null,
      detail: [`${TARGETS.translated.map((f) => `${f}-c1`).join(' and ')} did not run for crabllm`],
    }
  if (pass === undefined)
    return {
      rule,
      met: null,
      detail: ['chat-minimal-c1 (the passthrough they are judged against) did not run for crabllm'],
    }
  const limit = TARGETS.translationRatio * Math.max(pass, PASSTHROUGH_FLOOR_MS)
  const times = (v: number) => (pass > 0 ? `${(v / pass).toFixed(2)}× ` : '')
  const ok = (v: number) => v <= limit
  return {
    rule,
    met: translated.every((t) => ok(t.added)),
    detail: [
      `chat-minimal-c1 (passthrough): ${signed(pass)} ms; limit ${signed(limit)} ms`,
      ...translated.map(
        (t) => `${t.name}: ${signed(t.added)} ms, ${times(t.added)}the passthrough's ${mark(ok(t.added))}`,
      ),
      ...reported.map(
        (t) => `${t.name} (passthrough, reported only): ${signed(t.added)} ms, ${times(t.added)}chat-minimal-c1's`,
      ),
    ],
  }
}

/** 7. Against the peer: more req/s and less added P50 in every scenario the peer ran. */
export function peerVerdict(load: readonly LoadResult[]): Verdict {
  const rows = load.filter((r) => r.targets.crabllm && r.targets.peer)
  const label = rows[0]?.targets.peer?.label ?? 'the peer'
  const rule = `beats ${label} in throughput and added latency in every scenario`
  const wins = (r: LoadResult) => {
    const c = r.targets.crabllm!
    const p = r.targets.peer!
    return c.rps > p.rps && (c.vsDirect?.p50 ?? NaN) < (p.vsDirect?.p50 ?? NaN)
  }
  return rows.length === 0
    ? { rule, met: null, detail: ['no peer ran (add --peers)'] }
    : {
        rule,
        met: rows.every(wins),
        detail: rows.map(
          (r) =>
            `${r.name}: ${Math.round(r.targets.crabllm!.rps)} vs ${Math.round(r.targets.peer!.rps)} req/s, ${signed(r.targets.crabllm!.vsDirect!.p50)} vs ${signed(r.targets.peer!.vsDirect!.p50)} ms ${mark(wins(r))}`,
        ),
      }
}

export interface CheckOutcome {
  ok: boolean
  message: string
}

/** `--check`: crabllm's added P50 at one connection may exceed the bare relay's by at most TARGETS.checkOverBareMs. */
export function checkVerdict(crabAddedP50: number, bareAddedP50: number): CheckOutcome {
  if (!Number.isFinite(crabAddedP50) || !Number.isFinite(bareAddedP50))
    return {
      ok: false,
      message: `check failed: could not measure the added P50 (crabllm ${crabAddedP50}, bare relay ${bareAddedP50})`,
    }
  const limit = bareAddedP50 + TARGETS.checkOverBareMs
  const figures = `crabllm adds ${ms(crabAddedP50)} ms P50 at 1 connection, the bare relay ${ms(bareAddedP50)} ms (limit ${ms(limit)} ms = the relay's + ${ms2(TARGETS.checkOverBareMs)} ms)`
  return crabAddedP50 <= limit
    ? { ok: true, message: `check passed: ${figures}` }
    : { ok: false, message: `check failed: ${figures}` }
}

export function formatVerdicts(list: readonly Verdict[]): string {
  return list
    .map(
      (v) =>
        `- **${v.met === null ? 'NOT RUN' : v.met ? 'MET' : 'MISSED'}** — ${v.rule}${v.detail.length ? `\n${v.detail.map((d) => `  - ${d}`).join('\n')}` : ''}`,
    )
    .join('\n')
}

// --- internal ---

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '?'
}

function signed(value: number): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(3)}` : '?'
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 100)} %` : '?'
}

/** A limit in ms as the rules name it: 0.08, 0.10. */
function ms2(value: number): string {
  return value.toFixed(2)
}

/** The label a crabllm target has in the results (e.g. "crabllm (2 workers)"). */
function labelOf(results: readonly ScenarioResult[], name: CrabllmTarget): string {
  for (const r of results) {
    const label = r.targets[name]?.label
    if (label) return label
  }
  return name
}

function mark(ok: boolean): string {
  return ok ? '✓' : '✗'
}
