// One bench run: starts the mock, the bare relay, crabllm (one per --workers count), (with --baseline) the
// baseline binary and (with --peers) the peer, each as its own process; reads each one's idle memory;
// checks that every target answers every scenario like the mock (byte for byte, or field by field for a
// translated answer); runs the scenarios; reads each process's peak memory; stops everything. Returns the
// results JSON.
import { availableParallelism, cpus, loadavg, platform, release } from 'node:os'
import { basename } from 'node:path'
import { compareScenario } from './compare'
import { ANTHROPIC_VERSION, BENCH_MODELS, type BenchAnswers, OPEN_STREAMS_PATH } from './mock-upstream'
import { runOpenStreams } from './open-streams'
import type { BenchOptions } from './options'
import { ensurePortkey, PORTKEY_VERSION, portkeyHeaders, spawnPortkey } from './peer-portkey'
import {
  type ChildService,
  GATEWAY_KEY,
  type GatewayService,
  ROOT,
  spawnBareRelay,
  spawnGateway,
  spawnMockUpstream,
  UPSTREAM_KEY,
} from './processes'
import type { BenchResults, ProcessInfo } from './results'
import { readTreeMemory, toMB } from './rss'
import { type Scenario, type Target, type TargetName, verifyScenario } from './scenarios'
import { type ScenarioResult, verdicts } from './verdicts'

