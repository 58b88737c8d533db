// The anthropic kind over real HTTP: the gateway in-process, a mock Anthropic upstream, and the official
// openai SDK as the client.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { parseConfig } from '../../../src/config/load'
import type { ProviderConfig } from '../../../src/config/schema'
import { GatewayError } from '../../../src/core/errors'
import { createProvider, PROVIDER_RULES } from '../../../src/providers'
import { anthropicKind } from '../../../src/providers/anthropic'
import type { UpstreamCall } from '../../../src/providers/provider'
import {
  blockStop,
  errorBody,
  errorEvent,
  MODEL,
  message,
  messageStart,
  textDelta,
  textStart,
  textStream,
  toolStream,
} from '../../support/fixtures/anthropic'
import { jsonOf, readSse, startGateway, type TestGateway } from '../../support/gateway'
import { type MockUpstream, startMockUpstream } from '../../support/mock-upstream'

let mock: MockUpstream
let gw: TestGateway
let client: OpenAI

const toml = (url: string) => `
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-test"
base_url = "${url}/v1"
models = ["claude-sonnet-4-5"]
`

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(toml(mock.url))
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})
let before = 0
beforeEach(() => {
  before = mock.requests.length
})

const hello = {
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
}

describe('outbound request', () => {
  test('POST /v1/messages with x-api-key and anthropic-version, no authorization, the translated body', async () => {
    mock.enqueue({ json: message() })
    const res = await gw.chat(
      { ...hello, max_tokens: 50, temperature: 0.5, stop: 'END', user: 'u1' },
      { headers: { authorization: 'Bearer client-secret' } },
    )
    expect(res.status).toBe(200)
    const seen = mock.requests[before]!
    expect(seen.method).toBe('POST')
    expect(seen.path).toBe('/v1/messages')
    expect(seen.headers['x-api-key']).toBe('sk-ant-test')
    expect(seen.headers['anthropic-version']).toBe('2023-06-01')
    expect(seen.headers['content-type']).toBe('application/json')
    expect(seen.headers.authorization).toBeUndefined()
    expect(JSON.stringify(seen.headers)).not.toContain('client-secret')
    expect(seen.json()).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 50,
      system: 'Be brief.',
      temperature: 0.5,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
    })
  })

  test('a stream request asks for SSE and sets stream: true', async () => {
    mock.enqueue({ sse: textStream() })
    await (await gw.chat({ ...hello, stream: true })).text()
    const seen = mock.requests[before]!
    expect(seen.headers.accept).toBe('text/event-stream')
    expect(seen.json()).toMatchObject({ stream: true, max_tokens: 64_000 })
  })

  test('input the translation cannot express is a 400 that names the field, and nothing goes upstream', async () => {
    const res = await gw.chat({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{oops' } }],
        },
      ],
    })
    expect(res.status).toBe(400)
    const body = await jsonOf(res)
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages[1].tool_calls[0].function.arguments',
      code: 'invalid_value',
    })
    expect(mock.requests.length).toBe(before)
  })
})

describe('non-stream', () => {
  test('an Anthropic message comes back as a chat.completion with usage', async () => {
    mock.enqueue({
      json: message([{ type: 'text', text: 'Hello from Claude' }], 'end_turn', {
        input_tokens: 12,
        output_tokens: 6,
        cache_read_input_tokens: 4,
      }),
    })
    const res = await gw.chat(hello)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = await jsonOf(res)
    expect(body).toMatchObject({
      id: 'msg_01NonStream',
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from Claude' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 16,
        completion_tokens: 6,
        total_tokens: 22,
        prompt_tokens_details: { cached_tokens: 4 },
        cache_read_input_tokens: 4,
      },
    })
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60)
  })

  test('a 429 with retry-after is retried by the gateway', async () => {
    mock.enqueue({
      status: 429,
      headers: { 'retry-after': '0' },
      json: errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
    })
    mock.enqueue({ json: message() })
    const res = await gw.chat(hello)
    expect(res.status).toBe(200)
    expect(mock.requests.length - before).toBe(2)
    expect((await jsonOf(res)).choices[0].message.content).toBe('Hello from Claude')
  })

  test('an Anthropic 400 is relayed as an OpenAI-shaped 400', async () => {
    mock.enqueue({
      status: 400,
      json: errorBody('invalid_request_error', 'messages.0.content: Input should be a valid list'),
    })
    const res = await gw.chat(hello)
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual({
      error: {
        message: 'messages.0.content: Input should be a valid list',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_request_error',
      },
    })
    expect(mock.requests.length - before).toBe(1)
  })

  test('a 529 overloaded is retried, then relayed with its status when it persists', async () => {
    for (let i = 0; i < 3; i++) mock.enqueue({ status: 529, json: errorBody('overloaded_error', 'Overloaded') })
    const res = await gw.chat(hello)
    expect(res.status).toBe(529)
    expect((await jsonOf(res)).error).toMatchObject({
      type: 'server_error',
      code: 'overloaded_error',
      message: 'Overloaded',
    })
    expect(mock.requests.length - before).toBe(3)
  })
})

