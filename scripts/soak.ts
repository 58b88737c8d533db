// `bun scripts/soak.ts [--minutes N] [--rate R]`: does the gateway's memory stay flat under steady
// load? Runs the compiled binary (dist/crabllm, rebuilt when stale) with the bench's realistic config
// (one key; SQLite storage with rate_limit, usage, budget and audit) in front of the bench's mock
// upstream, sends a steady mix of chat completions, streams and embeddings at about R requests per
// second for N minutes, and reads the gateway's resident memory (VmRSS) every 5 s. Prints the
// samples, the least-squares slope over the second half (MB per minute) and a verdict, checks that
// usage counted every answer, and writes .bench/soak.json. Not part of the test suite (it takes minutes).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { mixedRequest, startLoad } from '../test/support/load'
import { BENCH_MODELS } from './bench/mock-upstream'
import { GATEWAY_KEY, ROOT, spawnGateway, spawnMockUpstream } from './bench/processes'
import { readMemory } from './bench/rss'

/** The verdict's threshold: a slope below this over the second half is no growth trend. */
export const FLAT_MB_PER_MIN = 0.5
const SAMPLE_EVERY_MS = 5000
const ADMIN_TOKEN = 'bench-admin-token-0123456789'

export interface SoakOptions {
  minutes: number
  rate: number
  workers: number
  out: string
}

export interface SoakSample {
  /** Seconds since the load started. */
  t_s: number
  rss_mb: number
  /** Requests finished so far, and those that were not a complete 200. */
  requests: number
  errors: number
}

export const USAGE = `usage: bun scripts/soak.ts [--minutes N] [--rate R] [--workers W] [--out PATH]
  --minutes N   how long the load runs (default 10; fractions allowed)
  --rate R      requests per second, a mix of chat, streams and embeddings (default 200)
  --workers W   concurrent clients sharing that rate (default 32)
  --out PATH    where the JSON goes (default .bench/soak.json)`

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { minutes: 10, rate: 200, workers: 32, out: join(ROOT, '.bench/soak.json') }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const value = argv[i + 1]
    const number = () => {
      const n = Number(value)
      if (value === undefined || !Number.isFinite(n) || n <= 0)
        throw new Error(`${flag} needs a positive number, got ${value ?? 'nothing'}`)
      i++
      return n
    }
    if (flag === '--minutes') options.minutes = number()
    else if (flag === '--rate') options.rate = number()
    else if (flag === '--workers') options.workers = Math.ceil(number())
    else if (flag === '--out') {
      if (!value) throw new Error('--out needs a path')
      options.out = resolve(value)
      i++
    } else throw new Error(`unknown argument ${flag}`)
  }
  return options
}

/** Least-squares slope of y over x (0 with fewer than two points). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.x - mx) * (p.y - my)
    den += (p.x - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

/** The slope of RSS (MB per minute) over the samples of the second half of the run. */
export function secondHalfSlope(samples: readonly SoakSample[]): number {
  const end = samples.at(-1)?.t_s ?? 0
  return slope(samples.filter((s) => s.t_s >= end / 2).map((s) => ({ x: s.t_s / 60, y: s.rss_mb })))
}

async function soak(options: SoakOptions): Promise<boolean> {
  const log = (line: string) => console.log(line)
  await using upstream = await spawnMockUpstream()
  await using gateway = await spawnGateway(upstream.url, { source: false, extensions: 'sqlite', log })
  const rss = () => (readMemory(gateway.pid, 'VmRSS') ?? Number.NaN) / 1e6
  log(
    `soak: ${options.minutes} min at ${options.rate} req/s (${options.workers} workers; chat, streams, embeddings) against dist/crabllm pid ${gateway.pid}`,
  )
  log(`  ${'t'.padStart(6)}  ${'RSS MB'.padStart(8)}  ${'requests'.padStart(9)}  ${'errors'.padStart(6)}`)

  const started = performance.now()
  const load = startLoad({
    url: gateway.url,
    key: GATEWAY_KEY,
    workers: options.workers,
    idPrefix: 'soak',
    ratePerSecond: options.rate,
    keep: false,
    request: (n) => mixedRequest(BENCH_MODELS.chat, BENCH_MODELS.chat, n),
  })
  const totals = () => {
    let requests = 0
    let ok = 0
    for (const [outcome, n] of load.counts) {
      requests += n
      if (outcome === '200') ok += n
    }
    return { requests, errors: requests - ok, ok }
  }
  const samples: SoakSample[] = []
  const take = () => {
    const { requests, errors } = totals()
    const sample = {
      t_s: Math.round((performance.now() - started) / 100) / 10,
      rss_mb: Math.round(rss() * 10) / 10,
      requests,
      errors,
    }
    samples.push(sample)
    log(
      `  ${`${sample.t_s}s`.padStart(6)}  ${sample.rss_mb.toFixed(1).padStart(8)}  ${String(requests).padStart(9)}  ${String(errors).padStart(6)}`,
    )
  }
  take()
  const endAt = started + options.minutes * 60_000
  while (performance.now() < endAt) {
    await Bun.sleep(Math.min(SAMPLE_EVERY_MS, endAt - performance.now()))
    if (Number.isNaN(rss())) throw new Error(`the gateway (pid ${gateway.pid}) is gone:\n${gateway.stderr()}`)
    take()
  }
  await load.stop()
  const elapsedS = (performance.now() - started) / 1000
  const { requests, errors, ok } = totals()

  // Every answer was counted by the usage extension (JSON, streams and embeddings alike).
  const usageRes = await fetch(`${gateway.url}/v1/usage`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  const counted = ((await usageRes.json()) as { requests: number }[]).reduce((n, r) => n + r.requests, 0)

  const mbPerMin = secondHalfSlope(samples)
  const flat = Math.abs(mbPerMin) < FLAT_MB_PER_MIN
  const rssValues = samples.map((s) => s.rss_mb)
  const summary = {
    duration_s: Math.round(elapsedS),
    requests,
    errors,
    achieved_rate: Math.round((requests / elapsedS) * 10) / 10,
    usage_counted: counted,
    rss_mb: { start: rssValues[0], end: rssValues.at(-1), min: Math.min(...rssValues), max: Math.max(...rssValues) },
    second_half_slope_mb_per_min: Math.round(mbPerMin * 1000) / 1000,
    verdict: flat
      ? `no growth trend (|slope| < ${FLAT_MB_PER_MIN} MB/min)`
      : `growing: ${mbPerMin.toFixed(3)} MB/min over the second half`,
  }
  log('')
  log(
    `requests ${requests} in ${summary.duration_s} s (${summary.achieved_rate}/s), errors ${errors} ${JSON.stringify(Object.fromEntries(load.counts))}`,
  )
  log(`usage counted ${counted} of ${ok} answers`)
  log(
    `RSS start ${summary.rss_mb.start} MB, end ${summary.rss_mb.end} MB, min ${summary.rss_mb.min}, max ${summary.rss_mb.max}`,
  )
  log(`second-half slope ${summary.second_half_slope_mb_per_min} MB/min: ${summary.verdict}`)

  const result = {
    meta: {
      date: new Date().toISOString(),
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      bun: Bun.version,
      ...options,
      out: undefined,
    },
    summary,
    outcomes: Object.fromEntries(load.counts),
    samples,
  }
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`)
  log(`wrote ${options.out}`)
  return flat && errors === 0 && counted === ok
}

if (import.meta.main) {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE)
    process.exit(0)
  }
  let options: SoakOptions
  try {
    options = parseSoakArgs(argv)
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    process.exit(2)
  }
  process.exitCode = (await soak(options)) ? 0 : 1
}
