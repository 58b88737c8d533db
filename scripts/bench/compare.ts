// Runs one load scenario against several targets in interleaved rounds: round r runs every target once,
// in an order rotated by r (A B C, B C A, C A B, …), so that drift on a shared machine (other tenants,
// CPU frequency, GC) spreads evenly over the targets. Every figure is the median over rounds of that
// round's value; comparisons (added latency, throughput share) are taken within a round, then the median.
import type { AnswerCheck } from './bodies'
import { type LoadRun, mergeRuns, runLoad, summarize } from './load'
import type { BenchAnswers } from './mock-upstream'
import { type LoadScenario, scenarioRequest, type Target, type TargetName } from './scenarios'

export interface CompareOptions {
  /** Measured time per target, split over the rounds. */
  durationMs: number
  rounds: number
  /** Unmeasured load per target before the rounds (JIT, connection pools). */
  warmupMs: number
  /**
   * Per target, the length of its answer as verifyScenario saw it, for the answers that are not the mock's
   * own bytes (a gateway's translated answer): any other length then counts as an error. Without it such
   * answers are not length-checked.
   */
  answerBytes?: Partial<Record<TargetName, number>>
}

/** One target's figures in one round, in ms and req/s. */
export interface RoundFigures {
  p50: number
  p99: number
  rps: number
  /** Streams only: time to the first body byte. */
  ttfbP50?: number
  ttfbP99?: number
}

/** Differences target − reference (ms) and the throughput share target / reference, each the median over rounds. */
export interface Delta {
  p50: number
  p99: number
  ttfbP50?: number
  ttfbP99?: number
  /** target req/s ÷ reference req/s (1 = nothing lost). */
  rpsShare: number
}

export interface TargetFigures {
  label: string
  /** Measured requests and errors, all rounds together. */
  requests: number
  errors: number
  firstError?: string
  /** Medians over rounds. */
  p50: number
  p99: number
  rps: number
  ttfbP50?: number
  ttfbP99?: number
  /** Against direct (the mock alone): the latency this target adds. Absent for direct. */
  vsDirect?: Delta
  /** Against the bare relay: what this target adds beyond the runtime's floor. Absent for direct and the relay. */
  vsBare?: Delta
  /** crabllm only, with --baseline: crabllm − the baseline binary (p50 < 0 and rpsShare > 1 = crabllm is faster). */
  vsBaseline?: Delta
  /** Each round's own figures, in round order. */
  rounds: RoundFigures[]
}

export interface LoadResult {
  kind: 'load'
  name: string
  family: string
  description: string
  stream: boolean
  /** How the gateways' answers were checked: `bytes` (passed through), or translated (bodies.ts AnswerCheck). */
  check?: AnswerCheck
  concurrency: number
  rounds: number
  /** The order the targets ran in, per round. */
  order: TargetName[][]
  targets: Partial<Record<TargetName, TargetFigures>>
}

export async function compareScenario(
  scenario: LoadScenario,
  targets: readonly Target[],
  expected: BenchAnswers,
  options: CompareOptions,
): Promise<LoadResult> {
  const requests = targets.map((t) => scenarioRequest(scenario, t, expected, options.answerBytes?.[t.name]))
  const load = (durationMs: number) => ({ concurrency: scenario.concurrency, durationMs })
  if (options.warmupMs > 0) for (const request of requests) await runLoad(request, load(options.warmupMs))
  const rounds = Math.max(1, Math.round(options.rounds))
  const slice = options.durationMs / rounds
  const runs: LoadRun[][] = targets.map(() => [])
  const order: TargetName[][] = []
  for (let round = 0; round < rounds; round++) {
    const indices = rotate(
      targets.map((_, i) => i),
      round,
    )
    order.push(indices.map((i) => targets[i]!.name))
    for (const i of indices) runs[i]!.push(await runLoad(requests[i]!, load(slice)))
  }
  const perRound = runs.map((list) => list.map((run) => roundFigures(run, scenario.stream)))
  const indexOf = (name: TargetName) => targets.findIndex((t) => t.name === name)
  const direct = indexOf('direct')
  const bare = indexOf('bare')
  const baseline = indexOf('baseline')
  const out: Partial<Record<TargetName, TargetFigures>> = {}
  targets.forEach((target, i) => {
    const merged = mergeRuns(runs[i]!)
    const mine = perRound[i]!
    out[target.name] = {
      label: target.label,
      requests: merged.requests,
      errors: merged.errors,
      ...(merged.firstError !== undefined ? { firstError: merged.firstError } : {}),
      ...medianFigures(mine),
      ...(direct >= 0 && i !== direct ? { vsDirect: delta(mine, perRound[direct]!) } : {}),
      ...(bare >= 0 && i !== bare && i !== direct ? { vsBare: delta(mine, perRound[bare]!) } : {}),
      ...(baseline >= 0 && target.name === 'crabllm' ? { vsBaseline: delta(mine, perRound[baseline]!) } : {}),
      rounds: mine,
    }
  })
  return {
    kind: 'load',
    name: scenario.name,
    family: scenario.family,
    description: scenario.description,
    stream: scenario.stream,
    check: scenario.check,
    concurrency: scenario.concurrency,
    rounds,
    order,
    targets: out,
  }
}

/** `list` rotated left by `by`: round r starts with the r-th target. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length === 0) return []
  const k = ((by % list.length) + list.length) % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

/** Median of the finite values (mean of the middle two for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return NaN
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
}

// --- internal ---

function roundFigures(run: LoadRun, stream: boolean): RoundFigures {
  const total = summarize(run.total)
  const ok = run.requests - run.errors
  const figures: RoundFigures = {
    p50: total.p50,
    p99: total.p99,
    rps: run.elapsedMs > 0 ? (ok * 1000) / run.elapsedMs : NaN,
  }
  if (stream) {
    const ttfb = summarize(run.ttfb)
    figures.ttfbP50 = ttfb.p50
    figures.ttfbP99 = ttfb.p99
  }
  return figures
}

function medianFigures(
  rounds: readonly RoundFigures[],
): Pick<TargetFigures, 'p50' | 'p99' | 'rps' | 'ttfbP50' | 'ttfbP99'> {
  const pick = (f: (r: RoundFigures) => number | undefined) => median(rounds.map((r) => f(r) ?? NaN))
  const out: Pick<TargetFigures, 'p50' | 'p99' | 'rps' | 'ttfbP50' | 'ttfbP99'> = {
    p50: pick((r) => r.p50),
    p99: pick((r) => r.p99),
    rps: pick((r) => r.rps),
  }
  if (rounds[0]?.ttfbP50 !== undefined) {
    out.ttfbP50 = pick((r) => r.ttfbP50)
    out.ttfbP99 = pick((r) => r.ttfbP99)
  }
  return out
}

/** Round-by-round comparison of `mine` with `ref` (same round = same conditions), then the median. */
function delta(mine: readonly RoundFigures[], ref: readonly RoundFigures[]): Delta {
  const pairs = mine.map((m, i) => [m, ref[i]!] as const)
  const diff = (f: (r: RoundFigures) => number | undefined) =>
    median(pairs.map(([m, r]) => (f(m) ?? NaN) - (f(r) ?? NaN)))
  const out: Delta = {
    p50: diff((r) => r.p50),
    p99: diff((r) => r.p99),
    rpsShare: median(pairs.map(([m, r]) => m.rps / r.rps)),
  }
  if (mine[0]?.ttfbP50 !== undefined) {
    out.ttfbP50 = diff((r) => r.ttfbP50)
    out.ttfbP99 = diff((r) => r.ttfbP99)
  }
  return out
}