describe('stream', () => {
  test('Anthropic events come back as chat.completion.chunk frames and [DONE]', async () => {
    mock.enqueue({ sse: textStream() })
    const res = await gw.chat({ ...hello, stream: true, stream_options: { include_usage: true } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const frames = await readSse(res)
    expect(frames[frames.length - 1]).toBe('[DONE]')
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f))
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hello' },
      { content: ' from' },
      { content: ' Claude' },
      {},
      undefined,
    ])
    expect(chunks[4].choices[0].finish_reason).toBe('stop')
    expect(chunks[5]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 25, completion_tokens: 12, total_tokens: 37 },
    })
    expect(new Set(chunks.map((c) => `${c.id} ${c.created} ${c.model}`)).size).toBe(1)
  })

  test('an error event mid-stream becomes an in-band error, with no [DONE]', async () => {
    mock.enqueue({
      sse: [messageStart(), textStart(0), textDelta(0, 'Hel'), errorEvent('overloaded_error', 'Overloaded')],
    })
    const res = await gw.chat({ ...hello, stream: true })
    expect(res.status).toBe(200)
    const frames = await readSse(res)
    expect(frames).not.toContain('[DONE]')
    expect(JSON.parse(frames[1]!).choices[0].delta).toEqual({ content: 'Hel' })
    const last = JSON.parse(frames[frames.length - 1]!)
    expect(last.error).toMatchObject({ type: 'server_error', code: 'upstream_stream_error' })
    expect(last.error.message).toContain('overloaded_error: Overloaded')
  })

  test('a stream cut before message_stop becomes an in-band error', async () => {
    mock.enqueue({ sse: [messageStart(), textStart(0), textDelta(0, 'Hel'), blockStop(0)] })
    const frames = await readSse(await gw.chat({ ...hello, stream: true }))
    expect(frames).not.toContain('[DONE]')
    expect(JSON.parse(frames[frames.length - 1]!).error.message).toContain('before message_stop')
  })
})

describe('the official openai SDK against an anthropic deployment', () => {
  test('chat.completions.create, non-stream', async () => {
    mock.enqueue({ json: message([{ type: 'text', text: 'Bonjour' }]) })
    const completion = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Say hi in French' }],
    })
    expect(completion.choices[0]!.message.content).toBe('Bonjour')
    expect(completion.choices[0]!.finish_reason).toBe('stop')
    expect(completion.usage?.total_tokens).toBe(18)
  })

  test('chat.completions.create, stream', async () => {
    mock.enqueue({ sse: textStream(['Bon', 'jour', '!']) })
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    })
    let text = ''
    let finish: string | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
    }
    expect(text).toBe('Bonjour!')
    expect(finish).toBe('stop')
  })

  test('a streamed tool call reassembles through the SDK helper', async () => {
    mock.enqueue({ sse: toolStream() })
    const runner = client.chat.completions.stream({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Weather in Paris and the time in Rome?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
        {
          type: 'function',
          function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
        },
      ],
    })
    const final = await runner.finalChatCompletion()
    const choice = final.choices[0]!
    expect(choice.finish_reason).toBe('tool_calls')
    expect(choice.message.content).toBe('Let me check.')
    const calls = (choice.message.tool_calls ?? []).map((c) =>
      c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : [],
    )
    expect(calls).toEqual([
      ['toolu_01A', 'get_weather', { city: 'Paris', unit: 'c' }],
      ['toolu_01B', 'get_time', { zone: 'Europe/Rome' }],
    ])
    const sent = mock.requests[before]!.json()
    expect(sent.tools.map((t: any) => t.name)).toEqual(['get_weather', 'get_time'])
  })

  test('an Anthropic error surfaces as the SDK error class for its status', async () => {
    mock.enqueue({ status: 401, json: errorBody('authentication_error', 'invalid x-api-key') })
    const err = await client.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(err.status).toBe(401)
    expect(err.message).toContain('invalid x-api-key')
  })
})

