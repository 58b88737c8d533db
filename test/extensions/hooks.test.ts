// The pipeline as the relay drives it, observed with a recording extension: which hooks fire, in what
// order, with what context; usage read from JSON and streams; include_usage asked for and hidden.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { GatewayError } from '../../src/core/errors'
import type { Extension, RequestContext } from '../../src/extensions/types'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, chatCompletion, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'

interface Seen {
  hook: string
  ctx: RequestContext
  extra?: unknown
}

function recorder(name: string, seen: Seen[], overrides: Partial<Extension> = {}): Extension {
  return {
    name,
    needsUsage: true,
    onRequest: (ctx) => void seen.push({ hook: `${name}.onRequest`, ctx }),
    onCacheLookup: (ctx) => void seen.push({ hook: `${name}.onCacheLookup`, ctx }),
    onResponse: (ctx, body) => void seen.push({ hook: `${name}.onResponse`, ctx, extra: body.byteLength }),
    onChunk: (ctx) => void seen.push({ hook: `${name}.onChunk`, ctx }),
    onStreamEnd: (ctx, outcome) => void seen.push({ hook: `${name}.onStreamEnd`, ctx, extra: outcome }),
    onError: (ctx, error) => void seen.push({ hook: `${name}.onError`, ctx, extra: error.code }),
    ...overrides,
  }
}

const KEY = 'sk-hooks-test-0123456789abcdefgh'
let mock: MockUpstream
let gw: TestGateway
const seen: Seen[] = []
const refuse = { on: false }

beforeAll(async () => {
  mock = await startMockUpstream()
  const gate: Extension = {
    name: 'gate',
    onRequest(ctx) {
      ctx.headers['x-test-gate'] = 'passed'
      if (refuse.on)
        throw new GatewayError(429, 'requests', 'test_refusal', 'refused by the test', null, { 'retry-after': '7' })
    },
  }
  gw = await startGateway(
    `[[keys]]\nname = "team"\nkey = "${KEY}"\n${provider('up', mock.url, ['gpt-4o-mini'])}\n[aliases]\nfast = "gpt-4o-mini"`,
    { extensions: [recorder('a', seen), gate, recorder('b', seen)] },
  )
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})

const hooks = () => seen.map((s) => s.hook).filter((h) => !h.endsWith('onChunk'))
const reset = () => {
  seen.length = 0
}

describe('non-stream', () => {
  test('hooks fire in config order with a typed context and the usage of the answer', async () => {
    reset()
    const res = await gw.chat({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { key: KEY })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-test-gate')).toBe('passed')
    await gw.ctx.pipeline.flush()
    expect(hooks()).toEqual([
      'a.onRequest',
      'b.onRequest',
      'a.onCacheLookup',
      'b.onCacheLookup',
      'a.onResponse',
      'b.onResponse',
    ])
    const ctx = seen.at(-1)!.ctx
    expect(ctx).toMatchObject({
      key: 'team',
      model: 'gpt-4o-mini',
      requestedModel: 'fast',
      surface: 'chat',
      stream: false,
      provider: 'up',
      status: 200,
    })
    expect(ctx.usage).toEqual({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })
    expect(ctx.requestId).toBe(res.headers.get('x-request-id')!)
  })

  test('an upstream error reaches onError with the provider, and the extension headers stay on the error', async () => {
    reset()
    mock.enqueue(openAiError(400, 'bad request from upstream'))
    const res = await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY })
    expect(res.status).toBe(400)
    expect(res.headers.get('x-test-gate')).toBe('passed')
    expect(hooks()).toEqual([
      'a.onRequest',
      'b.onRequest',
      'a.onCacheLookup',
      'b.onCacheLookup',
      'a.onError',
      'b.onError',
    ])
    expect(seen.at(-1)!.ctx).toMatchObject({ provider: 'up', status: 400 })
  })

  test('a GatewayError from onRequest refuses the request before the upstream, with its headers', async () => {
    reset()
    refuse.on = true
    const before = mock.requests.length
    try {
      const res = await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY })
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('7')
      expect((await jsonOf(res)).error.code).toBe('test_refusal')
    } finally {
      refuse.on = false
    }
    expect(mock.requests.length).toBe(before)
    expect(hooks()).toEqual(['a.onRequest', 'a.onError', 'b.onError'])
  })
})

