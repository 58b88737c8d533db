// The issue's performance targets, judged on one run's results. They are reported, never failed on,
// except by `--check`, whose single rule is `checkVerdict`. Pure functions: tests call them directly.
import type { LoadResult } from './compare'
import type { OpenStreamsResult } from './open-streams'

export type ScenarioResult = LoadResult | OpenStreamsResult

/** The numbers the targets name (docs/benchmarks.md § Targets). */
export const TARGETS = {
  /** chat-minimal-c1: crabllm's added P50 at most this much above the bare relay's (20 %)… */
  addedP50VsBareRatio: 1.2,
  /** …and below this, in ms. */
  addedP50Ms: 0.15,
  /** 32 connections: crabllm's req/s at least this share of the bare relay's. */
  c32RpsShareOfBare: 0.9,
  /** Streams at 1 connection: crabllm's TTFB P50 at most this many ms above the bare relay's. */
  ttfbVsBareMs: 0.1,
  /** This many slow streams open at once must all complete… */
  openStreams: 1000,
  /** …with crabllm's resident memory below this, in MB (10^6 bytes). */
  peakRssMB: 100,
  /** `--check` fails when crabllm's added P50 exceeds this multiple of the bare relay's. */
  checkRatio: 2,
} as const

export interface Verdict {
  /** The target, in words. */
  rule: string
  /** null: the scenarios it needs did not run. */
  met: boolean | null
  /** The figures it was judged on, one line per scenario. */
  detail: string[]
}

