// The logging extension: one structured line per completed request and per failure, through the real
// gateway (the harness keeps log lines as JSON); and its level as a threshold of its own, independent
// of the gateway's level (a gateway at warn still shows `level = "info"` lines).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ANONYMOUS } from '../../src/auth'
import { catalogOf } from '../../src/catalog'
import { parseConfig } from '../../src/config/load'
import { GatewayError } from '../../src/core/errors'
import { memoryLogger } from '../../src/core/log'
import { loggingExtension } from '../../src/extensions/logging'
import type { RequestContext } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import { memoryStore } from '../../src/storage/memory'
import { provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-logging-team-0123456789abcdef'
const BROKE = 'sk-logging-broke-0123456789abcdef'

type Line = Record<string, unknown> & { level: string; msg: string }

let mock: MockUpstream
beforeAll(async () => {
  mock = await startMockUpstream()
})
afterAll(async () => {
  await mock.close()
})

function toml(level: string): string {
  return `[[keys]]
name = "team"
key = "${KEY}"
[[keys]]
name = "broke"
key = "${BROKE}"
${provider('up', mock.url, ['gpt-4o-mini'], 'max_retries = 0')}
[aliases]
fast = "gpt-4o-mini"
[extensions.budget]
default_budget = 100
[extensions.budget.keys.broke]
budget = 0
[extensions.logging]
level = "${level}"
`
}

let seq = 0
const rid = () => `logging-${process.pid}-${++seq}`

describe('through the gateway at level = "info"', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startGateway(toml('info'))
  })
  afterAll(async () => {
    await gw[Symbol.asyncDispose]()
  })
  const linesOf = async (id: string): Promise<Line[]> => {
    await gw.ctx.pipeline.flush()
    return gw
      .logs()
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.request_id === id && l.msg !== 'request')
  }
  const chat = (body: object, id: string, key = KEY) => gw.chat(body, { key, headers: { 'x-request-id': id } })

  test('a JSON answer: one info line with id, key, model, provider, status, latency and tokens', async () => {
    const id = rid()
    await (await chat({ model: 'fast', messages: [] }, id)).arrayBuffer()
    const lines = await linesOf(id)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request completed',
      request_id: id,
      key: 'team',
      model: 'gpt-4o-mini',
      requested_model: 'fast',
      provider: 'up',
      surface: 'chat',
      status: 200,
      prompt_tokens: 9,
      completion_tokens: 4,
      total_tokens: 13,
      cached: false,
    })
    expect(typeof lines[0]!.latency_ms).toBe('number')
    expect(lines[0]!.stream).toBeUndefined()
  })

  test('a stream: the line carries how it ended and its usage', async () => {
    const id = rid()
    mock.enqueue({ sse: chatChunks(['a', 'b'], 'gpt-4o-mini', true) })
    await readSse(await chat({ model: 'gpt-4o-mini', messages: [], stream: true }, id))
    const lines = await linesOf(id)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request completed',
      stream: 'done',
      status: 200,
      total_tokens: 11,
    })
  })

  test('a stream cut by the upstream is logged at warn', async () => {
    const id = rid()
    mock.enqueue({ sse: chatChunks(['x', 'y', 'z']), cutAfter: 2 })
    await (await chat({ model: 'gpt-4o-mini', messages: [], stream: true }, id)).text()
    const lines = await linesOf(id)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'request completed', stream: 'upstream_error' })
  })

  test('failures: an upstream 4xx at warn, a 5xx at error, a refusal at warn, each with its error code', async () => {
    const bad = rid()
    mock.enqueue(openAiError(400, 'nope'))
    expect((await chat({ model: 'gpt-4o-mini', messages: [] }, bad)).status).toBe(400)
    expect(await linesOf(bad)).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'request failed',
        status: 400,
        provider: 'up',
        error: 'upstream_error',
      }),
    ])

    const down = rid()
    mock.enqueue(openAiError(503, 'down', 'server_error'))
    expect((await chat({ model: 'gpt-4o-mini', messages: [] }, down)).status).toBe(503)
    const [line] = await linesOf(down)
    expect(line).toMatchObject({ level: 'error', msg: 'request failed', status: 503, error: 'upstream_error' })
    expect(line!.error_message).toContain("Provider 'up'")

    const refused = rid()
    expect((await chat({ model: 'gpt-4o-mini', messages: [] }, refused, BROKE)).status).toBe(429)
    expect(await linesOf(refused)).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'request failed',
        key: 'broke',
        status: 429,
        error: 'budget_exceeded',
      }),
    ])
  })

  test('no secret reaches a line', async () => {
    expect(gw.logs().some((l) => l.includes(KEY) || l.includes(BROKE) || l.includes('sk-upstream-'))).toBe(false)
  })
})

