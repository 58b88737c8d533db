// The bench's building blocks work and its scenarios get correct answers. Structure only: timings
// belong to `bun run bench`, never to a test. Nothing here installs the peer gateway; the --baseline
// run uses the compiled binary ($CRABLLM_BIN, or dist/crabllm built once by test/support/binary.ts).
import { describe, expect, it } from 'bun:test'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import type { BenchResults } from '../scripts/bench'
import { parseBenchArgs, renderResultsChart } from '../scripts/bench'
import { startBareRelay } from '../scripts/bench/bare-relay'
import { type ChartInput, chartInput, niceAxis, renderChart } from '../scripts/bench/chart'
import { compareScenario, type LoadResult, median, rotate } from '../scripts/bench/compare'
import { RESULTS_END, RESULTS_START, replaceResults } from '../scripts/bench/docs'
import { percentile, runLoad, summarize } from '../scripts/bench/load'
import { BENCH_MODELS, startBenchUpstream } from '../scripts/bench/mock-upstream'
import { type OpenStreamsResult, runOpenStreams } from '../scripts/bench/open-streams'
import { benchConfig, GATEWAY_KEY, ROOT, UPSTREAM_KEY } from '../scripts/bench/processes'
import { formatReport } from '../scripts/bench/report'
import {
  type LoadScenario,
  type OpenStreamsScenario,
  SCENARIOS,
  scenarioRequest,
  selectScenarios,
  type Target,
  verifyScenario,
} from '../scripts/bench/scenarios'
import { checkVerdict, TARGETS, verdicts } from '../scripts/bench/verdicts'
import { crabllmBin } from './support/binary'
import { startGateway } from './support/gateway'

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!
const loadScenario = (name: string) => scenario(name) as LoadScenario
const decoder = new TextDecoder()
const frames = (bytes: Uint8Array) => decoder.decode(bytes).split('\n\n').filter(Boolean)
/** A mock whose slow stream is fast enough for a test: 3 chunks, 5 ms apart. */
const fastMock = () => startBenchUpstream({ chunks: 5, longChunks: 500, slowChunks: 3, slowIntervalMs: 5 })

describe('bench mock upstream', () => {
  it('answers each scenario from its model name', async () => {
    await using mock = fastMock()
    const long = frames(mock.bodies.longStream)
    // role, 500 content chunks, finish, usage, [DONE]
    expect(long.length).toBe(504)
    expect(long.at(-1)).toBe('data: [DONE]')
    expect(frames(mock.bodies.stream).length).toBe(9)
    expect(frames(mock.bodies.slowStream).length).toBe(7)
    expect(JSON.parse(decoder.decode(mock.bodies.tools)).choices[0].finish_reason).toBe('tool_calls')
    for (const s of SCENARIOS) {
      const request = scenarioRequest(s, directTarget(mock.url))
      const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body })
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(mock.bodies[s.answer]))).toBe(true)
    }
  })

  it('holds slow streams open and counts them', async () => {
    await using mock = fastMock()
    const body = JSON.stringify({ model: BENCH_MODELS.slow, stream: true })
    const open = () => fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body })
    const responses = await Promise.all([open(), open(), open()])
    const texts = await Promise.all(responses.map((r) => r.text()))
    for (const text of texts) expect(text).toBe(decoder.decode(mock.bodies.slowStream))
    expect(mock.openStreams()).toEqual({ open: 0, peak: 3 })
    const reset = await fetch(`${mock.url}/bench/open-streams`, { method: 'DELETE' })
    expect(await reset.json()).toEqual({ open: 0, peak: 0 })
  })
})

describe('bench bare relay', () => {
  it('relays every scenario byte for byte, and other statuses as they are', async () => {
    await using mock = fastMock()
    await using relay = startBareRelay({ upstream: mock.url })
    for (const s of SCENARIOS) await verifyScenario(s, bareRelayTarget(relay.url), mock.bodies)
    const missing = await fetch(`${relay.url}/v1/nope?x=1`, { method: 'POST', body: '{}' })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('not found')
  })
})

