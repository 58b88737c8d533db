// `bun run bench` flags: the modes (quick by default, --full, --check, --smoke), which scenarios, which
// targets, and where the results go. Parsing only; run.ts does the work.
import { accessSync, constants, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UPSTREAM_REQUEST_LIMIT } from '../../src/cli/fetch-limit'
import type { ExtensionsKind } from './processes'
import { ROOT } from './processes'
import { FAMILIES, SCENARIOS, type Scenario, selectScenarios } from './scenarios'

export type BenchMode = 'quick' | 'full' | 'check' | 'smoke'

export interface BenchOptions {
  mode: BenchMode
  scenarios: readonly Scenario[]
  /** Measured seconds per target per load scenario, split over the rounds. */
  durationS: number
  rounds: number
  /** Unmeasured seconds per target per load scenario before the rounds. */
  warmupS: number
  /** Rounds of each open-streams scenario (every target once per round). */
  openStreamRounds: number
  /** Run crabllm as `bun src/main.ts` instead of dist/crabllm. */
  source: boolean
  extensions: ExtensionsKind
  /** Add the peer gateway (Portkey), installed on demand. */
  peers: boolean
  /** Absolute path of another crabllm binary to measure beside crabllm (--baseline); null: none. */
  baseline: string | null
  /**
   * --workers: crabllm is started with `serve --workers N`, once per count (the first is the target
   * `crabllm`, the others `crabllm-wN`); null: no --workers flag is passed at all.
   */
  workers: number[] | null
  /** BUN_CONFIG_MAX_HTTP_REQUESTS for the Bun gateways; null leaves Bun's default. */
  fetchLimit: number | null
  json: boolean
  out: string
  /** Rewrite the results section of docs/benchmarks.md and docs/benchmarks.svg. */
  writeDocs: boolean
}

/** Per mode: scenarios (when --scenario is absent) and timings (when their flags are absent). */
export const MODES: Record<
  BenchMode,
  { scenarios: readonly string[]; durationS: number; rounds: number; warmupS: number; openStreamRounds: number }
> = {
  // Every load scenario briefly, and the 1000-stream scenario once: about two minutes in all.
  quick: {
    scenarios: [...FAMILIES, 'open-streams-1000'],
    durationS: 1.5,
    rounds: 6,
    warmupS: 0.25,
    openStreamRounds: 1,
  },
  full: { scenarios: SCENARIOS.map((s) => s.name), durationS: 4, rounds: 8, warmupS: 0.5, openStreamRounds: 3 },
  check: { scenarios: ['chat-minimal-c1'], durationS: 3, rounds: 6, warmupS: 0.5, openStreamRounds: 1 },
  // For tests: seconds in all.
  smoke: {
    scenarios: ['chat-minimal-c1', 'chat-stream-c1'],
    durationS: 0.3,
    rounds: 2,
    warmupS: 0.05,
    openStreamRounds: 1,
  },
}

