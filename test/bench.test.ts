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
import { type ChartInput, chartInput, niceAxis, renderChart, wrapLabel } from '../scripts/bench/chart'
import { compareScenario, type LoadResult, median, rotate } from '../scripts/bench/compare'
import { RESULTS_END, RESULTS_START, replaceResults, writeDocs } from '../scripts/bench/docs'
import { percentile, runLoad, summarize } from '../scripts/bench/load'
import {
  ANTHROPIC_VERSION,
  BENCH_ANTHROPIC_MODEL,
  BENCH_MODELS,
  BENCH_REPLY,
  startBenchUpstream,
} from '../scripts/bench/mock-upstream'
import { type OpenStreamsResult, runOpenStreams } from '../scripts/bench/open-streams'
import { benchConfig, GATEWAY_KEY, ROOT, serveArgs, UPSTREAM_KEY } from '../scripts/bench/processes'
import { formatReport, orderTargets } from '../scripts/bench/report'
import { processTree, readMemory, readTreeMemory } from '../scripts/bench/rss'
import {
  answerMismatches,
  FAMILIES,
  isCrabllmTarget,
  type LoadScenario,
  type OpenStreamsScenario,
  SCENARIOS,
  scenarioRequest,
  selectScenarios,
  type Target,
  type TargetName,
  verifyScenario,
} from '../scripts/bench/scenarios'
import {
  addedLatencyVerdict,
  checkVerdict,
  idleRssVerdict,
  openStreamsVerdict,
  TARGETS,
  throughputVerdict,
  translationVerdict,
  ttfbVerdict,
  verdicts,
} from '../scripts/bench/verdicts'
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

  it("answers /v1/responses with OpenAI's Response object, the same reply as its chat completion", async () => {
    await using mock = fastMock()
    const answer = await fetch(`${mock.url}/v1/responses`, {
      method: 'POST',
      body: '{"model":"bench-model","input":"x"}',
    })
    expect(answer.headers.get('content-type')).toContain('application/json')
    expect(Buffer.from(await answer.arrayBuffer()).equals(Buffer.from(mock.bodies.responses))).toBe(true)
    const response = JSON.parse(decoder.decode(mock.bodies.responses))
    expect(response).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      object: 'response',
      created_at: expect.any(Number),
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: BENCH_MODELS.chat,
    })
    expect(response.output).toEqual([
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: BENCH_REPLY.text, annotations: [], logprobs: [] }],
      },
    ])
    expect(response.usage).toEqual({
      input_tokens: BENCH_REPLY.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: BENCH_REPLY.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: BENCH_REPLY.inputTokens + BENCH_REPLY.outputTokens,
    })
    const chat = JSON.parse(decoder.decode(mock.bodies.chat))
    expect(chat.choices[0].message.content).toBe(BENCH_REPLY.text)
    expect(chat.usage.prompt_tokens).toBe(BENCH_REPLY.inputTokens)
  })

  it("answers /v1/messages with Anthropic's Message, and refuses a call without its key or version header", async () => {
    await using mock = fastMock()
    const message = JSON.parse(decoder.decode(mock.bodies.message))
    expect(Object.keys(message)).toEqual([
      'id',
      'type',
      'role',
      'model',
      'content',
      'stop_reason',
      'stop_sequence',
      'usage',
    ])
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_[0-9A-Za-z]{24}$/),
      type: 'message',
      role: 'assistant',
      model: BENCH_ANTHROPIC_MODEL,
      content: [{ type: 'text', text: BENCH_REPLY.text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: BENCH_REPLY.inputTokens, output_tokens: BENCH_REPLY.outputTokens },
    })
    const post = (headers: Record<string, string>) =>
      fetch(`${mock.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"model":"bench-anthropic","max_tokens":1,"messages":[]}',
      })
    const noKey = await post({ 'anthropic-version': ANTHROPIC_VERSION })
    expect(noKey.status).toBe(401)
    expect(await noKey.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.any(String) },
    })
    const bearerOnly = await post({ authorization: 'Bearer x', 'anthropic-version': ANTHROPIC_VERSION })
    expect(bearerOnly.status).toBe(401)
    const noVersion = await post({ 'x-api-key': 'x' })
    expect(noVersion.status).toBe(400)
    expect(((await noVersion.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')
    const ok = await post({ 'x-api-key': 'x', 'anthropic-version': ANTHROPIC_VERSION })
    expect(ok.status).toBe(200)
    expect(Buffer.from(await ok.arrayBuffer()).equals(Buffer.from(mock.bodies.message))).toBe(true)
  })
})

describe('bench bare relay', () => {
  it("relays every scenario (its answers the mock's own bytes), and other statuses as they are", async () => {
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

  it('routes the translated scenarios to an openai-kind and an anthropic-kind deployment of the mock', async () => {
    await using mock = fastMock()
    await using gateway = await startGateway(benchConfig(mock.url, 'sqlite'))
    const ask = async (name: string) => {
      const request = scenarioRequest(scenario(name), crabTarget(gateway.url))
      const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body })
      expect(response.status).toBe(200)
      return (await response.json()) as Record<string, unknown>
    }
    // Anthropic's client on the openai-kind deployment gets a Message; OpenAI's on the anthropic-kind one a chat completion.
    expect(await ask('messages-to-openai-c1')).toMatchObject({ type: 'message', model: BENCH_MODELS.chat })
    expect(await ask('anthropic-kind-c1')).toMatchObject({ object: 'chat.completion', model: BENCH_ANTHROPIC_MODEL })
    expect(await ask('responses-c1')).toMatchObject({ object: 'response' })
    const config = benchConfig(mock.url)
    expect(config).toContain(`[providers.mock_anthropic]\nkind = "anthropic"\nbase_url = "${mock.url}/v1"`)
    expect(config).toContain(`models = ["${BENCH_ANTHROPIC_MODEL}"]`)
    expect(config).toContain(`[models."${BENCH_ANTHROPIC_MODEL}"]`)
    expect(benchConfig(mock.url, 'none')).toContain('[providers.mock_anthropic]')
    expect(gateway.errors()).toEqual([])
  })

  it('measures responses, messages-to-openai and anthropic-kind through crabllm, each answer checked', async () => {
    await using mock = fastMock()
    await using relay = startBareRelay({ upstream: mock.url })
    await using gateway = await startGateway(benchConfig(mock.url, 'memory'))
    const targets = [directTarget(mock.url), bareRelayTarget(relay.url), crabTarget(gateway.url)]
    for (const name of ['responses-c1', 'messages-to-openai-c1', 'anthropic-kind-c32']) {
      const s = loadScenario(name)
      const lengths = await Promise.all(targets.map((t) => verifyScenario(s, t, mock.bodies)))
      const answerBytes = Object.fromEntries(targets.map((t, i) => [t.name, lengths[i]!]))
      const result = await compareScenario({ ...s, concurrency: Math.min(s.concurrency, 4) }, targets, mock.bodies, {
        durationMs: 60,
        rounds: 2,
        warmupMs: 0,
        answerBytes,
      })
      expect(result.check).toBe(s.check)
      for (const t of targets) {
        expect(result.targets[t.name]!.errors).toBe(0)
        expect(result.targets[t.name]!.requests).toBeGreaterThan(0)
      }
      expect(Number.isFinite(result.targets.crabllm!.vsBare!.rpsShare)).toBe(true)
    }
    // A translated answer of another length than the one verified counts as an error.
    const wrong = await compareScenario(loadScenario('anthropic-kind-c1'), targets, mock.bodies, {
      durationMs: 30,
      rounds: 1,
      warmupMs: 0,
      answerBytes: { crabllm: 1 },
    })
    expect(wrong.targets.crabllm!.errors).toBe(wrong.targets.crabllm!.requests)
    expect(wrong.targets.direct!.errors).toBe(0)
    expect(gateway.errors()).toEqual([])
  })

  it("sends a translated scenario in the client's dialect, and direct the equivalent upstream request", async () => {
    const body = (request: { body: Uint8Array }) => JSON.parse(decoder.decode(request.body))
    const messages = loadScenario('messages-to-openai-c1')
    const toCrab = scenarioRequest(messages, crabTarget('http://crab'))
    expect(toCrab.url).toBe('http://crab/v1/messages')
    expect(toCrab.headers).toEqual({
      'content-type': 'application/json',
      'x-api-key': GATEWAY_KEY,
      'anthropic-version': '2023-06-01',
    })
    expect(body(toCrab)).toEqual({
      model: BENCH_MODELS.chat,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Hello!' }],
    })
    const toDirect = scenarioRequest(messages, directTarget('http://mock'))
    expect(toDirect.url).toBe('http://mock/v1/chat/completions')
    expect(toDirect.headers).toEqual({ 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` })
    expect(body(toDirect)).toEqual({
      model: BENCH_MODELS.chat,
      messages: [{ role: 'user', content: 'Hello!' }],
      max_tokens: 256,
    })
    // The bare relay forwards the client's request to the same path.
    expect(scenarioRequest(messages, bareRelayTarget('http://relay')).url).toBe('http://relay/v1/messages')

    const anthropic = loadScenario('anthropic-kind-c1')
    const chat = scenarioRequest(anthropic, crabTarget('http://crab'))
    expect(chat.url).toBe('http://crab/v1/chat/completions')
    expect(chat.headers.authorization).toBe(`Bearer ${GATEWAY_KEY}`)
    expect(body(chat)).toEqual({ model: BENCH_ANTHROPIC_MODEL, messages: [{ role: 'user', content: 'Hello!' }] })
    const direct = scenarioRequest(anthropic, directTarget('http://mock'))
    expect(direct.url).toBe('http://mock/v1/messages')
    expect(direct.headers).toEqual({
      'content-type': 'application/json',
      'x-api-key': UPSTREAM_KEY,
      'anthropic-version': '2023-06-01',
    })
    expect(body(direct)).toEqual({
      model: BENCH_ANTHROPIC_MODEL,
      messages: [{ role: 'user', content: 'Hello!' }],
      max_tokens: 4096,
    })
    expect(scenarioRequest(loadScenario('responses-c1'), crabTarget('http://crab')).url).toBe(
      'http://crab/v1/responses',
    )

    // Answer lengths: the mock's own bytes for direct and for a passthrough; the verified length for a translation.
    await using mock = fastMock()
    const bodies = mock.bodies
    expect(scenarioRequest(anthropic, directTarget('http://mock'), bodies).expectBytes).toBe(bodies.message.byteLength)
    expect(scenarioRequest(anthropic, crabTarget('http://crab'), bodies).expectBytes).toBeUndefined()
    expect(scenarioRequest(anthropic, crabTarget('http://crab'), bodies, 321).expectBytes).toBe(321)
    expect(scenarioRequest(loadScenario('responses-c1'), crabTarget('http://crab'), bodies, 5).expectBytes).toBe(
      bodies.responses.byteLength,
    )

    // A peer is routed to the kind of deployment the scenario names.
    const peer: Target = {
      name: 'peer',
      label: 'peer',
      url: 'http://peer',
      headers: { authorization: 'Bearer x', 'x-portkey-provider': 'openai' },
      headersFor: { anthropic: { authorization: 'Bearer x', 'x-portkey-provider': 'anthropic' } },
    }
    expect(scenarioRequest(anthropic, peer).headers['x-portkey-provider']).toBe('anthropic')
    expect(scenarioRequest(messages, peer).headers).toEqual({
      'content-type': 'application/json',
      'x-portkey-provider': 'openai',
      'x-api-key': 'x',
      'anthropic-version': '2023-06-01',
    })
  })

  it('checks a translated answer field by field', () => {
    const message = {
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'any',
      content: [{ type: 'text', text: BENCH_REPLY.text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 24, output_tokens: 24, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    }
    expect(answerMismatches('anthropic-message', message)).toEqual([])
    const badMessages: [unknown, string][] = [
      [{ ...message, type: 'completion' }, 'type'],
      [{ ...message, role: 'user' }, 'role'],
      [{ ...message, content: [{ type: 'text', text: 'other' }] }, 'content'],
      [{ ...message, content: [...message.content, { type: 'text', text: '' }] }, 'content'],
      [{ ...message, stop_reason: 'max_tokens' }, 'stop_reason'],
      [{ ...message, stop_sequence: '' }, 'stop_sequence'],
      [{ ...message, usage: { input_tokens: 24 } }, 'usage.output_tokens'],
      [{ ...message, usage: { input_tokens: 23, output_tokens: 24 } }, 'usage.input_tokens'],
    ]
    for (const [answer, field] of badMessages) {
      const found = answerMismatches('anthropic-message', answer)
      expect(found.length).toBe(1)
      expect(found[0]!.startsWith(`${field} is `)).toBe(true)
    }
    const completion = {
      id: 'msg_bench',
      object: 'chat.completion',
      created: 1,
      model: 'any',
      choices: [
        { index: 0, message: { role: 'assistant', content: BENCH_REPLY.text, refusal: null }, finish_reason: 'stop' },
      ],
      usage: {
        prompt_tokens: 24,
        completion_tokens: 24,
        total_tokens: 48,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    }
    expect(answerMismatches('chat-completion', completion)).toEqual([])
    const badCompletions: [unknown, string][] = [
      [{ ...completion, object: 'chat.completion.chunk' }, 'object'],
      [{ ...completion, choices: [{ ...completion.choices[0], finish_reason: 'length' }] }, 'choices[0].finish_reason'],
      [
        { ...completion, choices: [{ ...completion.choices[0], message: { role: 'assistant', content: null } }] },
        'choices[0].message.content',
      ],
      [{ ...completion, usage: { ...completion.usage, total_tokens: 47 } }, 'usage.total_tokens'],
    ]
    for (const [answer, field] of badCompletions) {
      const found = answerMismatches('chat-completion', answer)
      expect(found.length).toBe(1)
      expect(found[0]!.startsWith(`${field} is `)).toBe(true)
    }
    expect(answerMismatches('chat-completion', null).length).toBeGreaterThan(3)
    expect(answerMismatches('anthropic-message', [1]).length).toBeGreaterThan(3)
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
    expect(selectScenarios(['anthropic-kind', 'responses-c32']).map((s) => s.name)).toEqual([
      'responses-c32',
      'anthropic-kind-c1',
      'anthropic-kind-c32',
    ])
    // Nine families at 1 and 32 connections, and 100/500/1000 open streams.
    expect(SCENARIOS.length).toBe(21)
    const translated = SCENARIOS.filter((s) => s.check !== 'bytes').map((s) => s.name)
    expect(translated).toEqual([
      'messages-to-openai-c1',
      'messages-to-openai-c32',
      'anthropic-kind-c1',
      'anthropic-kind-c32',
    ])
    // Only a translated scenario sends direct another request than the gateways.
    for (const s of SCENARIOS) expect(s.direct !== undefined).toBe(s.check !== 'bytes')
  })

  it('sums memory over a process and its descendants', async () => {
    const child = Bun.spawn(['sleep', '10'], { stdout: 'ignore', stderr: 'ignore' })
    try {
      const tree = processTree(process.pid)
      expect(tree[0]).toBe(process.pid)
      expect(tree).toContain(child.pid)
      expect(processTree(child.pid)).toEqual([child.pid])
      const summed = readTreeMemory(process.pid, 'VmRSS')
      expect(summed.processes).toBeGreaterThanOrEqual(2)
      expect(summed.bytes!).toBeGreaterThan(readMemory(process.pid, 'VmRSS')!)
      expect(readTreeMemory(child.pid, 'VmHWM').processes).toBe(1)
    } finally {
      child.kill()
      await child.exited
    }
    expect(readTreeMemory(child.pid, 'VmRSS')).toEqual({ bytes: null, processes: 0 })
  })

  it('starts crabllm with --workers N only when a count is given', () => {
    expect(serveArgs('/tmp/c.toml')).toEqual(['serve', '--config', '/tmp/c.toml', '--bind', '127.0.0.1:0'])
    const args = serveArgs('/tmp/c.toml', 2)
    expect(args.slice(0, 4)).toEqual(['serve', '--config', '/tmp/c.toml', '--bind'])
    expect(args[4]).toMatch(/^127\.0\.0\.1:[1-9]\d*$/)
    expect(args.slice(5)).toEqual(['--workers', '2'])
    expect(isCrabllmTarget('crabllm')).toBe(true)
    expect(isCrabllmTarget('crabllm-w2')).toBe(true)
    expect(isCrabllmTarget('baseline')).toBe(false)
    expect(isCrabllmTarget('crabllm-wx')).toBe(false)
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

  it('draws each --workers crabllm beside crabllm, and breaks a long family name onto two lines', () => {
    const results = FAMILIES.flatMap((family) =>
      [1, 32].map((c) => withWorkers(fakeLoad(`${family}-c${c}`, family, c, { crabllm: 0.3, bare: 0.2, peer: 1 }))),
    )
    const chart = chartInput(results, 'test machine')
    expect(chart.series.map((s) => s.target)).toEqual(['crabllm', 'crabllm-w2', 'bare', 'peer'])
    expect(chart.series.map((s) => s.label)).toEqual([
      'crabllm (1 worker)',
      'crabllm (2 workers)',
      'bare relay (Bun.serve + fetch)',
      'portkey 1.15.2',
    ])
    const svg = renderChart(chart)
    expect(svg.match(/data-gateway="crabllm-w2"/g)?.length).toBe(FAMILIES.length * 2)
    expect(svg.match(/>messages-<tspan x="[\d.]+" dy="14">to-openai<\/tspan><\/text>/g)?.length).toBe(2)
    expect(svg).toContain('>anthropic-kind</text>')
    expect(svg.match(/<text/g)?.length).toBe(svg.match(/<\/text>/g)?.length)
    expect(wrapLabel('messages-to-openai', 60, 12)).toEqual(['messages-', 'to-openai'])
    expect(wrapLabel('tools', 60, 12)).toEqual(['tools'])
    expect(wrapLabel('longwordwithouthyphen', 10, 12)).toEqual(['longwordwithouthyphen'])
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

  it('writes a report with the new scenarios and workers into a copy of the page, leaving the rest alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crabllm-bench-test-'))
    try {
      const paths = { page: join(dir, 'benchmarks.md'), chart: join(dir, 'benchmarks.svg') }
      const original = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8')
      writeFileSync(paths.page, original)
      const results = fakeResults()
      const report = formatReport(results)
      writeDocs(report, renderResultsChart(results), paths)
      const written = readFileSync(paths.page, 'utf8')
      expect(written).toMatch(tableRow('messages-to-openai-c1', 'crabllm (2 workers)'))
      expect(written).toContain('#### crabllm by number of workers')
      const outside = (page: string) =>
        page.slice(0, page.indexOf(RESULTS_START)) + page.slice(page.indexOf(RESULTS_END))
      expect(outside(written)).toBe(outside(original))
      writeDocs(report, renderResultsChart(results), paths)
      expect(readFileSync(paths.page, 'utf8')).toBe(written)
      expect(readFileSync(paths.chart, 'utf8')).toContain('data-gateway="crabllm-w2"')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('finds its markers in docs/benchmarks.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8')
    expect(doc.indexOf(RESULTS_START)).toBeGreaterThan(0)
    expect(doc.indexOf(RESULTS_END)).toBeGreaterThan(doc.indexOf(RESULTS_START))
  })
})

describe('bench report', () => {
  it('orders targets: direct, bare relay, crabllm, its --workers variants, baseline, peer', () => {
    expect(orderTargets(['peer', 'crabllm-w2', 'direct', 'baseline', 'crabllm', 'bare', 'crabllm-w4'])).toEqual([
      'direct',
      'bare',
      'crabllm',
      'crabllm-w2',
      'crabllm-w4',
      'baseline',
      'peer',
    ])
  })

  it('shows the new scenarios, req/s per worker count side by side, and idle and peak memory', () => {
    const report = formatReport(fakeResults())
    expect(report).toMatch(tableRow('anthropic-kind-c32', 'crabllm (2 workers)', '0.400'))
    expect(report).toContain('#### crabllm by number of workers')
    expect(report).toMatch(
      tableRow(
        'scenario',
        'bare relay req/s',
        'crabllm (1 worker) req/s',
        'of bare relay',
        'crabllm (2 workers) req/s',
        'of bare relay',
      ),
    )
    expect(report).toMatch(tableRow('responses-c32', '500', '450', '90 %', '675', '90 %'))
    expect(report).toContain('`serve --workers 1` / `--workers 2`')
    expect(report).toMatch(tableRow('process', 'command', 'idle RSS MB', 'peak RSS MB', 'processes'))
    expect(report).toMatch(tableRow('crabllm (2 workers)', '`bun x3.ts`', '120.0', '170.0', '3'))
    expect(report).toContain('the figures are sums')
    expect(report).toContain('In the translated scenarios')
    expect(report).toContain('crabllm (2 workers): translation')
    // A single crabllm: no workers table, no prefixes.
    const single = formatReport({
      ...fakeResults(),
      scenarios: [fakeLoad('tools-c1', 'tools', 1, { crabllm: 0.3, bare: 0.2, peer: 1 })],
    })
    expect(single).not.toContain('by number of workers')
    expect(single).not.toContain('In the translated scenarios')
  })
})

describe('bench verdicts', () => {
  it('fails --check only when crabllm adds more than the bare relay + 0.10 ms', () => {
    expect(TARGETS.checkOverBareMs).toBe(0.1)
    const table: [number, number, boolean][] = [
      [0.2, 0.12, true],
      [0.21, 0.12, true],
      [0.23, 0.12, false],
      [0.5, 0.12, false],
      // A relay figure lost in noise (≤ 0) is taken as it is: the limit is still 0.10 ms above it.
      [0.05, -0.01, true],
      [0.1, -0.01, false],
      [0.09, 0, true],
      [NaN, 0.1, false],
      [0.1, NaN, false],
    ]
    for (const [crab, bare, ok] of table) expect([crab, bare, checkVerdict(crab, bare).ok]).toEqual([crab, bare, ok])
    expect(checkVerdict(0.25, 0.12)).toEqual({ ok: false, message: expect.stringContaining('check failed') })
    expect(checkVerdict(0.2, 0.12).message).toContain("limit 0.220 ms = the relay's + 0.10 ms")
  })

  it("judges chat-minimal-c1's added P50 against the bare relay's + 0.08 ms", () => {
    const judge = (crab: number, bare: number) =>
      addedLatencyVerdict([fakeLoad('chat-minimal-c1', 'chat-minimal', 1, { crabllm: crab, bare, peer: 1 })]).met
    expect(judge(0.19, 0.12)).toBe(true)
    expect(judge(0.21, 0.12)).toBe(false)
    expect(judge(0.05, -0.02)).toBe(true)
    expect(judge(0.07, -0.02)).toBe(false)
    expect(addedLatencyVerdict([]).met).toBeNull()
    expect(addedLatencyVerdict([fakeLoad('tools-c1', 'tools', 1, { crabllm: 0, bare: 0, peer: 0 })]).met).toBeNull()
  })

  it("judges every 32-connection scenario's req/s against 80 % of the bare relay's", () => {
    const c32 = (family: string, share: number) =>
      fakeLoad(`${family}-c32`, family, 32, { crabllm: 1, bare: 1, peer: 9 }, { crabllm: share })
    expect(throughputVerdict([c32('chat-minimal', 0.85), c32('anthropic-kind', 0.8)]).met).toBe(true)
    const missed = throughputVerdict([c32('chat-minimal', 0.85), c32('messages-to-openai', 0.75)])
    expect(missed.met).toBe(false)
    expect(missed.detail).toEqual([
      'chat-minimal-c32: 85 % (425 vs 500 req/s) ✓',
      'messages-to-openai-c32: 75 % (375 vs 500 req/s) ✗',
    ])
    // c1 scenarios are not judged here.
    expect(
      throughputVerdict([
        fakeLoad('chat-minimal-c1', 'chat-minimal', 1, { crabllm: 1, bare: 1, peer: 1 }, { crabllm: 0.1 }),
      ]).met,
    ).toBeNull()
  })

  it("judges stream TTFB at 1 connection against the bare relay's + 0.10 ms", () => {
    const stream = (family: string, crab: number) =>
      fakeLoad(`${family}-c1`, family, 1, { crabllm: crab, bare: 0.2, peer: 2 })
    expect(ttfbVerdict([stream('chat-stream', 0.25), stream('long-stream', 0.29)]).met).toBe(true)
    const missed = ttfbVerdict([stream('chat-stream', 0.25), stream('long-stream', 0.35)])
    expect(missed.met).toBe(false)
    expect(missed.detail[1]).toContain('long-stream-c1: +0.150 ms over the relay ✗')
    expect(
      ttfbVerdict([fakeLoad('chat-minimal-c1', 'chat-minimal', 1, { crabllm: 9, bare: 0, peer: 0 })]).met,
    ).toBeNull()
  })

  it('judges 1000 open streams: all complete and peak RSS ≤ 90 MB', () => {
    expect(openStreamsVerdict([fakeOpenStreams(1000, 85, true)]).met).toBe(true)
    expect(openStreamsVerdict([fakeOpenStreams(1000, 90, true)]).met).toBe(true)
    expect(openStreamsVerdict([fakeOpenStreams(1000, 95, true)]).met).toBe(false)
    expect(openStreamsVerdict([fakeOpenStreams(1000, 50, false)]).met).toBe(false)
    expect(openStreamsVerdict([fakeOpenStreams(1000, null, true)]).met).toBe(false)
    expect(openStreamsVerdict([fakeOpenStreams(500, 50, true)]).met).toBeNull()
  })

  it('judges idle RSS ≤ 60 MB, summed over a supervisor and its workers', () => {
    expect(idleRssVerdict([{ target: 'crabllm', idleRssMB: 55 }]).met).toBe(true)
    expect(idleRssVerdict([{ target: 'crabllm', idleRssMB: 60 }]).met).toBe(true)
    expect(idleRssVerdict([{ target: 'crabllm', idleRssMB: 65 }]).met).toBe(false)
    expect(idleRssVerdict([{ target: 'crabllm', idleRssMB: null }]).met).toBeNull()
    expect(idleRssVerdict([{ target: 'bare', idleRssMB: 10 }]).met).toBeNull()
    const workers = idleRssVerdict([{ target: 'crabllm-w2', idleRssMB: 110, processCount: 3 }], 'crabllm-w2')
    expect(workers).toMatchObject({ met: false, detail: ['idle RSS 110.0 MB, summed over 3 processes'] })
  })

  it("judges the translations' added P50 at 1 connection against 2× the passthrough's, and reports responses", () => {
    const c1 = (family: string, crab: number) =>
      fakeLoad(`${family}-c1`, family, 1, { crabllm: crab, bare: 0.1, peer: 1 })
    const passthrough = c1('chat-minimal', 0.3)
    const met = translationVerdict([
      passthrough,
      c1('messages-to-openai', 0.55),
      c1('anthropic-kind', 0.59),
      c1('responses', 5),
    ])
    expect(met.met).toBe(true)
    expect(met.detail).toEqual([
      'chat-minimal-c1 (passthrough): +0.300 ms; limit +0.600 ms',
      "messages-to-openai-c1: +0.550 ms, 1.83× the passthrough's ✓",
      "anthropic-kind-c1: +0.590 ms, 1.97× the passthrough's ✓",
      "responses-c1 (passthrough, reported only): +5.000 ms, 16.67× chat-minimal-c1's",
    ])
    expect(translationVerdict([passthrough, c1('messages-to-openai', 0.55), c1('anthropic-kind', 0.7)]).met).toBe(false)
    expect(translationVerdict([passthrough, c1('anthropic-kind', 0.61)]).met).toBe(false)
    // The passthrough lost in noise is floored at 0.01 ms.
    expect(translationVerdict([c1('chat-minimal', -0.05), c1('anthropic-kind', 0.02)]).met).toBe(true)
    expect(translationVerdict([c1('chat-minimal', -0.05), c1('anthropic-kind', 0.03)]).met).toBe(false)
    expect(translationVerdict([c1('anthropic-kind', 0.1)]).met).toBeNull()
    expect(translationVerdict([passthrough, c1('responses', 0.4)]).met).toBeNull()
  })

  it('judges each target from the results, once per crabllm when --workers gives several', () => {
    const results = [
      fakeLoad('chat-minimal-c1', 'chat-minimal', 1, { crabllm: 0.15, bare: 0.12, peer: 1 }),
      fakeLoad('chat-minimal-c32', 'chat-minimal', 32, { crabllm: 2, bare: 1.8, peer: 9 }, { crabllm: 0.85 }),
      fakeLoad('chat-stream-c1', 'chat-stream', 1, { crabllm: 0.3, bare: 0.1, peer: 2 }),
      fakeLoad('anthropic-kind-c1', 'anthropic-kind', 1, { crabllm: 0.25, bare: 0.12, peer: 3 }),
    ]
    const processes = [{ target: 'crabllm', idleRssMB: 50 }]
    const list = verdicts(results, processes)
    expect(list.map((v) => v.met)).toEqual([true, true, false, null, true, true, true])
    expect(list[2]!.detail[0]).toContain('chat-stream-c1')
    expect(list[3]!.rule).toContain(`${TARGETS.openStreams} open streams`)
    expect(list[4]!.rule).toContain('idle RSS')
    expect(list[5]!.rule).toContain('translation')
    expect(list[6]!.rule).toContain('beats portkey')
    expect(verdicts(results).map((v) => v.met)[4]).toBeNull()

    const both = verdicts(results.map(withWorkers), [...processes, { target: 'crabllm-w2', idleRssMB: 70 }])
    expect(both.length).toBe(6 * 2 + 1)
    expect(both[0]!.rule.startsWith('crabllm (1 worker): added P50')).toBe(true)
    expect(both[6]!.rule.startsWith('crabllm (2 workers): added P50')).toBe(true)
    expect(both[10]!.met).toBe(false)
    expect(both[12]!.rule).toContain('beats portkey')
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
    expect(quick.scenarios.map((s) => s.name)).toContain('anthropic-kind-c32')
    expect(quick.scenarios.map((s) => s.name)).toContain('messages-to-openai-c1')
    expect(quick.scenarios.map((s) => s.name)).toContain('responses-c32')
  })

  it('takes --workers N or a comma list of distinct counts', () => {
    expect(parseBenchArgs([]).workers).toBeNull()
    expect(parseBenchArgs(['--workers', '2']).workers).toEqual([2])
    expect(parseBenchArgs(['--workers', '1,2']).workers).toEqual([1, 2])
    expect(parseBenchArgs(['--workers', ' 4 , 1 ']).workers).toEqual([4, 1])
    expect(parseBenchArgs(['--check', '--workers', '2']).workers).toEqual([2])
    for (const bad of ['0', 'x', '1.5', '', '1,', 'auto', '-1'])
      expect(() => parseBenchArgs(['--workers', bad])).toThrow('--workers takes whole numbers')
    expect(() => parseBenchArgs(['--workers', '1,2,1'])).toThrow('--workers names 1 twice')
    expect(() => parseBenchArgs(['--workers'])).toThrow('--workers needs a value')
    expect(() => parseBenchArgs(['--check', '--workers', '1,2'])).toThrow('single count')
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
          'chat-minimal-c1,responses-c1,messages-to-openai-c1,anthropic-kind-c1',
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
      // Without --workers, crabllm runs without the flag, as one process, and its idle memory is read.
      const crabProcess = written.processes.find((p) => p.target === 'crabllm')!
      expect(crabProcess.command).not.toContain('--workers')
      expect(crabProcess.processCount).toBe(1)
      expect(crabProcess.idleRssMB).toBeGreaterThan(0)
      expect(crabProcess.peakRssMB).toBeGreaterThanOrEqual(crabProcess.idleRssMB!)
      expect(written.meta.workers).toBeUndefined()
      const loads = written.scenarios as LoadResult[]
      expect(loads.map((r) => r.name)).toEqual([
        'chat-minimal-c1',
        'responses-c1',
        'messages-to-openai-c1',
        'anthropic-kind-c1',
      ])
      for (const r of loads)
        for (const name of ['direct', 'bare', 'crabllm'] as const) {
          expect(r.targets[name]!.requests).toBeGreaterThan(0)
          expect(r.targets[name]!.errors).toBe(0)
        }
      const [chat] = loads
      expect(Number.isFinite(chat!.targets.crabllm!.vsDirect!.p50)).toBe(true)
      expect(written.verdicts[0]!.met).not.toBeNull()
      expect(written.verdicts.find((v) => v.rule.startsWith('translation'))!.met).not.toBeNull()
      expect(written.verdicts.find((v) => v.rule.includes('idle RSS'))!.met).not.toBeNull()
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

/** A Markdown table row (or the start of one) with these cells, however they are padded. */
function tableRow(...cells: string[]): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^\\|\\s*${cells.map(literal).join('\\s*\\|\\s*')}\\s*\\|`, 'm')
}

/** The same load result with crabllm started with 1 worker and a second crabllm with 2 (`--workers 1,2`). */
function withWorkers(r: LoadResult): LoadResult {
  const crab = r.targets.crabllm!
  const two = { ...crab, label: 'crabllm (2 workers)', rps: crab.rps * 1.5 }
  const targets: LoadResult['targets'] = { ...r.targets, crabllm: { ...crab, label: 'crabllm (1 worker)' } }
  targets['crabllm-w2' as TargetName] = two
  return { ...r, targets }
}

/** An open-streams result whose crabllm peaked at `peakRssMB`. */
function fakeOpenStreams(streams: number, peakRssMB: number | null, allCompleted: boolean): OpenStreamsResult {
  const run = {
    completed: allCompleted ? streams : streams - 1,
    errors: allCompleted ? 0 : 1,
    wallMs: 1100,
    ttfbP50: 50,
    ttfbP99: 90,
    totalP50: 1050,
    totalMax: 1090,
    clientPeakOpen: streams,
    upstreamPeakOpen: streams,
    rssBeforeMB: 50,
    peakRssMB,
  }
  return {
    kind: 'open-streams',
    name: `open-streams-${streams}`,
    family: 'open-streams',
    description: 'fake',
    streams,
    rounds: 1,
    order: [['direct', 'crabllm']],
    targets: {
      crabllm: {
        label: 'crabllm',
        streams,
        allCompleted,
        errors: run.errors,
        wallMs: 1100,
        ttfbP50: 50,
        totalP50: 1050,
        upstreamPeakOpen: streams,
        peakRssMB,
        rssBeforeMB: 50,
        runs: [run],
      },
    },
  }
}

/** A whole results file from fake figures: the new scenarios, with --workers 1,2. */
function fakeResults(): BenchResults {
  const scenarios = ['chat-minimal', 'responses', 'messages-to-openai', 'anthropic-kind'].flatMap((family) =>
    [1, 32].map((c) => ({
      ...withWorkers(fakeLoad(`${family}-c${c}`, family, c, { crabllm: 0.3, bare: 0.2, peer: 1 }, { crabllm: 0.9 })),
      check: family === 'messages-to-openai' ? ('anthropic-message' as const) : ('bytes' as const),
    })),
  )
  const processes = [
    { target: 'mock', label: 'mock upstream', idleRssMB: 40, peakRssMB: 60, processCount: 1 },
    { target: 'bare', label: 'bare relay', idleRssMB: 40, peakRssMB: 60, processCount: 1 },
    { target: 'crabllm', label: 'crabllm (1 worker)', idleRssMB: 55, peakRssMB: 80, processCount: 1 },
    { target: 'crabllm-w2', label: 'crabllm (2 workers)', idleRssMB: 120, peakRssMB: 170, processCount: 3 },
  ].map((p, i) => ({ ...p, target: p.target as TargetName | 'mock', command: ['bun', `x${i}.ts`], pid: 100 + i }))
  return {
    meta: {
      date: '2026-01-01T00:00:00.000Z',
      mode: 'quick',
      bun: '1.4.5',
      crabllm: 'binary',
      extensions: 'none',
      commit: 'abc1234',
      srcDirty: false,
      platform: 'linux',
      cpu: 'test cpu',
      cores: 2,
      loadavgAtStart: [0, 0, 0],
      durationS: 1,
      rounds: 1,
      warmupS: 0,
      openStreamRounds: 1,
      fetchLimit: null,
      wallS: 1,
      workers: [1, 2],
    },
    processes,
    scenarios,
    verdicts: verdicts(scenarios, processes),
  }
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