describe('bench load generator', () => {
  it('summarizes samples with nearest-rank percentiles', () => {
    const s = summarize([5, 1, 4, 2, 3])
    expect(s).toEqual({ count: 5, mean: 3, p50: 3, p90: 5, p99: 5, min: 1, max: 5 })
    expect(percentile(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 90)).toBe(9)
    expect(summarize([]).count).toBe(0)
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([NaN])).toBeNaN()
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a'])
    expect(rotate(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b'])
  })

  it('runs closed-loop load against the mock and records every answer', async () => {
    await using mock = fastMock()
    for (const name of ['chat-minimal-c1', 'chat-stream-c32', 'tools-c1']) {
      const s = loadScenario(name)
      const run = await runLoad(scenarioRequest(s, directTarget(mock.url), mock.bodies), {
        concurrency: Math.min(s.concurrency, 4),
        durationMs: 60,
      })
      expect(run.errors).toBe(0)
      expect(run.requests).toBeGreaterThan(0)
      expect(run.total.length).toBe(run.requests)
      expect(run.ttfb.length).toBe(s.stream ? run.requests : 0)
    }
  })

  it('counts an answer of the wrong length as an error', async () => {
    await using mock = fastMock()
    const request = { ...scenarioRequest(scenario('chat-minimal-c1'), directTarget(mock.url)), expectBytes: 1 }
    const run = await runLoad(request, { concurrency: 1, durationMs: 20 })
    expect(run.errors).toBe(run.requests)
    expect(run.firstError).toContain('expected a 1-byte answer')
  })
})

describe('bench scenarios', () => {
  it('get the upstream bytes unchanged through crabllm, for every scenario', async () => {
    await using mock = fastMock()
    await using gateway = await startGateway(benchConfig(mock.url, 'memory'))
    for (const s of SCENARIOS) await verifyScenario(s, crabTarget(gateway.url), mock.bodies)
    expect(gateway.errors()).toEqual([])
  })

  it('compares direct, the relay and crabllm in rotated rounds', async () => {
    await using mock = fastMock()
    await using relay = startBareRelay({ upstream: mock.url })
    await using gateway = await startGateway(benchConfig(mock.url, 'none'))
    const targets = [directTarget(mock.url), bareRelayTarget(relay.url), crabTarget(gateway.url)]
    const result = await compareScenario(loadScenario('chat-stream-c1'), targets, mock.bodies, {
      durationMs: 90,
      rounds: 3,
      warmupMs: 10,
    })
    expect(result.order).toEqual([
      ['direct', 'bare', 'crabllm'],
      ['bare', 'crabllm', 'direct'],
      ['crabllm', 'direct', 'bare'],
    ])
    for (const name of ['direct', 'bare', 'crabllm'] as const) {
      const t = result.targets[name]!
      expect(t.errors).toBe(0)
      expect(t.rounds.length).toBe(3)
      for (const value of [t.p50, t.p99, t.rps, t.ttfbP50]) expect(Number.isFinite(value)).toBe(true)
    }
    expect(result.targets.direct!.vsDirect).toBeUndefined()
    expect(result.targets.bare!.vsBare).toBeUndefined()
    const crab = result.targets.crabllm!
    for (const value of [
      crab.vsDirect?.p50,
      crab.vsDirect?.ttfbP50,
      crab.vsDirect?.rpsShare,
      crab.vsBare?.p50,
      crab.vsBare?.ttfbP50,
      crab.vsBare?.rpsShare,
    ])
      expect(Number.isFinite(value)).toBe(true)
  })

  it('holds N streams open through a target and reports them all complete', async () => {
    await using mock = fastMock()
    await using relay = startBareRelay({ upstream: mock.url })
    const open: OpenStreamsScenario = {
      ...(scenario('open-streams-100') as OpenStreamsScenario),
      streams: 20,
      name: 'open-streams-20',
    }
    const result = await runOpenStreams(open, [directTarget(mock.url), bareRelayTarget(relay.url)], mock.bodies, {
      rounds: 1,
      mockUrl: mock.url,
      pids: { bare: process.pid },
    })
    for (const t of [result.targets.direct!, result.targets.bare!]) {
      expect(t.allCompleted).toBe(true)
      expect(t.errors).toBe(0)
      expect(t.upstreamPeakOpen).toBe(20)
    }
    expect(result.targets.bare!.peakRssMB).toBeGreaterThan(0)
    expect(result.targets.direct!.peakRssMB).toBeNull()
  })

  it('selects scenarios by name or by family', () => {
    expect(selectScenarios(['chat-minimal']).map((s) => s.name)).toEqual(['chat-minimal-c1', 'chat-minimal-c32'])
    expect(selectScenarios(['open-streams-1000', 'tools-c1']).map((s) => s.name)).toEqual([
      'tools-c1',
      'open-streams-1000',
    ])
    expect(selectScenarios(['open-streams']).length).toBe(3)
    expect(() => selectScenarios(['nope'])).toThrow('unknown scenario')
    // Six families at 1 and 32 connections, and 100/500/1000 open streams.
    expect(SCENARIOS.length).toBe(15)
  })
})

describe('bench chart', () => {
  const input: ChartInput = chartInput(
    ['chat-minimal', 'tools'].flatMap((family) =>
      [1, 32].map((c) => fakeLoad(`${family}-c${c}`, family, c, { crabllm: 0.3, bare: 0.2, peer: c === 1 ? 25 : 40 })),
    ),
    'test machine',
  )

  it('draws a bar per scenario and gateway, a legend and an axis in ms', () => {
    const svg = renderChart({
      ...input,
      series: input.series.map((s) => (s.target === 'peer' ? { ...s, label: 'portkey <x>' } : s)),
    })
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg.match(/<rect class="bar"/g)?.length).toBe(4 * 3)
    for (const gateway of ['crabllm', 'bare', 'peer'])
      expect(svg.match(new RegExp(`data-gateway="${gateway}"`, 'g'))?.length).toBe(4)
    expect(svg).toContain('data-scenario="tools-c32"')
    expect(svg).toContain('>crabllm</text>')
    expect(svg).toContain('bare relay')
    expect(svg).toContain('portkey &lt;x&gt;')
    expect(svg).toContain('added P50 (ms)')
    expect(svg).toContain('1 connection')
    expect(svg).toContain('32 connections')
    expect(svg).not.toContain('NaN')
    expect(svg.match(/<text/g)?.length).toBe(svg.match(/<\/text>/g)?.length)
    expect(svg.match(/<g[ >]/g)?.length).toBe(svg.match(/<\/g>/g)?.length)
  })

  it('cuts the peer bars that would flatten the others, and says so', () => {
    const svg = renderChart(input)
    expect(svg).toContain('25.0 ↑')
    expect(svg).toContain('bar cut at the top')
  })

  it('draws a --baseline run with the baseline beside crabllm, and the cut note under a full legend', () => {
    const withBaseline = ['chat-minimal', 'tools'].flatMap((family) =>
      [1, 32].map((c) => {
        const r = fakeLoad(`${family}-c${c}`, family, c, { crabllm: 0.3, bare: 0.2, peer: c === 1 ? 25 : 40 })
        const baseline = { ...r.targets.crabllm!, label: 'baseline (crabllm-before)' }
        return { ...r, targets: { ...r.targets, baseline } }
      }),
    )
    const chart = chartInput(withBaseline, 'test machine')
    expect(chart.series.map((s) => s.target)).toEqual(['crabllm', 'baseline', 'bare', 'peer'])
    const svg = renderChart(chart)
    expect(svg.match(/<rect class="bar"/g)?.length).toBe(4 * 4)
    expect(svg.match(/data-gateway="baseline"/g)?.length).toBe(4)
    expect(svg).toContain('>baseline (crabllm-before)</text>')
    expect(svg).toContain('<text x="70" y="92" font-size="11" fill="#868e96">↑ bar cut')
  })

  it('picks round axis steps', () => {
    expect(niceAxis(0, 0.47)).toEqual({
      min: 0,
      max: 0.5,
      step: 0.1,
      ticks: [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5],
    })
    expect(niceAxis(-0.7, 19.5).step).toBe(5)
    expect(niceAxis(0, 0).max).toBeGreaterThan(0)
  })
})