describe('provider, called directly', () => {
  const config = anthropicKind.normalize!({
    kind: 'anthropic',
    api_key: 'sk-ant-direct',
    models: [],
    weight: 1,
    max_retries: 0,
    timeout: 30,
    stream_idle_timeout: 60,
    cooldown_failures: 5,
    cooldown_seconds: 30,
  })
  const encoder = new TextEncoder()
  const call = (over: Partial<UpstreamCall>): UpstreamCall => ({
    endpoint: 'chat',
    model: 'claude-sonnet-4-5',
    body: new Uint8Array(),
    json: {},
    stream: false,
    signal: new AbortController().signal,
    ...over,
  })
  const provider = () => createProvider('direct', { ...config, base_url: `${mock.url}/v1` })

  test('normalize defaults base_url; check requires api_key with a fix', () => {
    expect(config.base_url).toBe('https://api.anthropic.com/v1')
    expect(anthropicKind.normalize!({ ...config, base_url: 'http://x/v1' }).base_url).toBe('http://x/v1')
    expect(anthropicKind.check!(config)).toBeUndefined()
    expect(anthropicKind.check!({ ...config, api_key: undefined } as ProviderConfig)).toMatchObject({
      field: 'api_key',
      fix: 'api_key = "${ANTHROPIC_API_KEY}"',
    })
    expect(() =>
      parseConfig('[providers.c]\nkind = "anthropic"\nmodels = ["m"]\n', 't.toml', PROVIDER_RULES, {}),
    ).toThrow(/api_key/)
  })

  test('error answers keep retry-after and retry-after-ms', async () => {
    mock.enqueue({
      status: 429,
      headers: { 'retry-after': '7', 'retry-after-ms': '6500' },
      json: errorBody('rate_limit_error', 'slow down'),
    })
    const res = await provider().send(call({ json: hello }))
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(res.headers.get('retry-after-ms')).toBe('6500')
    expect((await jsonOf(res)).error).toMatchObject({
      type: 'requests',
      code: 'rate_limit_error',
      message: 'slow down',
    })
  })

  test('a 200 that is not a message is a 502 in OpenAI shape (the one code every translating kind uses)', async () => {
    mock.enqueue({ body: 'not json', headers: { 'content-type': 'text/plain' } })
    const res = await provider().send(call({ json: hello }))
    expect(res.status).toBe(502)
    expect((await jsonOf(res)).error).toMatchObject({ type: 'server_error', code: 'upstream_invalid_response' })
  })

  test('messages: the client bytes go upstream unchanged, with our key and the client anthropic headers', async () => {
    const raw =
      '{ "model":"claude-sonnet-4-5", "max_tokens": 10,\n "messages":[{"role":"user","content":"caf\\u00e9"}] }'
    mock.enqueue({ json: message(), headers: { 'x-upstream': 'yes' } })
    const res = await provider().send(
      call({
        endpoint: 'messages',
        body: encoder.encode(raw),
        json: JSON.parse(raw),
        clientHeaders: { 'anthropic-version': '2024-01-01', 'anthropic-beta': 'prompt-caching-2024-07-31' },
      }),
    )
    const seen = mock.requests[before]!
    expect(seen.path).toBe('/v1/messages')
    expect(seen.text()).toBe(raw)
    expect(seen.headers['x-api-key']).toBe('sk-ant-direct')
    expect(seen.headers['anthropic-version']).toBe('2024-01-01')
    expect(seen.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31')
    expect(res.headers.get('x-upstream')).toBe('yes')
    expect(await jsonOf(res)).toEqual(message())
  })

  test('messages: without client headers the default version is sent; streams and errors come back as they are', async () => {
    const frames = textStream()
    mock.enqueue({ sse: frames })
    const res = await provider().send(
      call({ endpoint: 'messages', stream: true, body: encoder.encode('{"stream":true}'), json: { stream: true } }),
    )
    expect(mock.requests[before]!.headers['anthropic-version']).toBe('2023-06-01')
    expect(mock.requests[before]!.headers['anthropic-beta']).toBeUndefined()
    expect(await res.text()).toBe(frames.join(''))
    mock.enqueue({ status: 529, json: errorBody('overloaded_error', 'Overloaded') })
    const err = await provider().send(call({ endpoint: 'messages', body: encoder.encode('{}') }))
    expect(err.status).toBe(529)
    expect(await jsonOf(err)).toEqual(errorBody('overloaded_error', 'Overloaded'))
  })

  test('embeddings are refused with a 400 unsupported_endpoint without a request', async () => {
    const err = await provider()
      .send(call({ endpoint: 'embeddings', json: { input: 'x' } }))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'unsupported_endpoint' })
    expect(mock.requests.length).toBe(before)
  })

  test('embeddings through the gateway get the same 400', async () => {
    const res = await gw.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"claude-sonnet-4-5","input":"x"}',
    })
    expect(res.status).toBe(400)
    expect((await jsonOf(res)).error.code).toBe('unsupported_endpoint')
  })
})
