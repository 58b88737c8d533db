// The bench's building blocks work and its scenarios get correct answers. Structure only: timings
// belong to `bun run bench`, never to a test.
import { describe, expect, it } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchResults } from '../scripts/bench'
import { parseBenchArgs } from '../scripts/bench'
import { compareScenario } from '../scripts/bench/compare'
import { percentile, runLoad, summarize } from '../scripts/bench/load'
import { startBenchUpstream } from '../scripts/bench/mock-upstream'
import { benchConfig, GATEWAY_KEY, ROOT, UPSTREAM_KEY } from '../scripts/bench/processes'
import { formatTable, verdicts } from '../scripts/bench/report'
import { SCENARIOS, scenarioRequest, verifyScenario } from '../scripts/bench/scenarios'
import { startGateway } from './support/gateway'

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!

describe('bench load generator', () => {
  it('summarizes samples with nearest-rank percentiles', () => {
    const s = summarize([5, 1, 4, 2, 3])
    expect(s).toEqual({ count: 5, mean: 3, p50: 3, p90: 5, p99: 5, min: 1, max: 5 })
    expect(percentile(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 90)).toBe(9)
    expect(summarize([]).count).toBe(0)
  })

  it('runs closed-loop load against the mock and records every answer', async () => {
    await using mock = startBenchUpstream({ chunks: 5 })
    const target = { url: mock.url, key: UPSTREAM_KEY }
    for (const name of ['chat-c1', 'stream-c32', 'embeddings-c1']) {
      const s = scenario(name)
      const run = await runLoad(scenarioRequest(s, target, mock.bodies), { concurrency: Math.min(s.concurrency, 4), durationMs: 100 })
      expect(run.errors).toBe(0)
      expect(run.requests).toBeGreaterThan(0)
      expect(run.total.length).toBe(run.requests)
      expect(run.ttfb.length).toBe(s.stream ? run.requests : 0)
      const summary = summarize(run.total)
      for (const value of Object.values(summary)) expect(Number.isFinite(value)).toBe(true)
    }
  })

  it('counts an answer of the wrong length as an error', async () => {
    await using mock = startBenchUpstream()
    const request = { ...scenarioRequest(scenario('chat-c1'), { url: mock.url, key: UPSTREAM_KEY }), expectBytes: 1 }
    const run = await runLoad(request, { concurrency: 1, durationMs: 20 })
    expect(run.errors).toBe(run.requests)
    expect(run.firstError).toContain('expected a 1-byte answer')
  })
})

describe('bench scenarios', () => {
  it('get the upstream bytes unchanged through the gateway, for every scenario', async () => {
    await using mock = startBenchUpstream()
    await using gateway = await startGateway(benchConfig(mock.url))
    const targets = [
      { url: mock.url, key: UPSTREAM_KEY },
      { url: gateway.url, key: GATEWAY_KEY },
    ]
    for (const s of SCENARIOS) await verifyScenario(s, targets, mock.bodies)
    expect(gateway.errors()).toEqual([])
  })

  it('compares direct and gateway in interleaved rounds', async () => {
    await using mock = startBenchUpstream({ chunks: 3 })
    await using gateway = await startGateway(benchConfig(mock.url))
    const targets = { direct: { url: mock.url, key: UPSTREAM_KEY }, gateway: { url: gateway.url, key: GATEWAY_KEY } }
    const result = await compareScenario(scenario('stream-c1'), targets, mock.bodies, { durationMs: 120, rounds: 2, warmupMs: 20 })
    expect(result.addedP50ByRound.length).toBe(2)
    for (const side of [result.direct, result.gateway]) {
      expect(side.errors).toBe(0)
      expect(side.requests).toBeGreaterThan(0)
      expect(side.ttfb?.count).toBeGreaterThan(0)
    }
    for (const value of [result.added.p50, result.added.p99, result.addedTtfb?.p50, result.ratio.p50, result.ratio.rps]) expect(Number.isFinite(value)).toBe(true)
    expect(formatTable([result])).toContain('stream-c1')
    expect(verdicts([result])).toEqual([])
  })
})

describe('bun run bench', () => {
  it('parses its flags', () => {
    const quick = parseBenchArgs(['--quick', '--scenario', 'chat-c1,stream-c1', '--source'])
    expect(quick.scenarios.map((s) => s.name)).toEqual(['chat-c1', 'stream-c1'])
    expect(quick.source).toBe(true)
    expect(quick.rounds % 2).toBe(0)
    expect(parseBenchArgs([]).scenarios.length).toBe(SCENARIOS.length)
    expect(() => parseBenchArgs(['--scenario', 'nope'])).toThrow('unknown scenario')
    expect(() => parseBenchArgs(['--duration', 'x'])).toThrow('--duration')
  })

  it('runs a quick scenario against the source gateway and writes its JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crabllm-bench-test-'))
    try {
      const out = join(dir, 'results.json')
      const proc = Bun.spawn(
        [process.execPath, join(ROOT, 'scripts/bench.ts'), '--source', '--json', '--scenario', 'chat-c1', '--duration', '0.2', '--warmup', '0.05', '--out', out],
        { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
      )
      const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
      if (code !== 0) throw new Error(`bench exited ${code}\n${stderr}`)
      expect(existsSync(out)).toBe(true)
      const written = JSON.parse(readFileSync(out, 'utf8')) as BenchResults
      expect(JSON.parse(stdout)).toEqual(written)
      expect(written.meta.gateway).toBe('source')
      expect(written.scenarios.map((s) => s.name)).toEqual(['chat-c1'])
      const [chat] = written.scenarios
      expect(chat!.direct.requests).toBeGreaterThan(0)
      expect(chat!.gateway.requests).toBeGreaterThan(0)
      expect(chat!.direct.errors + chat!.gateway.errors).toBe(0)
      for (const value of [chat!.added.p50, chat!.added.p99, chat!.ratio.p50, chat!.ratio.rps, chat!.gateway.total.p99]) expect(Number.isFinite(value)).toBe(true)
      expect(written.target.verdicts.map((v) => v.scenario)).toEqual(['chat-c1'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
