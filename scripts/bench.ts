// `bun run bench`: the gateway's added latency. Starts a fast mock upstream and the gateway (the
// compiled binary by default) as separate processes, checks that every scenario's answers come back
// byte for byte, then measures each scenario direct-to-mock and through the gateway in interleaved
// rounds, and prints the difference. Writes .bench/results.json. See docs/benchmarks.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { compareScenario, type ScenarioResult } from './bench/compare'
import { type ChildService, GATEWAY_KEY, ROOT, spawnGateway, spawnMockUpstream, UPSTREAM_KEY } from './bench/processes'
import { formatTable, formatVerdicts, TARGET_ADDED_P50_MS, type Verdict, verdicts } from './bench/report'
import { type ExpectedBodies, SCENARIOS, type Scenario, verifyScenario } from './bench/scenarios'

export interface BenchOptions {
  /** Measured seconds per scenario (both targets together). */
  durationS: number
  rounds: number
  warmupS: number
  source: boolean
  json: boolean
  scenarios: readonly Scenario[]
  /** Where results.json goes. */
  out: string
  /** SSE chunks per mock stream. */
  chunks: number
  /** Storage kind the extensions run over, when enabled. */
  extensions?: 'memory' | 'sqlite' | undefined
}

export interface BenchResults {
  meta: {
    date: string
    bun: string
    gateway: 'binary' | 'source'
    gatewayCommand: readonly string[]
    commit: string | undefined
    platform: string
    cpu: string
    cores: number
    loadavgAtStart: number[]
    durationS: number
    rounds: number
    warmupS: number
    streamChunks: number
    gatewayPeakRssMiB: number | null
    extensions: string
  }
  target: { addedP50Ms: number; applies: string; verdicts: Verdict[] }
  scenarios: ScenarioResult[]
}

