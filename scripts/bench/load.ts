// Closed-loop load: C workers, each sending its next request as soon as the previous answer has been
// read to the end, until the time is up. Latencies come from Bun.nanoseconds(); this module times and
// counts, and knows nothing about gateways or scenarios (see compare.ts).

/** One request, sent again and again. */
export interface LoadRequest {
  url: string
  headers: Record<string, string>
  body: Uint8Array
  /** Read the body chunk by chunk and record the time to the first body byte as well. */
  stream: boolean
  /** When set, an answer of another length counts as an error (a cheap check that every answer is whole). */
  expectBytes?: number
}

export interface LoadOptions {
  /** Concurrent workers (each keeps one request in flight, so about one keep-alive connection each). */
  concurrency: number
  /** Workers start no new request after this; requests in flight finish and count. */
  durationMs: number
}

/** Raw samples of one run, in ms. Merge runs with `mergeRuns`, then `summarize`. */
export interface LoadRun {
  requests: number
  errors: number
  /** Wall time from the first request to the last answer. */
  elapsedMs: number
  /** Request start → last body byte, successful requests only. */
  total: number[]
  /** Request start → first body byte (stream requests only). */
  ttfb: number[]
  /** The first failure, to show why errors is not 0. */
  firstError?: string
}

export interface Summary {
  count: number
  mean: number
  p50: number
  p90: number
  p99: number
  min: number
  max: number
}

export async function runLoad(request: LoadRequest, options: LoadOptions): Promise<LoadRun> {
  const run: LoadRun = { requests: 0, errors: 0, elapsedMs: 0, total: [], ttfb: [] }
  const started = Bun.nanoseconds()
  const deadline = started + options.durationMs * 1e6
  const workers: Promise<void>[] = []
  for (let i = 0; i < Math.max(1, options.concurrency); i++) workers.push(worker(request, deadline, run))
  await Promise.all(workers)
  run.elapsedMs = (Bun.nanoseconds() - started) / 1e6
  return run
}

export function mergeRuns(runs: readonly LoadRun[]): LoadRun {
  const out: LoadRun = { requests: 0, errors: 0, elapsedMs: 0, total: [], ttfb: [] }
  for (const r of runs) {
    out.requests += r.requests
    out.errors += r.errors
    out.elapsedMs += r.elapsedMs
    for (const v of r.total) out.total.push(v)
    for (const v of r.ttfb) out.ttfb.push(v)
    if (out.firstError === undefined && r.firstError !== undefined) out.firstError = r.firstError
  }
  return out
}

/** Mean and nearest-rank percentiles; all fields NaN when there are no samples. */
export function summarize(samples: readonly number[]): Summary {
  const n = samples.length
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN }
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: n,
    mean: sum / n,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0]!,
    max: sorted[n - 1]!,
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

// --- internal ---

async function worker(request: LoadRequest, deadline: number, run: LoadRun): Promise<void> {
  const init = { method: 'POST', headers: request.headers, body: request.body }
  while (Bun.nanoseconds() < deadline) {
    const t0 = Bun.nanoseconds()
    let firstByte = 0
    let bytes = 0
    run.requests++
    try {
      const response = await fetch(request.url, init)
      if (request.stream && response.body) {
        const reader = response.body.getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          if (value.byteLength === 0) continue
          if (firstByte === 0) firstByte = Bun.nanoseconds()
          bytes += value.byteLength
        }
      } else {
        bytes = (await response.arrayBuffer()).byteLength
      }
      const t1 = Bun.nanoseconds()
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
      if (request.expectBytes !== undefined && bytes !== request.expectBytes)
        throw new Error(`expected a ${request.expectBytes}-byte answer, got ${bytes} bytes`)
      run.total.push((t1 - t0) / 1e6)
      if (request.stream) run.ttfb.push(((firstByte || t1) - t0) / 1e6)
    } catch (err) {
      run.errors++
      run.firstError ??= err instanceof Error ? err.message : String(err)
    }
  }
}