describe('streams', () => {
  test('the gateway asks for usage, hides the usage chunk, and reports usage at the end', async () => {
    reset()
    mock.enqueue({ sse: chatChunks(['a', 'b'], 'gpt-4o-mini', true) })
    const before = mock.requests.length
    const res = await gw.chat({ model: 'gpt-4o-mini', messages: [], stream: true }, { key: KEY })
    const events = await readSse(res)
    expect(mock.requests[before]!.json().stream_options).toEqual({ include_usage: true })
    expect(events.at(-1)).toBe('[DONE]')
    expect(events.some((e) => e.includes('"usage":{'))).toBe(false)
    expect(events).toHaveLength(chatChunks(['a', 'b'], 'gpt-4o-mini', true).length - 1)
    await gw.ctx.pipeline.flush()
    expect(hooks().slice(-2)).toEqual(['a.onStreamEnd', 'b.onStreamEnd'])
    expect(seen.at(-1)!.extra).toBe('done')
    expect(seen.at(-1)!.ctx.usage).toEqual({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 })
    expect(seen.some((s) => s.hook === 'a.onChunk')).toBe(true)
  })

  test('a client that asked for usage gets its chunk, and its stream_options bytes are kept', async () => {
    reset()
    mock.enqueue({ sse: chatChunks(['a'], 'gpt-4o-mini', true) })
    const raw = '{"model":"gpt-4o-mini","messages":[],"stream":true,"stream_options":{"include_usage":true}}'
    const before = mock.requests.length
    const res = await gw.chat(raw, { key: KEY })
    expect(await res.text()).toBe(chatChunks(['a'], 'gpt-4o-mini', true).join(''))
    expect(mock.requests[before]!.text()).toBe(raw)
    await gw.ctx.pipeline.flush()
    expect(seen.at(-1)!.ctx.usage?.total_tokens).toBe(10)
  })

  test('asking for usage splices one field into the client bytes; the rest stays byte for byte', async () => {
    mock.enqueue({ sse: chatChunks(['a'], 'gpt-4o-mini', true) })
    const raw =
      ' {\n  "model" : "gpt-4o-mini", "messages": [{"role":"user","content":"caf\u00e9 \\u00e9"}], "stream": true, "x": 1.50}'
    const before = mock.requests.length
    await (await gw.chat(raw, { key: KEY })).text()
    const sent = mock.requests[before]!.text()
    expect(sent).toBe(raw.replace('{', '{"stream_options":{"include_usage":true},'))
    expect(JSON.parse(sent)).toEqual({ ...JSON.parse(raw), stream_options: { include_usage: true } })
  })

  test('other stream_options survive the injection', async () => {
    mock.enqueue({ sse: chatChunks(['a'], 'gpt-4o-mini', true) })
    const before = mock.requests.length
    await (
      await gw.chat(
        { model: 'gpt-4o-mini', messages: [], stream: true, stream_options: { include_obfuscation: false } },
        { key: KEY },
      )
    ).text()
    expect(mock.requests[before]!.json().stream_options).toEqual({ include_obfuscation: false, include_usage: true })
  })

  test('a stream without any usage ends with the usage the gateway counted, marked estimated; a cut stream reports its outcome', async () => {
    reset()
    mock.enqueue({ sse: chatChunks(['x']) })
    await (await gw.chat({ model: 'gpt-4o-mini', messages: [], stream: true }, { key: KEY })).text()
    await gw.ctx.pipeline.flush()
    expect(seen.at(-1)!.ctx.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 })
    expect(seen.at(-1)!.ctx.usageEstimated).toBe(true)
    reset()
    mock.enqueue({ sse: chatChunks(['x', 'y', 'z']), cutAfter: 2 })
    await (await gw.chat({ model: 'gpt-4o-mini', messages: [], stream: true }, { key: KEY })).text()
    await gw.ctx.pipeline.flush()
    expect(seen.at(-1)!.hook).toBe('b.onStreamEnd')
    expect(seen.at(-1)!.extra).toBe('upstream_error')
  })
})

describe('robustness', () => {
  test('a hook that throws or rejects is logged, and the request still succeeds', async () => {
    const up = await startMockUpstream()
    const broken: Extension = {
      name: 'broken',
      onRequest: () => {
        throw new Error('storage is down')
      },
      onResponse: async () => {
        throw new Error('write failed')
      },
    }
    const g = await startGateway(provider('up', up.url, ['m']), { extensions: [broken] })
    try {
      const res = await g.chat({ model: 'm', messages: [] })
      expect(res.status).toBe(200)
      expect((await jsonOf(res)).object).toBe('chat.completion')
      await g.ctx.pipeline.flush()
      const errors = g.errors().map((l) => JSON.parse(l))
      expect(errors.map((e) => e.msg ?? e.message)).toEqual(['extension hook failed', 'extension write failed'])
    } finally {
      await g[Symbol.asyncDispose]()
      await up.close()
    }
  })

  test('without extensions no hook runs and the body is not re-serialised for usage', async () => {
    const up = await startMockUpstream()
    // metrics (on by default) is an extension too; test/metrics/metrics.test.ts covers it.
    const g = await startGateway(`metrics = false\n${provider('up', up.url, ['m'])}`)
    try {
      expect(g.ctx.pipeline.active).toBe(false)
      const raw = '{"model":"m","messages":[],"stream":true}'
      await (await g.chat(raw)).text()
      expect(up.requests[0]!.text()).toBe(raw)
    } finally {
      await g[Symbol.asyncDispose]()
      await up.close()
    }
  })
})

test('a JSON answer with Anthropic usage is read on /v1/messages', async () => {
  const up = await startMockUpstream()
  const local: Seen[] = []
  const g = await startGateway(
    `[providers.c]\nkind = "anthropic"\napi_key = "k"\nbase_url = "${up.url}/v1"\nmodels = ["claude-haiku-4-5"]`,
    {
      extensions: [recorder('r', local)],
    },
  )
  try {
    up.enqueue({
      json: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text: 'hi' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 5, cache_creation_input_tokens: 2 },
      },
    })
    const res = await g.fetch('/v1/messages', {
      method: 'POST',
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(200)
    await g.ctx.pipeline.flush()
    const end = local.find((s) => s.hook === 'r.onResponse')!
    expect(end.ctx.surface).toBe('messages')
    expect(end.ctx.usage).toEqual({
      prompt_tokens: 17,
      completion_tokens: 3,
      total_tokens: 20,
      cache_read_tokens: 5,
      cache_write_tokens: 2,
    })
  } finally {
    await g[Symbol.asyncDispose]()
    await up.close()
  }
})

test('chatCompletion fixture usage is what the tests above assume', () => {
  expect(chatCompletion().usage).toEqual({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })
})