export const USAGE = `usage: bun run bench [-- flags]

Measures what crabllm adds to a request: each scenario runs against a mock upstream directly, through a
bare Bun relay (the runtime's floor), through crabllm, and optionally through a peer gateway, in rotated
interleaved rounds. Prints Markdown tables and the targets' verdicts; writes .bench/results.json.

modes (default: quick, every load scenario briefly + 1000 open streams, about 2 minutes):
  --full               every scenario at 1 and 32 connections, open streams 100/500/1000, longer rounds
  --check              chat-minimal at 1 connection only; exit 1 when crabllm's added P50 exceeds
                       the bare relay's by more than 0.10 ms
  --smoke              a few seconds (used by the tests)

flags:
  --scenario NAME      only these (repeat or comma-separate); a family name selects all its variants:
                       ${[...FAMILIES, 'open-streams'].join(', ')}
  --peers              also measure Portkey's gateway (installed on demand into .bench/peers/portkey)
  --extensions KIND    none, memory or sqlite (default sqlite): rate_limit, usage, budget and audit over
                       that storage; none = keys only
  --source             run crabllm as bun src/main.ts instead of dist/crabllm
  --workers N[,N…]     start crabllm with serve --workers N; with a list, one crabllm per count, each its
                       own target ("crabllm (1 worker)", "crabllm (2 workers)") in the same rounds. The
                       first count is the one the targets and --check judge; a baseline gets it too
  --baseline PATH      also measure another compiled crabllm (e.g. a build from before a change) as the
                       target "baseline", with crabllm's config and environment, in the same rounds; the
                       report adds crabllm's added P50 and req/s against it. Not with --check or --write-docs
  --duration SECONDS   measured time per target per load scenario
  --rounds N           rotated rounds per load scenario
  --warmup SECONDS     unmeasured load per target per scenario
  --open-rounds N      rounds per open-streams scenario
  --fetch-limit N      BUN_CONFIG_MAX_HTTP_REQUESTS for the Bun gateways (default ${UPSTREAM_REQUEST_LIMIT}, what
                       crabllm serve sets for itself; Bun's own default is 256)
  --write-docs         rewrite the results section of docs/benchmarks.md and docs/benchmarks.svg
  --json               print the results JSON instead of the tables
  --out PATH           where the results JSON goes (default .bench/results.json)
  -h, --help           show this help`

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const modes: BenchMode[] = []
  const names: string[] = []
  let durationS: number | undefined
  let rounds: number | undefined
  let warmupS: number | undefined
  let openStreamRounds: number | undefined
  let source = false
  let extensions: ExtensionsKind = 'sqlite'
  let peers = false
  let baseline: string | null = null
  let workers: number[] | null = null
  // crabllm serve runs with this limit itself (src/cli/fetch-limit.ts); the relay and the peer get the same.
  let fetchLimit: number | null = UPSTREAM_REQUEST_LIMIT
  let json = false
  let out = join(ROOT, '.bench/results.json')
  let writeDocs = false
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
    if (arg === '--full') modes.push('full')
    else if (arg === '--check') modes.push('check')
    else if (arg === '--smoke') modes.push('smoke')
    else if (arg === '--scenario')
      names.push(
        ...value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
    else if (arg === '--peers') peers = true
    else if (arg === '--extensions') {
      const kind = value()
      if (kind !== 'none' && kind !== 'memory' && kind !== 'sqlite')
        throw new Error('--extensions takes none, memory or sqlite')
      extensions = kind
    } else if (arg === '--source') source = true
    else if (arg === '--baseline') baseline = executableFile(value())
    else if (arg === '--workers') workers = workerCounts(value())
    else if (arg === '--duration') durationS = number(0.01)
    else if (arg === '--rounds') rounds = Math.round(number(1))
    else if (arg === '--warmup') warmupS = number(0)
    else if (arg === '--open-rounds') openStreamRounds = Math.round(number(1))
    else if (arg === '--fetch-limit') fetchLimit = Math.round(number(1))
    else if (arg === '--write-docs') writeDocs = true
    else if (arg === '--json') json = true
    else if (arg === '--out') out = resolve(value())
    else throw new Error(`unknown flag ${arg}`)
  }
  if (modes.length > 1) throw new Error(`choose one mode: ${modes.map((m) => `--${m}`).join(' or ')}`)
  const mode = modes[0] ?? 'quick'
  const defaults = MODES[mode]
  if (mode === 'check' && names.length) throw new Error('--check runs chat-minimal-c1 only; drop --scenario')
  if (mode === 'check' && writeDocs) throw new Error('--check does not write docs; drop --write-docs')
  // The check's rule is crabllm against the bare relay; a baseline would only make it slower.
  if (mode === 'check' && baseline)
    throw new Error('--check compares crabllm with the bare relay only; drop --baseline')
  if (mode === 'check' && workers && workers.length > 1)
    throw new Error('--check judges one crabllm; give --workers a single count')
  // The docs publish crabllm's figures; a before/after comparison is a local measurement.
  if (baseline && writeDocs) throw new Error('--baseline is a local before/after comparison; drop --write-docs')
  return {
    mode,
    scenarios: selectScenarios(names.length ? names : defaults.scenarios),
    durationS: durationS ?? defaults.durationS,
    rounds: rounds ?? defaults.rounds,
    warmupS: warmupS ?? defaults.warmupS,
    openStreamRounds: openStreamRounds ?? defaults.openStreamRounds,
    source,
    extensions,
    // The check compares crabllm with the bare relay only.
    peers: peers && mode !== 'check',
    baseline,
    workers,
    fetchLimit,
    json,
    out,
    writeDocs,
  }
}

// --- internal ---

/** `--workers 2` or `--workers 1,2`: distinct whole numbers ≥ 1, in the order given. */
function workerCounts(text: string): number[] {
  const counts = text.split(',').map((part) => part.trim())
  const out: number[] = []
  for (const part of counts) {
    const n = Number(part)
    if (part === '' || !Number.isInteger(n) || n < 1)
      throw new Error(`--workers takes whole numbers ≥ 1, comma-separated (got "${text}")`)
    if (out.includes(n)) throw new Error(`--workers names ${n} twice`)
    out.push(n)
  }
  return out
}

/** `path` made absolute, once it is known to be a file this process may execute; throws with the reason otherwise. */
function executableFile(path: string): string {
  const absolute = resolve(path)
  let isFile: boolean
  try {
    isFile = statSync(absolute).isFile()
  } catch {
    throw new Error(`--baseline ${path}: no such file`)
  }
  if (!isFile) throw new Error(`--baseline ${path}: not a file (give a compiled crabllm binary)`)
  try {
    accessSync(absolute, constants.X_OK)
  } catch {
    throw new Error(`--baseline ${path}: not executable (chmod +x it, or give a compiled crabllm binary)`)
  }
  return absolute
}
