// POST /v1/messages end to end: Anthropic-kind deployments get the client's bytes as they are; OpenAI-
// format deployments (here: a mock OpenAI upstream and the built-in echo) are served by translation.
// The official @anthropic-ai/sdk is the client.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, chatCompletion, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-messages-test-0123456789abcdef'
let claude: MockUpstream
let openai: MockUpstream
let gw: TestGateway
let sdk: Anthropic

// Anthropic's own framing: `event: <type>` then `data: {"type": <type>, ...}`.
const frame = (o: { type: string } & Record<string, unknown>) => `event: ${o.type}\ndata: ${JSON.stringify(o)}\n\n`
const anthropicMessage = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'Hello from Claude' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
}
const anthropicStream = [
  frame({
    type: 'message_start',
    message: { ...anthropicMessage, content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } },
  }),
  frame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  frame({ type: 'ping' }),
  frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' world' } }),
  frame({ type: 'content_block_stop', index: 0 }),
  frame({
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 6 },
  }),
  frame({ type: 'message_stop' }),
]
const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'hi' }],
  ...extra,
})

beforeAll(async () => {
  claude = await startMockUpstream()
  openai = await startMockUpstream()
  gw = await startGateway(`
[[keys]]
name = "dev"
key = "${KEY}"
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claude.url}/v1"
models = ["claude-sonnet-4-6"]
${provider('oai', openai.url, ['gpt-4o-mini'])}
[providers.echo]
kind = "echo"
models = ["echo"]
[aliases]
sonnet = "claude-sonnet-4-6"
`)
  sdk = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await claude.close()
  await openai.close()
})

describe('to an anthropic deployment (passthrough)', () => {
  test('the body bytes go through unchanged with our credentials and the client anthropic headers', async () => {
    claude.enqueue({ json: anthropicMessage })
    const raw = '{"model":"claude-sonnet-4-6","max_tokens":64,  "messages":[{"role":"user","content":"hi"}],"x":1}'
    const before = claude.requests.length
    const res = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: {
        'x-api-key': KEY,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'tools-2024-05-16',
        'content-type': 'application/json',
      },
      body: raw,
    })
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toEqual(anthropicMessage)
    const seen = claude.requests[before]!
    expect(seen.path).toBe('/v1/messages')
    expect(seen.text()).toBe(raw)
    expect(seen.headers['x-api-key']).toBe('sk-ant-upstream')
    expect(seen.headers['anthropic-beta']).toBe('tools-2024-05-16')
    expect(seen.headers['anthropic-version']).toBe('2023-06-01')
    expect(seen.headers.authorization).toBeUndefined()
  })

  test('the SDK gets a message, through an alias', async () => {
    claude.enqueue({ json: anthropicMessage })
    const before = claude.requests.length
    const message = await sdk.messages.create(ask('sonnet'))
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from Claude' } as never])
    expect(claude.requests[before]!.json().model).toBe('claude-sonnet-4-6')
  })

  test('the SDK streams, byte for byte', async () => {
    claude.enqueue({ sse: anthropicStream })
    const stream = sdk.messages.stream(ask('claude-sonnet-4-6'))
    const texts: string[] = []
    stream.on('text', (t) => texts.push(t))
    const final = await stream.finalMessage()
    expect(texts).toEqual(['Hello', ' world'])
    expect(final.stop_reason).toBe('end_turn')
    expect(final.usage.output_tokens).toBe(6)
  })

  test('an upstream Anthropic error comes back as it was', async () => {
    const error = { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: field required' } }
    claude.enqueue({ status: 400, json: error })
    const res = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: '{"model":"claude-sonnet-4-6","messages":[]}',
    })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual(error)
  })

  test('a 529 overloaded is retried', async () => {
    claude.enqueue(
      { status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
      { json: anthropicMessage },
    )
    const before = claude.requests.length
    const message = await sdk.messages.create(ask('claude-sonnet-4-6'))
    expect(message.id).toBe(anthropicMessage.id)
    expect(claude.requests.length - before).toBe(2)
  })

  test('a stream cut mid-way ends with an Anthropic error event', async () => {
    claude.enqueue({ sse: anthropicStream, cutAfter: 4 })
    const res = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: JSON.stringify(ask('claude-sonnet-4-6', { stream: true })),
    })
    const text = await res.text()
    expect(text.startsWith(anthropicStream.slice(0, 4).join(''))).toBe(true)
    expect(text).toMatch(
      /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The stream from provider 'claude' failed/,
    )
    expect(text).not.toContain('event: message_stop')
  })
})

