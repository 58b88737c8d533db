// POST /v1/responses through real provider chains, in process: createProvider builds the provider,
// provider.send({endpoint: 'responses'}) runs Responses → chat → the kind's own handler, and local
// Bun.serve upstreams speak each kind's wire format. The openai SDK reads the answers.
import { afterAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { ProviderConfig } from '../../src/config/schema'
import { GatewayError } from '../../src/core/errors'
import { createProvider, type Provider } from '../../src/providers'
import { anthropicKind } from '../../src/providers/anthropic'
import { echoKind } from '../../src/providers/echo'

type Json = Record<string, any>

const BASE: ProviderConfig = {
  kind: 'echo',
  models: [],
  weight: 1,
  max_retries: 0,
  timeout: 30,
  stream_idle_timeout: 60,
  cooldown_failures: 5,
  cooldown_seconds: 30,
}

function send(provider: Provider, model: string, json: Json) {
  return provider.send({
    endpoint: 'responses',
    model,
    body: new TextEncoder().encode(JSON.stringify(json)),
    json,
    stream: json.stream === true,
    signal: new AbortController().signal,
  })
}

/** The events of a Responses SSE body, checked frame by frame. */
async function events(res: Response): Promise<Json[]> {
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const text = await res.text()
  return text
    .split('\n\n')
    .filter((f) => f !== '')
    .map((frame, i) => {
      const m = /^event: ([\w.]+)\ndata: (.*)$/s.exec(frame)
      if (!m) throw new Error(`bad frame: ${frame}`)
      const data = JSON.parse(m[2]!) as Json
      expect(data.type).toBe(m[1])
      expect(data.sequence_number).toBe(i)
      return data
    })
}

/** A local "gateway" answering POST /v1/responses with `provider` (the relay's part, reduced to a call). */
function gatewayFor(provider: Provider, model: string) {
  return Bun.serve({
    port: 0,
    fetch: async (req) => {
      try {
        return await send(provider, model, (await req.json()) as Json)
      } catch (err) {
        if (err instanceof GatewayError) return err.toResponse()
        throw err
      }
    },
  })
}

describe('echo provider', () => {
  const echo = createProvider('e', echoKind.normalize!(BASE))

  test('serves responses through chat', () => {
    expect(echo.endpoints.has('responses')).toBe(true)
  })

  test('JSON: the last user message comes back as output_text, with usage', async () => {
    const res = await send(echo, 'echo', {
      model: 'echo',
      instructions: 'x',
      input: [{ role: 'user', content: 'Hello there' }],
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Json
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'echo', instructions: 'x' })
    expect(body.output).toMatchObject([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there' }] },
    ])
    expect(body.usage.output_tokens).toBeGreaterThan(0)
  })

  test('stream: the full event sequence, usage on response.completed', async () => {
    const list = await events(
      await send(echo, 'echo', { model: 'echo', input: 'one two three four five', stream: true }),
    )
    const kinds = list.map((e) => e.type)
    expect(kinds.slice(0, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ])
    expect(kinds.slice(-5)).toEqual([
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    const text = list
      .filter((e) => e.type === 'response.output_text.delta')
      .map((e) => e.delta)
      .join('')
    expect(text).toBe('one two three four five')
    expect(list.at(-1)!.response.usage.total_tokens).toBeGreaterThan(0)
  })

  test('a refusal rejects before any upstream call, with the 400 naming the field', async () => {
    const err = await send(echo, 'echo', { model: 'echo', input: 'x', tools: [{ type: 'web_search' }] }).catch((e) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect(err).toMatchObject({ status: 400, param: 'tools[0]', code: 'unsupported_value' })
  })

  test('the openai SDK: responses.create and responses.stream', async () => {
    await using gw = gatewayFor(echo, 'echo')
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${gw.port}/v1`, maxRetries: 0 })
    const response = await client.responses.create({ model: 'echo', input: 'Ping pong' })
    expect(response.output_text).toBe('Ping pong')
    const final = await client.responses.stream({ model: 'echo', input: 'Streamed words here' }).finalResponse()
    expect(final.output_text).toBe('Streamed words here')
    const err = await client.responses.create({ model: 'echo', input: 'x', background: true }).catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.param).toBe('background')
  })
})

describe('an OpenAI-compatible custom provider (chat only)', () => {
  const seen: Json[] = []
  const replies: (() => Response)[] = []
  const upstream = Bun.serve({
    port: 0,
    fetch: async (req) => {
      seen.push({ path: new URL(req.url).pathname, body: await req.json() })
      return replies.shift()?.() ?? Response.json({ error: { message: 'unscripted' } }, { status: 500 })
    },
  })
  afterAll(() => upstream.stop(true))
  const custom = createProvider('c', { ...BASE, kind: 'custom', base_url: `http://127.0.0.1:${upstream.port}/v1` })
  const completion = (message: Json, finish = 'stop') =>
    Response.json({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    })

  test("a two-turn tool loop: the chat bodies sent (the gateway's reasoning fields are not, to an OpenAI-compatible upstream)", async () => {
    const blocks = [{ type: 'thinking', thinking: 'Need weather.', signature: 'sig-A' }]
    replies.push(() =>
      completion(
        {
          content: null,
          reasoning_content: 'Need weather.',
          thinking_blocks: blocks,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        'tool_calls',
      ),
    )
    const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: false }]
    const first = (await (
      await send(custom, 'm', {
        model: 'm',
        input: 'Weather in Paris?',
        tools,
        include: ['reasoning.encrypted_content'],
        max_output_tokens: 50,
      })
    ).json()) as Json
    expect(seen.at(-1)).toEqual({
      path: '/v1/chat/completions',
      body: {
        model: 'm',
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        max_tokens: 50,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: false } }],
      },
    })
    expect(first.output.map((o: Json) => o.type)).toEqual(['reasoning', 'function_call'])

    // Turn two, as Codex sends it: the output items back, then the tool's output.
    replies.push(() => completion({ content: 'Sunny.' }))
    const second = (await (
      await send(custom, 'm', {
        model: 'm',
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          ...first.output,
          { type: 'function_call_output', call_id: 'call_1', output: '{"sky":"clear"}' },
        ],
        tools,
        include: ['reasoning.encrypted_content'],
      })
    ).json()) as Json
    expect(seen.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' },
    ])
    expect(second.output).toMatchObject([{ type: 'message', content: [{ type: 'output_text', text: 'Sunny.' }] }])
  })

  test('an upstream error: same status, OpenAI body kept, retry-after kept', async () => {
    const body = {
      error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    }
    replies.push(() => Response.json(body, { status: 429, headers: { 'retry-after': '3' } }))
    const res = await send(custom, 'm', { model: 'm', input: 'x' })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('3')
    expect(await res.json()).toEqual(body)
  })

  test("a non-OpenAI error body (Ollama's) is given OpenAI's shape", async () => {
    replies.push(() => Response.json({ error: 'model "m" not found, try pulling it first' }, { status: 404 }))
    const res = await send(custom, 'm', { model: 'm', input: 'x' })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: { message: 'model "m" not found, try pulling it first', type: 'not_found_error', param: null, code: null },
    })
  })

  test('a 200 that is not a chat completion is a 502 upstream_invalid_response', async () => {
    replies.push(() => Response.json({ hello: 'world' }))
    const res = await send(custom, 'm', { model: 'm', input: 'x' })
    expect(res.status).toBe(502)
    expect(((await res.json()) as Json).error).toMatchObject({ code: 'upstream_invalid_response' })
  })
})