describe('bench docs', () => {
  const page = `# Benchmarks\n\nintro\n\n${RESULTS_START}\nold results\n${RESULTS_END}\n\nafter\n`

  it('rewrites only the results section, and the same report twice gives the same page', () => {
    const once = replaceResults(page, 'new table\n')
    expect(once).toBe(`# Benchmarks\n\nintro\n\n${RESULTS_START}\nnew table\n${RESULTS_END}\n\nafter\n`)
    expect(replaceResults(once, 'new table\n')).toBe(once)
    expect(() => replaceResults('# no markers', 'x')).toThrow('markers')
  })

  it('finds its markers in docs/benchmarks.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8')
    expect(doc.indexOf(RESULTS_START)).toBeGreaterThan(0)
    expect(doc.indexOf(RESULTS_END)).toBeGreaterThan(doc.indexOf(RESULTS_START))
  })
})

describe('bench verdicts', () => {
  it('fails --check only when crabllm adds more than twice what the bare relay adds', () => {
    expect(checkVerdict(0.2, 0.12).ok).toBe(true)
    expect(checkVerdict(0.24, 0.12).ok).toBe(true)
    expect(checkVerdict(0.25, 0.12)).toEqual({ ok: false, message: expect.stringContaining('check failed') })
    // A relay figure lost in noise (≤ 0) is floored at 0.01 ms.
    expect(checkVerdict(0.015, -0.01).ok).toBe(true)
    expect(checkVerdict(0.03, 0).ok).toBe(false)
    expect(checkVerdict(NaN, 0.1).ok).toBe(false)
  })

  it('judges each target from the results', () => {
    const results = [
      fakeLoad('chat-minimal-c1', 'chat-minimal', 1, { crabllm: 0.13, bare: 0.12, peer: 1 }),
      fakeLoad('chat-minimal-c32', 'chat-minimal', 32, { crabllm: 2, bare: 1.8, peer: 9 }, { crabllm: 0.95 }),
      fakeLoad('chat-stream-c1', 'chat-stream', 1, { crabllm: 0.3, bare: 0.1, peer: 2 }),
    ]
    const list = verdicts(results)
    expect(list.map((v) => v.met)).toEqual([true, true, false, null, true])
    expect(list[2]!.detail[0]).toContain('chat-stream-c1')
    expect(list[3]!.rule).toContain(`${TARGETS.openStreams} open streams`)
  })
})