/** How long the processes are left alone after start-up before their idle memory is read. */
const IDLE_SETTLE_MS = 500

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchResults> {
  const started = performance.now()
  const children: { target: TargetName | 'mock'; label: string; service: ChildService }[] = []
  const stopAll = () => Promise.all(children.map((c) => c.service.stop()))
  const onSignal = () => void stopAll().then(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const gatewayEnv: Record<string, string> =
      options.fetchLimit === null ? {} : { BUN_CONFIG_MAX_HTTP_REQUESTS: String(options.fetchLimit) }
    const mock = await spawnMockUpstream()
    children.push({ target: 'mock', label: 'mock upstream', service: mock })
    const bare = await spawnBareRelay(mock.url, { ...process.env, ...gatewayEnv })
    children.push({ target: 'bare', label: 'bare relay', service: bare })
    const launch = { source: options.source, log, extensions: options.extensions, env: gatewayEnv }
    // Without --workers, one crabllm started without the flag; with it, one per count, the first as `crabllm`.
    const counts: (number | undefined)[] = options.workers ?? [undefined]
    const crabs: { name: TargetName; label: string; service: GatewayService }[] = []
    for (const [i, workers] of counts.entries()) {
      const name: TargetName = i === 0 ? 'crabllm' : `crabllm-w${workers!}`
      const label = workers === undefined ? 'crabllm' : `crabllm (${workers} worker${workers === 1 ? '' : 's'})`
      const service = await spawnGateway(mock.url, { ...launch, ...(workers !== undefined ? { workers } : {}) })
      children.push({ target: name, label, service })
      crabs.push({ name, label, service })
    }
    const crab = crabs[0]!.service
    const targets: Target[] = [
      { name: 'direct', label: 'direct', url: mock.url, headers: { authorization: `Bearer ${UPSTREAM_KEY}` } },
      { name: 'bare', label: 'bare relay', url: bare.url, headers: { authorization: `Bearer ${UPSTREAM_KEY}` } },
      ...crabs.map((c) => ({
        name: c.name,
        label: c.label,
        url: c.service.url,
        headers: { authorization: `Bearer ${GATEWAY_KEY}` },
      })),
    ]
    let baselineUrl: string | undefined
    if (options.baseline) {
      // Same launch as crabllm (config text, environment, key) but another binary: the run then compares
      // before and after a change in the same rounds, under the same machine noise.
      const first = options.workers?.[0]
      const service = await spawnGateway(mock.url, {
        ...launch,
        binary: options.baseline,
        ...(first !== undefined ? { workers: first } : {}),
      })
      const label = `baseline (${basename(options.baseline)})`
      children.push({ target: 'baseline', label, service })
      targets.push({ name: 'baseline', label, url: service.url, headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
      baselineUrl = service.url
    }
    let peerSkipped: string | undefined
    if (options.peers) {
      try {
        const entry = await ensurePortkey(log)
        const peer = await spawnPortkey(entry, { ...process.env, ...gatewayEnv })
        const label = `portkey ${PORTKEY_VERSION}`
        children.push({ target: 'peer', label, service: peer })
        targets.push({
          name: 'peer',
          label,
          url: peer.url,
          headers: portkeyHeaders(mock.url),
          headersFor: { anthropic: portkeyHeaders(mock.url, 'anthropic') },
        })
      } catch (err) {
        peerSkipped = `skipped: ${firstLine(err)}`
        log(`peer (Portkey) ${peerSkipped}`)
      }
    }
    const crabUrls = crabs.map((c) => `${c.label} ${c.service.url}`).join(', ')
    log(
      `mock ${mock.url}, bare relay ${bare.url}, ${crabUrls} (${crab.mode}, extensions: ${options.extensions})${baselineUrl ? `, baseline ${baselineUrl} (${options.baseline})` : ''}${targets.some((t) => t.name === 'peer') ? `, peer ${targets.at(-1)!.url}` : ''}`,
    )

    // Idle memory: every process started, none has served a request yet.
    await Bun.sleep(IDLE_SETTLE_MS)
    const idle = new Map(children.map((c) => [c.label, readTreeMemory(c.service.pid, 'VmRSS')]))

    const expected = await fetchAnswers(mock.url, options.scenarios)
    const { excluded, answerBytes } = await verifyAll(options.scenarios, targets, expected, log)
    log(
      `answers verified (byte for byte; translated answers field by field): ${options.scenarios.length} scenario(s) × ${targets.length} targets`,
    )

    const loadavgAtStart = loadavg()
    const pids: Partial<Record<TargetName, number>> = Object.fromEntries(
      children.filter((c) => c.target !== 'mock').map((c) => [c.target, c.service.pid]),
    )
    const results: ScenarioResult[] = []
    const seen = new Map<string, number>()
    for (const scenario of options.scenarios) {
      const these = targets.filter((t) => !excluded.get(scenario.name)?.has(t.name))
      if (scenario.kind === 'load') {
        log(
          `${scenario.name}: ${scenario.description}; ${these.length} targets × ${options.durationS} s in ${options.rounds} rounds`,
        )
        results.push(
          await compareScenario(scenario, these, expected, {
            durationMs: options.durationS * 1000,
            rounds: options.rounds,
            warmupMs: options.warmupS * 1000,
            answerBytes: answerBytes.get(scenario.name) ?? {},
          }),
        )
      } else {
        log(`${scenario.name}: ${scenario.description}; ${these.length} targets, ${options.openStreamRounds} round(s)`)
        results.push(
          await runOpenStreams(scenario, these, expected, {
            rounds: options.openStreamRounds,
            mockUrl: mock.url,
            pids,
          }),
        )
      }
      for (const c of children) {
        // Only what is new since the last scenario; the peer logs every request it fails, so it is left out.
        const stderr = c.service.stderr()
        const fresh = stderr.slice(seen.get(c.label) ?? 0).trim()
        seen.set(c.label, stderr.length)
        if (fresh && c.target !== 'peer') log(`${c.label} wrote to stderr:\n${fresh.slice(-1500)}`)
      }
    }
    const processes: ProcessInfo[] = children.map((c) => {
      const peak = readTreeMemory(c.service.pid, 'VmHWM')
      return {
        target: c.target,
        label: c.label,
        command: c.service.command,
        pid: c.service.pid,
        idleRssMB: toMB(idle.get(c.label)?.bytes ?? null),
        peakRssMB: toMB(peak.bytes),
        processCount: Math.max(1, peak.processes, idle.get(c.label)?.processes ?? 0),
      }
    })
    return {
      meta: {
        date: new Date().toISOString(),
        mode: options.mode,
        bun: Bun.version,
        crabllm: crab.mode,
        extensions:
          options.extensions === 'none' ? 'none' : `rate_limit, usage, budget, audit over ${options.extensions}`,
        commit: gitCommit(),
        srcDirty: srcDirty(),
        platform: `${platform()} ${release()}`,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: availableParallelism(),
        loadavgAtStart,
        durationS: options.durationS,
        rounds: options.rounds,
        warmupS: options.warmupS,
        openStreamRounds: options.openStreamRounds,
        fetchLimit: options.fetchLimit,
        wallS: (performance.now() - started) / 1000,
        ...(options.workers ? { workers: options.workers } : {}),
        ...(options.baseline ? { baseline: options.baseline } : {}),
        ...(peerSkipped ? { peerSkipped } : {}),
      },
      processes,
      scenarios: results,
      verdicts: verdicts(results, processes),
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopAll()
  }
}

// --- internal ---

/** The mock's exact answers, fetched once from the mock itself (it answers with fixed bytes). */
async function fetchAnswers(mockUrl: string, scenarios: readonly Scenario[]): Promise<BenchAnswers> {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(mockUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
    return new Uint8Array(await response.arrayBuffer())
  }
  const chat = (model: string, stream: boolean) =>
    post('/v1/chat/completions', { model, messages: [], ...(stream ? { stream: true } : {}) })
  const needSlow = scenarios.some((s) => s.answer === 'slowStream')
  const [c, tools, stream, longStream, slowStream, embeddings, responses, message] = await Promise.all([
    chat(BENCH_MODELS.chat, false),
    chat(BENCH_MODELS.tools, false),
    chat(BENCH_MODELS.chat, true),
    chat(BENCH_MODELS.long, true),
    needSlow ? chat(BENCH_MODELS.slow, true) : Promise.resolve(new Uint8Array()),
    post('/v1/embeddings', { model: BENCH_MODELS.chat, input: '' }),
    post('/v1/responses', { model: BENCH_MODELS.chat, input: '' }),
    post(
      '/v1/messages',
      { model: BENCH_MODELS.chat, max_tokens: 1, messages: [] },
      { 'x-api-key': UPSTREAM_KEY, 'anthropic-version': ANTHROPIC_VERSION },
    ),
  ])
  await fetch(mockUrl + OPEN_STREAMS_PATH, { method: 'DELETE' }).then((r) => r.arrayBuffer())
  return { chat: c, tools, stream, longStream, slowStream, embeddings, responses, message }
}

/**
 * Every scenario once through every target, in parallel per scenario (the slow stream takes a second).
 * A mismatch from crabllm, the baseline or the relay ends the run; from the peer, it only drops the peer
 * from that scenario (returned per scenario name). Also returns each answer's length per scenario and
 * target, which the load then expects of every answer.
 */
async function verifyAll(
  scenarios: readonly Scenario[],
  targets: readonly Target[],
  expected: BenchAnswers,
  log: (line: string) => void,
): Promise<{
  excluded: Map<string, Set<TargetName>>
  answerBytes: Map<string, Partial<Record<TargetName, number>>>
}> {
  const excluded = new Map<string, Set<TargetName>>()
  const answerBytes = new Map<string, Partial<Record<TargetName, number>>>()
  for (const scenario of scenarios) {
    const outcomes = await Promise.allSettled(targets.map((t) => verifyScenario(scenario, t, expected)))
    const lengths: Partial<Record<TargetName, number>> = {}
    outcomes.forEach((outcome, i) => {
      const target = targets[i]!
      if (outcome.status === 'fulfilled') {
        lengths[target.name] = outcome.value
        return
      }
      if (target.name !== 'peer') throw outcome.reason
      log(`peer dropped from ${scenario.name}: ${firstLine(outcome.reason)}`)
      excluded.set(scenario.name, (excluded.get(scenario.name) ?? new Set()).add('peer'))
    })
    answerBytes.set(scenario.name, lengths)
  }
  return { excluded, answerBytes }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!
}

/** Whether src/ (what dist/crabllm is built from) has changes that are not committed. */
function srcDirty(): boolean {
  try {
    const proc = Bun.spawnSync(['git', 'status', '--porcelain', '--', 'src', 'package.json', 'bun.lock'], {
      cwd: ROOT,
      stdout: 'pipe',
      stderr: 'ignore',
    })
    return proc.exitCode === 0 && proc.stdout.toString().trim() !== ''
  } catch {
    return false
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