describe('an anthropic provider (Responses → chat → Messages)', () => {
  const seen: Json[] = []
  const replies: (() => Response)[] = []
  const upstream = Bun.serve({
    port: 0,
    fetch: async (req) => {
      seen.push({ path: new URL(req.url).pathname, body: await req.json() })
      return replies.shift()!()
    },
  })
  afterAll(() => upstream.stop(true))
  const config = anthropicKind.normalize!({ ...BASE, kind: 'anthropic', api_key: 'sk-ant' })
  const anthropic = createProvider('a', { ...config, base_url: `http://127.0.0.1:${upstream.port}/v1` })
  const frame = (data: Json) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`
  const message = (content: Json[], stop = 'end_turn') => ({
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: { input_tokens: 20, output_tokens: 9 },
  })
  const streamed = [
    frame({
      type: 'message_start',
      message: { ...message([], null as never), stop_reason: null, usage: { input_tokens: 20, output_tokens: 1 } },
    }),
    frame({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
    frame({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'thinking_delta', thinking: 'The user wants weather.' },
    }),
    frame({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } }),
    frame({ type: 'content_block_stop', index: 0 }),
    frame({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
    frame({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Let me check.' } }),
    frame({ type: 'content_block_stop', index: 1 }),
    frame({
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
    }),
    frame({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":' } }),
    frame({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
    frame({ type: 'content_block_stop', index: 2 }),
    frame({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 30 },
    }),
    frame({ type: 'message_stop' }),
  ].join('')
  const tools = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object' }, strict: null }]

  test('JSON: instructions → system, tools; thinking, text and tool_use → reasoning, message, function_call', async () => {
    replies.push(() =>
      Response.json(
        message(
          [
            { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
          'tool_use',
        ),
      ),
    )
    const res = await send(anthropic, 'claude-sonnet-4-5', {
      model: 'claude-sonnet-4-5',
      instructions: 'Be brief.',
      input: 'Weather?',
      tools,
      max_output_tokens: 500,
    })
    const sent = seen.at(-1)!
    expect(sent.path).toBe('/v1/messages')
    expect(sent.body).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      max_tokens: 500,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
    })
    const body = (await res.json()) as Json
    expect(body.status).toBe('completed')
    expect(body.output).toMatchObject([
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm.' }] },
      { type: 'message', content: [{ type: 'output_text', text: 'Checking.' }] },
      { type: 'function_call', call_id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ])
    expect(body.usage).toMatchObject({ input_tokens: 20, output_tokens: 9, total_tokens: 29 })
  })

  test('stream, read by the openai SDK; the signed thinking goes back on the next turn', async () => {
    replies.push(() => new Response(streamed, { headers: { 'content-type': 'text/event-stream' } }))
    await using gw = gatewayFor(anthropic, 'claude-sonnet-4-5')
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${gw.port}/v1`, maxRetries: 0 })
    const final = await client.responses
      .stream({ model: 'claude-sonnet-4-5', input: 'Weather?', tools, include: ['reasoning.encrypted_content'] })
      .finalResponse()
    expect(final.status).toBe('completed')
    expect(final.output_text).toBe('Let me check.')
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call'])
    expect(final.output[2]).toMatchObject({ call_id: 'toolu_1', arguments: '{"city":"Paris"}' })
    expect(final.usage).toMatchObject({ input_tokens: 20, output_tokens: 30 })

    replies.push(() => Response.json(message([{ type: 'text', text: 'Sunny.' }])))
    const next = await client.responses.create({
      model: 'claude-sonnet-4-5',
      input: [
        { role: 'user', content: 'Weather?' },
        ...(final.output as never[]),
        { type: 'function_call_output', call_id: 'toolu_1', output: 'clear sky' },
      ],
      tools,
      include: ['reasoning.encrypted_content'],
    })
    expect(next.output_text).toBe('Sunny.')
    const assistant = seen.at(-1)!.body.messages[1]
    expect(assistant.role).toBe('assistant')
    expect(assistant.content[0]).toEqual({
      type: 'thinking',
      thinking: 'The user wants weather.',
      signature: 'EqQBsig',
    })
    expect(assistant.content.at(-1)).toMatchObject({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'get_weather',
      input: { city: 'Paris' },
    })
  })

  test("an Anthropic error answer: OpenAI's shape, same status", async () => {
    replies.push(() =>
      Response.json({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, { status: 529 }),
    )
    const res = await send(anthropic, 'claude-sonnet-4-5', { model: 'claude-sonnet-4-5', input: 'x' })
    expect(res.status).toBe(529)
    expect(((await res.json()) as Json).error).toMatchObject({ message: 'Overloaded' })
  })
})