describe('bun run bench', () => {
  it('parses its modes and flags', () => {
    const quick = parseBenchArgs([])
    expect(quick.mode).toBe('quick')
    expect(quick.extensions).toBe('sqlite')
    expect(quick.peers).toBe(false)
    expect(quick.scenarios.map((s) => s.name)).toContain('open-streams-1000')
    const full = parseBenchArgs(['--full', '--peers', '--extensions', 'none'])
    expect(full.scenarios.length).toBe(SCENARIOS.length)
    expect(full.peers).toBe(true)
    expect(full.extensions).toBe('none')
    expect(full.durationS).toBeGreaterThan(quick.durationS)
    const check = parseBenchArgs(['--check', '--peers'])
    expect(check.scenarios.map((s) => s.name)).toEqual(['chat-minimal-c1'])
    expect(check.peers).toBe(false)
    const smoke = parseBenchArgs([
      '--smoke',
      '--scenario',
      'chat-minimal-c1,tools',
      '--source',
      '--write-docs',
      '--fetch-limit',
      '2048',
    ])
    expect(smoke.scenarios.map((s) => s.name)).toEqual(['chat-minimal-c1', 'tools-c1', 'tools-c32'])
    expect(smoke.source && smoke.writeDocs).toBe(true)
    expect(smoke.fetchLimit).toBe(2048)
    expect(() => parseBenchArgs(['--full', '--check'])).toThrow('choose one mode')
    expect(() => parseBenchArgs(['--extensions', 'redis'])).toThrow('none, memory or sqlite')
    expect(() => parseBenchArgs(['--check', '--scenario', 'tools'])).toThrow('--check')
    expect(() => parseBenchArgs(['--duration', 'x'])).toThrow('--duration')
    expect(() => parseBenchArgs(['--quick'])).toThrow('unknown flag')
  })

  it('takes --baseline PATH for an executable file only, and not with --check or --write-docs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crabllm-bench-test-'))
    try {
      const executable = join(dir, 'crabllm-before')
      writeFileSync(executable, '#!/bin/sh\n')
      chmodSync(executable, 0o755)
      const plain = join(dir, 'plain')
      writeFileSync(plain, '')
      chmodSync(plain, 0o644)
      expect(parseBenchArgs([]).baseline).toBeNull()
      const options = parseBenchArgs(['--smoke', '--source', '--baseline', executable])
      expect(options.baseline).toBe(executable)
      expect(options.source).toBe(true)
      expect(parseBenchArgs(['--baseline', executable]).mode).toBe('quick')
      expect(() => parseBenchArgs(['--baseline', join(dir, 'missing')])).toThrow('no such file')
      expect(() => parseBenchArgs(['--baseline', dir])).toThrow('not a file')
      // No execute bit at all: refused even for root.
      expect(() => parseBenchArgs(['--baseline', plain])).toThrow('not executable')
      expect(() => parseBenchArgs(['--baseline'])).toThrow('--baseline needs a value')
      expect(() => parseBenchArgs(['--check', '--baseline', executable])).toThrow('drop --baseline')
      expect(() => parseBenchArgs(['--baseline', executable, '--write-docs'])).toThrow('drop --write-docs')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('runs a smoke scenario against crabllm from source and writes its JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crabllm-bench-test-'))
    try {
      const out = join(dir, 'results.json')
      const proc = Bun.spawn(
        [
          process.execPath,
          join(ROOT, 'scripts/bench.ts'),
          '--smoke',
          '--source',
          '--json',
          '--extensions',
          'memory',
          '--scenario',
          'chat-minimal-c1',
          '--duration',
          '0.15',
          '--warmup',
          '0.02',
          '--out',
          out,
        ],
        { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
      )
      const [code, stdout, stderr] = await Promise.all([
        proc.exited,
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
      ])
      if (code !== 0) throw new Error(`bench exited ${code}\n${stderr}`)
      expect(existsSync(out)).toBe(true)
      const written = JSON.parse(readFileSync(out, 'utf8')) as BenchResults
      expect(JSON.parse(stdout)).toEqual(written)
      expect(written.meta.crabllm).toBe('source')
      expect(written.meta.mode).toBe('smoke')
      expect(written.processes.map((p) => p.target)).toEqual(['mock', 'bare', 'crabllm'])
      const [chat] = written.scenarios as LoadResult[]
      expect(chat!.name).toBe('chat-minimal-c1')
      for (const name of ['direct', 'bare', 'crabllm'] as const) {
        expect(chat!.targets[name]!.requests).toBeGreaterThan(0)
        expect(chat!.targets[name]!.errors).toBe(0)
      }
      expect(Number.isFinite(chat!.targets.crabllm!.vsDirect!.p50)).toBe(true)
      expect(written.verdicts[0]!.met).not.toBeNull()
      // Without --baseline, nothing of it shows.
      expect(written.meta.baseline).toBeUndefined()
      expect(chat!.targets.crabllm!.vsBaseline).toBeUndefined()
      expect(formatReport(written)).not.toContain('baseline')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('measures a --baseline binary beside crabllm in the same rounds, load and open streams', async () => {
    const bin = resolve(crabllmBin())
    const dir = mkdtempSync(join(tmpdir(), 'crabllm-bench-test-'))
    try {
      const out = join(dir, 'results.json')
      const written = await runSmokeBench([
        '--source',
        '--baseline',
        bin,
        '--extensions',
        'memory',
        '--scenario',
        'chat-minimal-c1,open-streams-100',
        '--duration',
        '0.15',
        '--warmup',
        '0.02',
        '--out',
        out,
      ])
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(written)
      expect(written.meta.baseline).toBe(bin)
      expect(written.meta.crabllm).toBe('source')
      expect(written.processes.map((p) => p.target)).toEqual(['mock', 'bare', 'crabllm', 'baseline'])
      const baselineProcess = written.processes.find((p) => p.target === 'baseline')!
      const label = `baseline (${basename(bin)})`
      expect(baselineProcess.label).toBe(label)
      expect(baselineProcess.command[0]).toBe(bin)
      expect(baselineProcess.peakRssMB).toBeGreaterThan(0)

      const chat = written.scenarios.find((r): r is LoadResult => r.kind === 'load')!
      for (const order of chat.order) expect([...order].sort()).toEqual(['bare', 'baseline', 'crabllm', 'direct'])
      const baseline = chat.targets.baseline!
      expect(baseline.label).toBe(label)
      expect(baseline.requests).toBeGreaterThan(0)
      expect(baseline.errors).toBe(0)
      expect(baseline.rounds.length).toBe(chat.rounds)
      for (const value of [baseline.p50, baseline.rps, baseline.vsDirect?.p50, baseline.vsBare?.rpsShare])
        expect(Number.isFinite(value)).toBe(true)
      expect(baseline.vsBaseline).toBeUndefined()
      const vs = chat.targets.crabllm!.vsBaseline!
      expect(Number.isFinite(vs.p50) && Number.isFinite(vs.rpsShare)).toBe(true)

      const open = written.scenarios.find((r): r is OpenStreamsResult => r.kind === 'open-streams')!
      expect(open.targets.baseline!.allCompleted).toBe(true)
      expect(open.targets.baseline!.errors).toBe(0)
      expect(open.targets.baseline!.peakRssMB).toBeGreaterThan(0)

      const report = formatReport(written)
      expect(report).toContain('#### crabllm vs baseline')
      expect(report).toContain(`| ${label}`)
      expect(report).toContain(`Baseline: compiled binary ${bin}`)
      expect(renderResultsChart(written)).toContain('data-gateway="baseline"')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

// --- internal ---

/** `bun scripts/bench.ts --smoke --json …args`: the results it printed; throws with its stderr when it fails. */
async function runSmokeBench(args: readonly string[]): Promise<BenchResults> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'scripts/bench.ts'), '--smoke', '--json', ...args], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  if (code !== 0) throw new Error(`bench exited ${code}\n${stderr}`)
  return JSON.parse(stdout) as BenchResults
}

function directTarget(url: string): Target {
  return { name: 'direct', label: 'direct', url, headers: { authorization: `Bearer ${UPSTREAM_KEY}` } }
}

function bareRelayTarget(url: string): Target {
  return { name: 'bare', label: 'bare relay', url, headers: { authorization: `Bearer ${UPSTREAM_KEY}` } }
}

function crabTarget(url: string): Target {
  return { name: 'crabllm', label: 'crabllm', url, headers: { authorization: `Bearer ${GATEWAY_KEY}` } }
}

/** A load result with the given added P50 per gateway (direct at 0.1 ms, 1000 req/s; gateways at 500 req/s unless given). */
function fakeLoad(
  name: string,
  family: string,
  concurrency: number,
  added: Record<'crabllm' | 'bare' | 'peer', number>,
  shareOfBare: Partial<Record<'crabllm' | 'peer', number>> = {},
): LoadResult {
  const figures = (label: string, add: number | null, rps: number, vsBareShare?: number) => ({
    label,
    requests: 10,
    errors: 0,
    p50: 0.1 + (add ?? 0),
    p99: 0.2 + (add ?? 0),
    rps,
    ...(family.includes('stream') ? { ttfbP50: 0.05 + (add ?? 0), ttfbP99: 0.1 + (add ?? 0) } : {}),
    ...(add === null
      ? {}
      : {
          vsDirect: {
            p50: add,
            p99: add,
            rpsShare: rps / 1000,
            ...(family.includes('stream') ? { ttfbP50: add, ttfbP99: add } : {}),
          },
        }),
    ...(vsBareShare === undefined
      ? {}
      : {
          vsBare: {
            p50: (add ?? 0) - added.bare,
            p99: 0,
            rpsShare: vsBareShare,
            ...(family.includes('stream') ? { ttfbP50: (add ?? 0) - added.bare, ttfbP99: 0 } : {}),
          },
        }),
    rounds: [],
  })
  return {
    kind: 'load',
    name,
    family,
    description: name,
    stream: family.includes('stream'),
    concurrency,
    rounds: 1,
    order: [['direct', 'bare', 'crabllm', 'peer']],
    targets: {
      direct: figures('direct', null, 1000),
      bare: figures('bare relay', added.bare, 500),
      crabllm: figures('crabllm', added.crabllm, 500 * (shareOfBare.crabllm ?? 1), shareOfBare.crabllm ?? 1),
      peer: figures('portkey 1.15.2', added.peer, 100, shareOfBare.peer ?? 0.2),
    },
  }
}