describe('level is the threshold of its own lines', () => {
  test('level = "warn": completed requests are not logged, failures are', async () => {
    await using gw = await startGateway(toml('warn'))
    const ok = rid()
    await (
      await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY, headers: { 'x-request-id': ok } })
    ).arrayBuffer()
    const failed = rid()
    mock.enqueue(openAiError(400, 'nope'))
    await (
      await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY, headers: { 'x-request-id': failed } })
    ).arrayBuffer()
    await gw.ctx.pipeline.flush()
    const msgs = gw.logs().map((l) => JSON.parse(l) as Line)
    expect(msgs.filter((l) => l.request_id === ok && l.msg !== 'request')).toEqual([])
    expect(msgs.filter((l) => l.request_id === failed && l.msg === 'request failed')).toHaveLength(1)
  })

  test('level = "debug" adds a line when a request enters the pipeline, below the gateway’s info level', async () => {
    await using gw = await startGateway(toml('debug'))
    const id = rid()
    await (await gw.chat({ model: 'fast', messages: [] }, { key: KEY, headers: { 'x-request-id': id } })).arrayBuffer()
    await gw.ctx.pipeline.flush()
    const lines = gw
      .logs()
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.request_id === id && l.msg !== 'request')
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['debug', 'request started'],
      ['info', 'request completed'],
    ])
    expect(lines[0]).toMatchObject({ key: 'team', model: 'gpt-4o-mini', requested_model: 'fast', stream: false })
  })

  describe('with the gateway logging at warn (its default)', () => {
    const config = parseConfig(`[extensions.logging]\nlevel = "info"`, 'test.toml', PROVIDER_RULES, {})
    const ctx = (): RequestContext => ({
      requestId: 'req-1',
      key: 'team',
      principal: ANONYMOUS,
      model: 'gpt-4o-mini',
      requestedModel: 'gpt-4o-mini',
      surface: 'chat',
      stream: false,
      json: {},
      request: new Request('http://gateway.test/v1/chat/completions'),
      started: performance.now(),
      startedAt: Date.now(),
      clientWantsUsage: false,
      provider: 'up',
      status: 200,
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      headers: {},
    })
    const make = (level: 'error' | 'warn' | 'info' | 'debug') => {
      const log = memoryLogger('warn')
      const ext = loggingExtension({
        options: { level },
        config,
        store: memoryStore(),
        log,
        defer: () => {},
        catalog: catalogOf(config),
        principals: () => [],
      })
      return { log, ext }
    }

    test('level = "info" lines are written, tagged info', () => {
      const { log, ext } = make('info')
      ext.onResponse!(ctx(), new Uint8Array())
      expect(log.lines.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({ level: 'info', msg: 'request completed', request_id: 'req-1', total_tokens: 3 }),
      ])
    })

    test('level = "error": only 5xx failures', () => {
      const { log, ext } = make('error')
      ext.onResponse!(ctx(), new Uint8Array())
      ext.onError!({ ...ctx(), status: 429 }, new GatewayError(429, 'requests', 'rate_limit_exceeded', 'slow down'))
      ext.onError!({ ...ctx(), status: 502 }, new GatewayError(502, 'server_error', 'upstream_unreachable', 'gone'))
      expect(log.lines.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({ level: 'error', msg: 'request failed', status: 502, error: 'upstream_unreachable' }),
      ])
    })

    test('the gateway’s own logger keeps its level', () => {
      const { log, ext } = make('debug')
      ext.onResponse!(ctx(), new Uint8Array())
      log.info('not shown')
      expect(log.lines.map((l) => JSON.parse(l).msg)).toEqual(['request completed'])
    })
  })
})
