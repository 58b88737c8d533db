// Runs one scenario against two targets, direct (the mock) and gateway (the gateway in front of the
// mock), in interleaved rounds: direct, gateway, gateway, direct, … (ABBA), so that noise from a shared
// machine (other tenants, CPU frequency, GC) lands on both sides alike. Reports the gateway's added
// latency as differences and ratios against direct.
import { type LoadRun, mergeRuns, runLoad, type Summary, summarize } from './load'
import { type ExpectedBodies, type Scenario, scenarioRequest, type Target } from './scenarios'

export interface CompareOptions {
  /** Measured wall time for the scenario, both targets together. */
  durationMs: number
  /** Rounds; each round runs each target once for durationMs / (2 × rounds). */
  rounds: number
  /** Unmeasured load per target before the rounds (JIT, connection pools). */
  warmupMs: number
}

export interface TargetResult {
  requests: number
  errors: number
  firstError?: string
  elapsedMs: number
  /** Successful requests per second of measured time. */
  rps: number
  total: Summary
  /** Time to the first body byte; stream scenarios only. */
  ttfb?: Summary
}

/** gateway − direct, in ms. */
export interface Added {
  p50: number
  p90: number
  p99: number
  mean: number
}

export interface ScenarioResult {
  name: string
  description: string
  endpoint: Scenario['endpoint']
  stream: boolean
  concurrency: number
  rounds: number
  direct: TargetResult
  gateway: TargetResult
  /** Added latency to the last byte. */
  added: Added
  /** Added latency to the first byte; stream scenarios only. */
  addedTtfb?: Added
  /** Added p50 in each round: its spread shows how noisy the machine was. */
  addedP50ByRound: number[]
  ratio: {
    /** gateway p50 / direct p50 (1 = no overhead). */
    p50: number
    p99: number
    ttfbP50?: number
    /** gateway req/s / direct req/s (1 = no throughput lost). */
    rps: number
  }
}

export async function compareScenario(
  scenario: Scenario,
  targets: { direct: Target; gateway: Target },
  expected: ExpectedBodies,
  options: CompareOptions,
): Promise<ScenarioResult> {
  const direct = scenarioRequest(scenario, targets.direct, expected)
  const gateway = scenarioRequest(scenario, targets.gateway, expected)
  const load = (durationMs: number) => ({ concurrency: scenario.concurrency, durationMs })
  if (options.warmupMs > 0) {
    await runLoad(direct, load(options.warmupMs / 2))
    await runLoad(gateway, load(options.warmupMs / 2))
  }
  const rounds = Math.max(1, Math.round(options.rounds))
  const slice = options.durationMs / (2 * rounds)
  const directRuns: LoadRun[] = []
  const gatewayRuns: LoadRun[] = []
  const addedP50ByRound: number[] = []
  for (let round = 0; round < rounds; round++) {
    let d: LoadRun
    let g: LoadRun
    if (round % 2 === 0) {
      d = await runLoad(direct, load(slice))
      g = await runLoad(gateway, load(slice))
    } else {
      g = await runLoad(gateway, load(slice))
      d = await runLoad(direct, load(slice))
    }
    directRuns.push(d)
    gatewayRuns.push(g)
    addedP50ByRound.push(summarize(g.total).p50 - summarize(d.total).p50)
  }
  const d = targetResult(mergeRuns(directRuns), scenario.stream)
  const g = targetResult(mergeRuns(gatewayRuns), scenario.stream)
  return {
    name: scenario.name,
    description: scenario.description,
    endpoint: scenario.endpoint,
    stream: scenario.stream,
    concurrency: scenario.concurrency,
    rounds,
    direct: d,
    gateway: g,
    added: added(g.total, d.total),
    ...(g.ttfb && d.ttfb ? { addedTtfb: added(g.ttfb, d.ttfb) } : {}),
    addedP50ByRound,
    ratio: {
      p50: g.total.p50 / d.total.p50,
      p99: g.total.p99 / d.total.p99,
      ...(g.ttfb && d.ttfb ? { ttfbP50: g.ttfb.p50 / d.ttfb.p50 } : {}),
      rps: g.rps / d.rps,
    },
  }
}

// --- internal ---

function targetResult(run: LoadRun, stream: boolean): TargetResult {
  const ok = run.requests - run.errors
  return {
    requests: run.requests,
    errors: run.errors,
    ...(run.firstError !== undefined ? { firstError: run.firstError } : {}),
    elapsedMs: run.elapsedMs,
    rps: run.elapsedMs > 0 ? (ok * 1000) / run.elapsedMs : NaN,
    total: summarize(run.total),
    ...(stream ? { ttfb: summarize(run.ttfb) } : {}),
  }
}

function added(gateway: Summary, direct: Summary): Added {
  return { p50: gateway.p50 - direct.p50, p90: gateway.p90 - direct.p90, p99: gateway.p99 - direct.p99, mean: gateway.mean - direct.mean }
}