describe('to OpenAI-format deployments (translated)', () => {
  test('the SDK gets a message from an OpenAI upstream; the upstream got a chat request', async () => {
    openai.enqueue({ json: chatCompletion('Hi from GPT') })
    const before = openai.requests.length
    const message = await sdk.messages.create({ ...ask('gpt-4o-mini'), max_tokens: 100, system: 'Be brief.' })
    expect(message.type).toBe('message')
    expect(message.role).toBe('assistant')
    expect(message.content).toEqual([{ type: 'text', text: 'Hi from GPT' } as never])
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage.input_tokens).toBe(9)
    expect(message.usage.output_tokens).toBe(4)
    const sent = openai.requests[before]!
    expect(sent.path).toBe('/v1/chat/completions')
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-oai')
    expect(sent.json()).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
    })
  })

  test('the SDK streams from an OpenAI upstream', async () => {
    openai.enqueue({ sse: chatChunks(['Str', 'eam', 'ed'], 'gpt-4o-mini', true) })
    const final = await sdk.messages.stream(ask('gpt-4o-mini')).finalMessage()
    expect(final.content).toEqual([{ type: 'text', text: 'Streamed' } as never])
    expect(final.stop_reason).toBe('end_turn')
  })

  test('the SDK works against the built-in echo model, streaming and not', async () => {
    const message = await sdk.messages.create({ ...ask('echo'), messages: [{ role: 'user', content: 'ping pong' }] })
    expect(message.content[0]).toMatchObject({ type: 'text' })
    expect(JSON.stringify(message.content)).toContain('ping pong')
    const final = await sdk.messages
      .stream({ ...ask('echo'), messages: [{ role: 'user', content: 'stream me' }] })
      .finalMessage()
    expect(JSON.stringify(final.content)).toContain('stream me')
  })

  test('an OpenAI upstream error comes back in Anthropic shape with its status', async () => {
    openai.enqueue(openAiError(400, 'bad things', 'invalid_request_error'))
    const err = await sdk.messages.create(ask('gpt-4o-mini')).catch((e) => e)
    expect(err).toBeInstanceOf(Anthropic.BadRequestError)
    expect(err.status).toBe(400)
    expect(err.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'bad things' } })
  })
})

describe('gateway errors in Anthropic shape', () => {
  test('no key is a 401 authentication_error', async () => {
    const res = await gw.fetch('/v1/messages', {
      method: 'POST',
      body: '{"model":"echo","max_tokens":5,"messages":[]}',
    })
    expect(res.status).toBe(401)
    const body = await jsonOf(res)
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('authentication_error')
  })

  test('an unknown model is a 404 not_found_error', async () => {
    const err = await sdk.messages.create(ask('claude-9')).catch((e) => e)
    expect(err).toBeInstanceOf(Anthropic.NotFoundError)
    expect(err.error.error.type).toBe('not_found_error')
    expect(err.error.error.message).toContain('claude-9')
  })

  test('malformed JSON is a 400 invalid_request_error', async () => {
    const res = await gw.fetch('/v1/messages', { method: 'POST', headers: { 'x-api-key': KEY }, body: '{"model":' })
    expect(res.status).toBe(400)
    expect((await jsonOf(res)).error.type).toBe('invalid_request_error')
  })

  test('an invalid Messages body to a translated deployment is a 400 naming the field', async () => {
    const res = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}',
    })
    expect(res.status).toBe(400)
    const body = await jsonOf(res)
    expect(body.type).toBe('error')
    expect(body.error.message).toContain('max_tokens')
  })
})

test('no unexpected errors were logged', () => {
  expect(gw.errors()).toEqual([])
})
