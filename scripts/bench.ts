// `bun run bench`: what crabllm adds to a request. Starts a mock upstream, a bare Bun relay (the
// runtime's floor), crabllm (dist/crabllm, realistic config; with --workers N[,N…] one per worker count),
// optionally another crabllm binary with the same config (--baseline PATH: before/after a change in one run)
// and a peer gateway, each as its own process; checks every answer (byte for byte, or field by field where
// the gateway translates it); measures each scenario in rotated interleaved rounds; prints Markdown tables
// and the verdicts on issue #17's targets; writes .bench/results.json and .bench/benchmarks.svg (with
// --write-docs: docs/benchmarks.md's results section and docs/benchmarks.svg).
// `--check` exits 1 when crabllm's added P50 at one connection exceeds the bare relay's by more than
// 0.10 ms. See docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { chartInput, renderChart } from './bench/chart'
import type { LoadResult } from './bench/compare'
import { writeDocs } from './bench/docs'
import { type BenchOptions, parseBenchArgs, USAGE } from './bench/options'
import { ROOT } from './bench/processes'
import { formatReport } from './bench/report'
import type { BenchResults } from './bench/results'
import { runBench } from './bench/run'
import { checkVerdict } from './bench/verdicts'

export type { BenchOptions } from './bench/options'
export { parseBenchArgs, USAGE } from './bench/options'
export type { BenchResults } from './bench/results'

/** The chart for a run (load scenarios only), with a one-line description of the machine. */
export function renderResultsChart(results: BenchResults): string {
  const m = results.meta
  const load = results.scenarios.filter((r): r is LoadResult => r.kind === 'load')
  const subtitle = `${m.cores} cores (${m.cpu}), Bun ${m.bun}, crabllm ${m.crabllm} with ${m.extensions}; median of ${m.rounds} rotated rounds, ${m.date.slice(0, 10)}`
  return renderChart(chartInput(load, subtitle))
}

if (import.meta.main) {
  const argv = process.argv.slice(2)
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE)
    process.exit(0)
  }
  let options: BenchOptions
  try {
    options = parseBenchArgs(argv)
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n\n${USAGE}`)
    process.exit(2)
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
  let results: BenchResults
  try {
    results = await runBench(options, log)
  } catch (err) {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(1)
  }
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`)
  const report = formatReport(results)
  const svg = renderResultsChart(results)
  const chartPath = join(ROOT, '.bench/benchmarks.svg')
  mkdirSync(dirname(chartPath), { recursive: true })
  writeFileSync(chartPath, svg)
  if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  else process.stdout.write(`\n${report}\n\nresults written to ${options.out}; chart to ${chartPath}\n`)
  if (options.writeDocs) {
    writeDocs(report, svg)
    log('wrote docs/benchmarks.md (results section) and docs/benchmarks.svg')
  }
  if (options.mode === 'check') {
    const chat = results.scenarios.find((r): r is LoadResult => r.kind === 'load' && r.name === 'chat-minimal-c1')
    const outcome = checkVerdict(chat?.targets.crabllm?.vsDirect?.p50 ?? NaN, chat?.targets.bare?.vsDirect?.p50 ?? NaN)
    console.error(outcome.message)
    process.exit(outcome.ok ? 0 : 1)
  }
}