export const USAGE = `usage: bun run bench [flags]

Measures the latency crabllm adds: each scenario is run straight against a mock upstream and through
the gateway, in interleaved rounds, and the difference is reported.

flags:
  --duration SECONDS   measured time per scenario, both targets together (default 5)
  --rounds N           interleaved rounds per scenario (default: one per 0.5 s, even, at least 2)
  --warmup SECONDS     unmeasured load per scenario before the rounds (default 1)
  --quick              short run for a CI smoke test (0.6 s per scenario, 2 rounds)
  --scenario NAME      run only this scenario (repeat or comma-separate); names: ${SCENARIOS.map((s) => s.name).join(', ')}
  --source             run the gateway from source (bun src/main.ts) instead of dist/crabllm
  --extensions KIND    enable rate_limit, usage, budget and audit over storage KIND (memory or sqlite)
  --json               print the results as JSON instead of the table
  --out PATH           where to write the JSON results (default .bench/results.json)
  --chunks N           SSE chunks per mock stream (default 20)
  -h, --help           show this help`

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let durationS: number | undefined
  let rounds: number | undefined
  let warmupS: number | undefined
  let quick = false
  let source = false
  let extensions: 'memory' | 'sqlite' | undefined
  let json = false
  let out = join(ROOT, '.bench/results.json')
  let chunks = 20
  const names: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    const number = (min: number) => {
      const n = Number(value())
      if (!Number.isFinite(n) || n < min) throw new Error(`${arg} needs a number ≥ ${min}`)
      return n
    }
    if (arg === '--duration') durationS = number(0.01)
    else if (arg === '--rounds') rounds = Math.round(number(1))
    else if (arg === '--warmup') warmupS = number(0)
    else if (arg === '--quick') quick = true
    else if (arg === '--source') source = true
    else if (arg === '--extensions') {
      const kind = argv[++i]
      if (kind !== 'memory' && kind !== 'sqlite') throw new Error('--extensions takes memory or sqlite')
      extensions = kind
    }
    else if (arg === '--json') json = true
    else if (arg === '--out') out = resolve(value())
    else if (arg === '--chunks') chunks = Math.round(number(1))
    else if (arg === '--scenario') names.push(...value().split(',').map((s) => s.trim()).filter(Boolean))
    else throw new Error(`unknown flag ${arg}`)
  }
  const scenarios = names.length ? names.map(findScenario) : SCENARIOS
  durationS ??= quick ? 0.6 : 5
  rounds ??= quick ? 2 : Math.max(2, 2 * Math.round(durationS))
  warmupS ??= quick ? 0.2 : 1
  return { durationS, rounds, warmupS, source, json, scenarios, out, chunks, extensions }
}

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchResults> {
  const children: ChildService[] = []
  const stopAll = () => Promise.all(children.map((c) => c.stop()))
  const onSignal = () => void stopAll().then(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const mock = await spawnMockUpstream(options.chunks)
    children.push(mock)
    const gateway = await spawnGateway(mock.url, { source: options.source, log, extensions: options.extensions })
    children.push(gateway)
    log(`mock upstream ${mock.url} (pid ${mock.pid}); gateway ${gateway.url} (${gateway.mode}, pid ${gateway.pid})`)
    const targets = { direct: { url: mock.url, key: UPSTREAM_KEY }, gateway: { url: gateway.url, key: GATEWAY_KEY } }
    const expected = await expectedBodies(mock.url)
    for (const scenario of options.scenarios) await verifyScenario(scenario, [targets.direct, targets.gateway], expected)
    log(`answers verified byte for byte for ${options.scenarios.length} scenario(s)`)
    const loadavgAtStart = loadavg()
    const results: ScenarioResult[] = []
    for (const scenario of options.scenarios) {
      log(`${scenario.name}: ${scenario.description} — ${options.durationS} s, ${options.rounds} rounds`)
      const result = await compareScenario(scenario, targets, expected, {
        durationMs: options.durationS * 1000,
        rounds: options.rounds,
        warmupMs: options.warmupS * 1000,
      })
      results.push(result)
      const gatewayErrors = gateway.stderr().trim()
      if (gatewayErrors) log(`gateway stderr so far:\n${gatewayErrors.slice(-2000)}`)
    }
    const list = verdicts(results)
    return {
      meta: {
        date: new Date().toISOString(),
        bun: Bun.version,
        gateway: gateway.mode,
        gatewayCommand: gateway.command,
        commit: gitCommit(),
        platform: `${platform()} ${release()}`,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: availableParallelism(),
        loadavgAtStart,
        durationS: options.durationS,
        rounds: options.rounds,
        warmupS: options.warmupS,
        streamChunks: options.chunks,
        gatewayPeakRssMiB: peakRssMiB(gateway.pid),
        extensions: options.extensions ? `rate_limit, usage, budget, audit over ${options.extensions}` : 'none',
      },
      target: { addedP50Ms: TARGET_ADDED_P50_MS, applies: 'non-stream chat at 1 connection (chat-c1)', verdicts: list },
      scenarios: results,
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopAll()
  }
}

export function formatResults(results: BenchResults): string {
  const m = results.meta
  return [
    `crabllm added latency (ms) — gateway: ${m.gateway}, extensions: ${m.extensions}, Bun ${m.bun}, ${m.cores} cores (${m.cpu}), load avg ${m.loadavgAtStart.map((n) => n.toFixed(2)).join(' ')}`,
    `${m.durationS} s per scenario in ${m.rounds} interleaved rounds (direct/gateway, ABBA), ${m.warmupS} s warm-up; streams carry ${m.streamChunks} chunks`,
    'added = gateway − direct; ratio = gateway / direct; ttfb = time to the first body byte',
    '',
    formatTable(results.scenarios),
    '',
    formatVerdicts(results.target.verdicts),
    `gateway peak RSS: ${m.gatewayPeakRssMiB === null ? 'unknown (no /proc)' : `${m.gatewayPeakRssMiB.toFixed(1)} MiB`}`,
  ].join('\n')
}

/** The process's peak resident set (VmHWM) in MiB, from /proc; null where there is no /proc. */
export function peakRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
    return kb ? Number(kb) / 1024 : null
  } catch {
    return null
  }
}

// --- internal ---

function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (!found) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return found
}

/** The mock's exact answers, fetched once from the mock itself (it answers with fixed bytes). */
async function expectedBodies(mockUrl: string): Promise<ExpectedBodies> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(mockUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return new Uint8Array(await response.arrayBuffer())
  }
  return {
    chat: await post('/v1/chat/completions', { model: 'bench-model', messages: [] }),
    stream: await post('/v1/chat/completions', { model: 'bench-model', messages: [], stream: true }),
    embeddings: await post('/v1/embeddings', { model: 'bench-model', input: '' }),
  }
}

function gitCommit(): string | undefined {
  try {
    const proc = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdout: 'pipe', stderr: 'ignore' })
    return proc.exitCode === 0 ? proc.stdout.toString().trim() : undefined
  } catch {
    return undefined
  }
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
  try {
    const results = await runBench(options, log)
    mkdirSync(dirname(options.out), { recursive: true })
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`)
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
    else process.stdout.write(`\n${formatResults(results)}\n\nresults written to ${options.out}\n`)
  } catch (err) {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(1)
  }
}