export function verdicts(results: readonly ScenarioResult[]): Verdict[] {
  const load = results.filter((r): r is LoadResult => r.kind === 'load')
  const find = (name: string) => load.find((r) => r.name === name)
  const out: Verdict[] = []

  // 1. Added latency at one connection, non-stream chat.
  {
    const r = find('chat-minimal-c1')
    const crab = r?.targets.crabllm?.vsDirect?.p50
    const bare = r?.targets.bare?.vsDirect?.p50
    const rule = `added P50 at 1 connection (chat-minimal-c1) within ${pct(TARGETS.addedP50VsBareRatio - 1)} of the bare relay's and < ${TARGETS.addedP50Ms} ms`
    if (crab === undefined || bare === undefined)
      out.push({ rule, met: null, detail: ['chat-minimal-c1 did not run for crabllm and the bare relay'] })
    else {
      const met = crab <= TARGETS.addedP50VsBareRatio * Math.max(bare, 0) && crab < TARGETS.addedP50Ms
      out.push({
        rule,
        met,
        detail: [`crabllm ${signed(crab)} ms, bare relay ${signed(bare)} ms (${ratio(crab, bare)} of the relay's)`],
      })
    }
  }

  // 2. Throughput at 32 connections.
  {
    const rows = load.filter((r) => r.concurrency === 32 && r.targets.crabllm?.vsBare)
    const rule = `throughput at 32 connections ≥ ${pct(TARGETS.c32RpsShareOfBare)} of the bare relay's`
    out.push(
      rows.length === 0
        ? { rule, met: null, detail: ['no 32-connection scenario ran for crabllm and the bare relay'] }
        : {
            rule,
            met: rows.every((r) => r.targets.crabllm!.vsBare!.rpsShare >= TARGETS.c32RpsShareOfBare),
            detail: rows.map(
              (r) =>
                `${r.name}: ${pct(r.targets.crabllm!.vsBare!.rpsShare)} ${mark(r.targets.crabllm!.vsBare!.rpsShare >= TARGETS.c32RpsShareOfBare)}`,
            ),
          },
    )
  }

  // 3. Stream time to first byte.
  {
    const rows = load.filter((r) => r.stream && r.concurrency === 1 && r.targets.crabllm?.vsBare?.ttfbP50 !== undefined)
    const rule = `stream TTFB P50 at 1 connection within ${TARGETS.ttfbVsBareMs} ms of the bare relay's`
    const ok = (r: LoadResult) => r.targets.crabllm!.vsBare!.ttfbP50! <= TARGETS.ttfbVsBareMs
    out.push(
      rows.length === 0
        ? { rule, met: null, detail: ['no 1-connection stream scenario ran for crabllm and the bare relay'] }
        : {
            rule,
            met: rows.every(ok),
            detail: rows.map(
              (r) => `${r.name}: ${signed(r.targets.crabllm!.vsBare!.ttfbP50!)} ms over the relay ${mark(ok(r))}`,
            ),
          },
    )
  }

  // 4. Open streams.
  {
    const r = results.find(
      (x): x is OpenStreamsResult => x.kind === 'open-streams' && x.streams === TARGETS.openStreams,
    )
    const crab = r?.targets.crabllm
    const rule = `${TARGETS.openStreams} open streams all complete and crabllm's peak RSS < ${TARGETS.peakRssMB} MB`
    if (!crab) out.push({ rule, met: null, detail: [`open-streams-${TARGETS.openStreams} did not run for crabllm`] })
    else {
      const rssOk = crab.peakRssMB !== null && crab.peakRssMB < TARGETS.peakRssMB
      const detail = [
        `${crab.allCompleted ? 'all completed' : `${Math.min(...crab.runs.map((x) => x.completed))} of ${crab.streams} completed`}, ${crab.errors} errors, ${Math.round(crab.wallMs)} ms to complete`,
        `peak RSS ${crab.peakRssMB === null ? 'unknown' : `${crab.peakRssMB.toFixed(1)} MB`}`,
      ]
      if (crab.upstreamPeakOpen !== null && crab.upstreamPeakOpen < crab.streams)
        detail.push(
          `the mock saw at most ${crab.upstreamPeakOpen} of them open at once: the rest waited in crabllm's upstream fetch queue`,
        )
      out.push({ rule, met: crab.allCompleted && rssOk, detail })
    }
  }

  // 5. Against the peer.
  {
    const rows = load.filter((r) => r.targets.crabllm && r.targets.peer)
    const label = rows[0]?.targets.peer?.label ?? 'the peer'
    const rule = `beats ${label} in throughput and added latency in every scenario`
    const wins = (r: LoadResult) => {
      const c = r.targets.crabllm!
      const p = r.targets.peer!
      return c.rps > p.rps && (c.vsDirect?.p50 ?? NaN) < (p.vsDirect?.p50 ?? NaN)
    }
    out.push(
      rows.length === 0
        ? { rule, met: null, detail: ['no peer ran (add --peers)'] }
        : {
            rule,
            met: rows.every(wins),
            detail: rows.map(
              (r) =>
                `${r.name}: ${Math.round(r.targets.crabllm!.rps)} vs ${Math.round(r.targets.peer!.rps)} req/s, ${signed(r.targets.crabllm!.vsDirect!.p50)} vs ${signed(r.targets.peer!.vsDirect!.p50)} ms ${mark(wins(r))}`,
            ),
          },
    )
  }
  return out
}

export interface CheckOutcome {
  ok: boolean
  message: string
}

/**
 * `--check`: crabllm's added P50 at one connection may be at most TARGETS.checkRatio × the bare relay's.
 * The relay's figure is floored at 0.01 ms, so that noise pushing it to ~0 does not fail a good gateway.
 */
export function checkVerdict(crabAddedP50: number, bareAddedP50: number): CheckOutcome {
  if (!Number.isFinite(crabAddedP50) || !Number.isFinite(bareAddedP50))
    return {
      ok: false,
      message: `check failed: could not measure the added P50 (crabllm ${crabAddedP50}, bare relay ${bareAddedP50})`,
    }
  const limit = TARGETS.checkRatio * Math.max(bareAddedP50, 0.01)
  const figures = `crabllm adds ${ms(crabAddedP50)} ms P50 at 1 connection, the bare relay ${ms(bareAddedP50)} ms (limit ${ms(limit)} ms = ${TARGETS.checkRatio}× the relay's)`
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

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a'
}

function mark(ok: boolean): string {
  return ok ? '✓' : '✗'
}
