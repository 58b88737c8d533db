// The open-streams scenario: N slow streams (the mock's bench-slow model) opened at once through each
// target and held until they end, in rotated rounds like compare.ts. Per run it records whether all
// completed, the errors, the time until the last one finished, how many the mock saw open at once, and
// the target process's peak resident memory during the run (VmRSS sampled every 20 ms, summed over the
// process and its descendants: a gateway with --workers is a supervisor and its workers).
import { join } from 'node:path'
import { median, rotate } from './compare'
import { type BenchAnswers, OPEN_STREAMS_PATH } from './mock-upstream'
import type { OpenStreamsClientResult, OpenStreamsClientSpec } from './open-streams-client'
import { readTreeMemory, sampleRss, toMB } from './rss'
import { type OpenStreamsScenario, scenarioRequest, type Target, type TargetName } from './scenarios'

export interface OpenStreamsRun {
  completed: number
  errors: number
  firstError?: string
  /** First request sent → last stream finished. */
  wallMs: number
  ttfbP50: number
  ttfbP99: number
  totalP50: number
  totalMax: number
  /** Most streams the client had open at once (first byte seen, last byte not yet). */
  clientPeakOpen: number
  /** Most slow streams the mock served at once: fewer than N means the target queued them. */
  upstreamPeakOpen: number | null
  /** The target process's VmRSS just before the run, and the highest during it, in MB; null for direct or without /proc. */
  rssBeforeMB: number | null
  peakRssMB: number | null
}

export interface OpenStreamsFigures {
  label: string
  streams: number
  /** Every stream of every run ended whole. */
  allCompleted: boolean
  errors: number
  firstError?: string
  /** Medians over runs. */
  wallMs: number
  ttfbP50: number
  totalP50: number
  /** Highest over runs. */
  upstreamPeakOpen: number | null
  peakRssMB: number | null
  /** VmRSS before the first run. */
  rssBeforeMB: number | null
  runs: OpenStreamsRun[]
}

export interface OpenStreamsResult {
  kind: 'open-streams'
  name: string
  family: 'open-streams'
  description: string
  streams: number
  rounds: number
  order: TargetName[][]
  targets: Partial<Record<TargetName, OpenStreamsFigures>>
}

export interface OpenStreamsOptions {
  rounds: number
  /** The mock's origin, to read how many streams it had open. */
  mockUrl: string
  /** The process to watch for each target (none for direct), with its descendants. */
  pids: Partial<Record<TargetName, number>>
  /** Per stream. */
  timeoutMs?: number
}

export async function runOpenStreams(
  scenario: OpenStreamsScenario,
  targets: readonly Target[],
  expected: BenchAnswers,
  options: OpenStreamsOptions,
): Promise<OpenStreamsResult> {
  const runs = new Map<TargetName, OpenStreamsRun[]>(targets.map((t) => [t.name, []]))
  const order: TargetName[][] = []
  const rounds = Math.max(1, Math.round(options.rounds))
  for (let round = 0; round < rounds; round++) {
    const list = rotate(targets, round)
    order.push(list.map((t) => t.name))
    for (const target of list) runs.get(target.name)!.push(await runOnce(scenario, target, expected, options))
  }
  const out: Partial<Record<TargetName, OpenStreamsFigures>> = {}
  for (const target of targets) {
    const mine = runs.get(target.name)!
    const firstError = mine.find((r) => r.firstError !== undefined)?.firstError
    const peaks = (values: (number | null)[]) =>
      values.some((v) => v !== null) ? Math.max(...values.map((v) => v ?? 0)) : null
    out[target.name] = {
      label: target.label,
      streams: scenario.streams,
      allCompleted: mine.every((r) => r.completed === scenario.streams),
      errors: mine.reduce((n, r) => n + r.errors, 0),
      ...(firstError !== undefined ? { firstError } : {}),
      wallMs: median(mine.map((r) => r.wallMs)),
      ttfbP50: median(mine.map((r) => r.ttfbP50)),
      totalP50: median(mine.map((r) => r.totalP50)),
      upstreamPeakOpen: peaks(mine.map((r) => r.upstreamPeakOpen)),
      peakRssMB: peaks(mine.map((r) => r.peakRssMB)),
      rssBeforeMB: mine[0]?.rssBeforeMB ?? null,
      runs: mine,
    }
  }
  return {
    kind: 'open-streams',
    name: scenario.name,
    family: 'open-streams',
    description: scenario.description,
    streams: scenario.streams,
    rounds,
    order,
    targets: out,
  }
}

// --- internal ---

const CLIENT = join(import.meta.dir, 'open-streams-client.ts')

async function runOnce(
  scenario: OpenStreamsScenario,
  target: Target,
  expected: BenchAnswers,
  options: OpenStreamsOptions,
): Promise<OpenStreamsRun> {
  const request = scenarioRequest(scenario, target)
  const spec: OpenStreamsClientSpec = {
    url: request.url,
    headers: request.headers,
    body: new TextDecoder().decode(request.body),
    streams: scenario.streams,
    expectBytes: expected[scenario.answer].byteLength,
    timeoutMs: options.timeoutMs ?? 60_000,
  }
  await fetch(options.mockUrl + OPEN_STREAMS_PATH, { method: 'DELETE' }).then((r) => r.arrayBuffer())
  const pid = options.pids[target.name]
  const rssBefore = pid === undefined ? null : readTreeMemory(pid, 'VmRSS').bytes
  const sampler = pid === undefined ? undefined : sampleRss(pid)
  const proc = Bun.spawn([process.execPath, CLIENT, JSON.stringify(spec)], {
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
    // Room for every stream in one client process (see open-streams-client.ts).
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(scenario.streams + 64) },
  })
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  const peakRss = sampler?.stop() ?? null
  if (code !== 0) throw new Error(`open-streams client for ${target.label} exited ${code}\n${stderr.slice(-2000)}`)
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as OpenStreamsClientResult
  const upstream = (await fetch(options.mockUrl + OPEN_STREAMS_PATH).then((r) => r.json())) as { peak: number }
  return {
    completed: result.completed,
    errors: result.errors,
    ...(result.firstError !== undefined ? { firstError: result.firstError } : {}),
    wallMs: result.wallMs,
    // JSON carries NaN (no samples) as null.
    ttfbP50: result.ttfb.p50 ?? NaN,
    ttfbP99: result.ttfb.p99 ?? NaN,
    totalP50: result.total.p50 ?? NaN,
    totalMax: result.total.max ?? NaN,
    clientPeakOpen: result.peakOpen,
    upstreamPeakOpen: upstream.peak,
    rssBeforeMB: toMB(rssBefore),
    peakRssMB: toMB(peakRss),
  }
}
