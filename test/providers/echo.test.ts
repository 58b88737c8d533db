import { describe, expect, test } from 'bun:test'
import type { ProviderConfig } from '../../src/config/schema'
import { createProvider } from '../../src/providers'
import { echoKind } from '../../src/providers/echo'
import { countTokens } from '../../src/providers/echo/tokens'
import type { Endpoint, Provider } from '../../src/providers/provider'

const CONFIG: ProviderConfig = {
  kind: 'echo',
  models: [],
  weight: 1,
  max_retries: 2,
  timeout: 30,
  stream_idle_timeout: 60,
  cooldown_failures: 5,
  cooldown_seconds: 30,
}
const echo: Provider = createProvider('e', echoKind.normalize!(CONFIG))

function send(
  endpoint: Endpoint,
  json: Record<string, unknown>,
  options: { stream?: boolean; signal?: AbortSignal } = {},
) {
  const body = new TextEncoder().encode(JSON.stringify(json))
  return echo.send({
    endpoint,
    model: 'echo',
    body,
    json,
    stream: options.stream ?? false,
    signal: options.signal ?? new AbortController().signal,
  })
}

/** The JSON payloads of an SSE body; asserts it is well-formed frames ending with [DONE]. */
async function frames(res: Response): Promise<{ events: any[]; raw: string[] }> {
  const text = await res.text()
  expect(text.endsWith('\n\n')).toBe(true)
  const raw = text.slice(0, -2).split('\n\n')
  for (const frame of raw) expect(frame.startsWith('data: ')).toBe(true)
  expect(raw[raw.length - 1]).toBe('data: [DONE]')
  return { events: raw.slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length))), raw }
}

/** Response.json() is typed unknown; these tests read OpenAI-shaped bodies loosely. */
function json(res: Response): Promise<any> {
  return res.json()
}

function decodeFloats(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64')
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))
}

describe('echo provider', () => {
  test('serves the model "echo" when none are configured, and keeps configured ones', () => {
    expect(echoKind.normalize!(CONFIG).models).toEqual(['echo'])
    expect(echoKind.normalize!({ ...CONFIG, models: ['a', 'b'] }).models).toEqual(['a', 'b'])
    expect(echo.kind).toBe('echo')
    expect(echo.name).toBe('e')
  })
})

describe('echo chat', () => {
  test('answers with the last user message as a chat.completion', async () => {
    const res = await send('chat', {
      model: 'echo',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: 'Hello, crab world!' },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = await json(res)
    expect(body.object).toBe('chat.completion')
    expect(body.model).toBe('echo')
    expect(body.id).toMatch(/^chatcmpl-echo[0-9a-f]{24}$/)
    expect(Number.isInteger(body.created)).toBe(true)
    expect(body.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello, crab world!', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ])
    // Hello , crab world ! = 5 tokens; prompt = 3 + 4 messages × 3 + (2 + 2 + 2 + 5)
    expect(body.usage).toEqual({ prompt_tokens: 26, completion_tokens: 5, total_tokens: 31 })
  })

  test.each([
    [
      'text parts joined by newlines',
      [
        { type: 'text', text: 'a' },
        { type: 'image_url', image_url: { url: 'x' } },
        { type: 'text', text: 'b' },
      ],
      'a\nb',
    ],
    ['null content', null, ''],
    ['an empty string', '', ''],
  ])('reads %s', async (_name, content, expected) => {
    const body = await json(await send('chat', { messages: [{ role: 'user', content }] }))
    expect(body.choices[0].message.content).toBe(expected)
  })

  test('answers with empty text when there is no user message', async () => {
    const body = await json(await send('chat', { messages: [{ role: 'system', content: 'x' }] }))
    expect(body.choices[0].message.content).toBe('')
    expect(body.usage.completion_tokens).toBe(0)
  })

  test('gives each answer its own id', async () => {
    const a = await json(await send('chat', { messages: [{ role: 'user', content: 'x' }] }))
    const b = await json(await send('chat', { messages: [{ role: 'user', content: 'x' }] }))
    expect(a.id).not.toBe(b.id)
  })

  test('streams a role chunk, content chunks, a finish chunk, then [DONE]', async () => {
    const text = 'The quick brown fox jumps over the lazy dog, twice.'
    const res = await send('chat', { messages: [{ role: 'user', content: text }] }, { stream: true })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const { events } = await frames(res)
    const [role, ...rest] = events
    const finish = rest.pop()
    for (const e of events) {
      expect(e.object).toBe('chat.completion.chunk')
      expect(e.id).toBe(role.id)
      expect(e.model).toBe('echo')
      expect(e.usage).toBeUndefined()
    }
    expect(role.choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
    ])
    expect(finish.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }])
    expect(rest.length).toBeGreaterThan(1) // split into several chunks
    for (const e of rest) expect(e.choices[0].finish_reason).toBeNull()
    expect(rest.map((e) => e.choices[0].delta.content).join('')).toBe(text)
    for (const e of rest) expect(countTokens(e.choices[0].delta.content)).toBeLessThanOrEqual(3)
  })

  test('adds a usage chunk before [DONE] when stream_options.include_usage is set', async () => {
    const messages = [{ role: 'user', content: 'one two three' }]
    const res = await send('chat', { messages, stream_options: { include_usage: true } }, { stream: true })
    const { events } = await frames(res)
    const last = events[events.length - 1]
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 })
    expect(events[events.length - 2].choices[0].finish_reason).toBe('stop')
    expect(events.filter((e) => e.usage).length).toBe(1)
  })

  test.each([[{ include_usage: false }], [{ include_usage: 'yes' }], [undefined]])(
    'has no usage chunk for stream_options %p',
    async (options) => {
      const res = await send(
        'chat',
        { messages: [{ role: 'user', content: 'hi' }], stream_options: options },
        { stream: true },
      )
      const { events } = await frames(res)
      expect(events.some((e) => 'usage' in e)).toBe(false)
    },
  )

  test('streams an empty answer as role, finish and [DONE] only', async () => {
    const res = await send('chat', { messages: [{ role: 'user', content: '' }] }, { stream: true })
    const { events } = await frames(res)
    expect(events.length).toBe(2)
  })

  test('keeps multi-byte text whole across chunks', async () => {
    const text = 'héllo wörld 日本語 🦀 crab ñ'
    const res = await send('chat', { messages: [{ role: 'user', content: text }] }, { stream: true })
    const { events } = await frames(res)
    expect(events.map((e) => e.choices[0].delta.content ?? '').join('')).toBe(text)
  })

  test('errors the stream once the call is aborted', async () => {
    const controller = new AbortController()
    const res = await send(
      'chat',
      { messages: [{ role: 'user', content: 'a b c d e f g h i j' }] },
      { stream: true, signal: controller.signal },
    )
    const reader = res.body!.getReader()
    await reader.read()
    controller.abort(new Error('gone'))
    let error: unknown
    try {
      for (;;) if ((await reader.read()).done) break
    } catch (err) {
      error = err
    }
    expect((error as Error).message).toBe('gone')
  })

  test.each<[string, unknown, string]>([
    ['no messages', undefined, 'messages'],
    ['an empty list', [], 'messages'],
    ['a string', 'hi', 'messages'],
    ['a non-object message', ['hi'], 'messages[0]'],
    ['a null message', [null], 'messages[0]'],
    ['a list as a message', [[]], 'messages[0]'],
    ['a message without a role', [{ content: 'x' }], 'messages[0].role'],
    [
      'a numeric content',
      [
        { role: 'user', content: 'ok' },
        { role: 'user', content: 42 },
      ],
      'messages[1].content',
    ],
    ['an object content', [{ role: 'user', content: { text: 'x' } }], 'messages[0].content'],
    ['a null content part', [{ role: 'user', content: [null] }], 'messages[0].content'],
  ])('rejects %s with a 400 naming %p', async (_name, messages, param) => {
    const res = await send('chat', messages === undefined ? {} : { messages })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = await json(res)
    expect(body).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param, code: 'invalid_value' },
    })
    expect(body.error.message).toContain(param)
  })

  test('rejects a bad request with JSON even when a stream was asked for', async () => {
    const res = await send('chat', { messages: [] }, { stream: true })
    expect(res.status).toBe(400)
    expect((await json(res)).error.param).toBe('messages')
  })
})

describe('echo embeddings', () => {
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))

  test('returns one 16-dimensional unit vector per input, in the OpenAI list shape', async () => {
    const res = await send('embeddings', { model: 'echo', input: ['alpha', 'beta gamma'] })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = await json(res)
    expect(body.object).toBe('list')
    expect(body.model).toBe('echo')
    expect(body.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 })
    expect(body.data.map((d: any) => [d.object, d.index])).toEqual([
      ['embedding', 0],
      ['embedding', 1],
    ])
    for (const d of body.data) {
      expect(d.embedding.length).toBe(16)
      expect(norm(d.embedding)).toBeCloseTo(1, 5)
    }
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding)
  })

  test('is deterministic: the same text gives the same vector, in any request', async () => {
    const a = await json(await send('embeddings', { input: 'same text' }))
    const b = await json(await send('embeddings', { input: ['other', 'same text'] }))
    expect(a.data[0].embedding).toEqual(b.data[1].embedding)
    expect(a.data[0].embedding).not.toEqual(b.data[0].embedding)
  })

  test.each([[1], [3], [16], [17], [33], [256], [4096]])(
    'honours dimensions = %p with a unit vector',
    async (dimensions) => {
      const body = await json(await send('embeddings', { input: 'x', dimensions }))
      const v = body.data[0].embedding as number[]
      expect(v.length).toBe(dimensions)
      expect(norm(v)).toBeCloseTo(1, 4)
      expect(v.every((x) => Number.isFinite(x))).toBe(true)
    },
  )

  test('uses distinct values past the first 16 dimensions', async () => {
    const body = await json(await send('embeddings', { input: 'x', dimensions: 64 }))
    const v = body.data[0].embedding as number[]
    expect(v.slice(16, 32)).not.toEqual(v.slice(0, 16))
  })

  test('base64 encoding decodes to the same float32 values as the float encoding', async () => {
    const input = ['one', 'two three']
    const floats = await json(await send('embeddings', { input, dimensions: 20 }))
    const b64 = await json(await send('embeddings', { input, dimensions: 20, encoding_format: 'base64' }))
    for (let i = 0; i < input.length; i++) {
      expect(typeof b64.data[i].embedding).toBe('string')
      const decoded = decodeFloats(b64.data[i].embedding)
      expect(decoded.length).toBe(20)
      expect(decoded).toEqual(floats.data[i].embedding.map((x: number) => Math.fround(x)))
    }
  })

  test('encoding_format "float" is the same as leaving it out', async () => {
    const a = await json(await send('embeddings', { input: 'q', encoding_format: 'float' }))
    const b = await json(await send('embeddings', { input: 'q' }))
    expect(a.data).toEqual(b.data)
  })

  test.each<[string, unknown, number]>([
    ['a string', 'a b', 1],
    ['a list of strings', ['a', 'b', 'c'], 3],
    ['a token list', [1, 2, 3], 1],
    ['a list of token lists', [[1, 2], [3]], 2],
  ])('accepts input as %s', async (_name, input, count) => {
    const res = await send('embeddings', { input })
    expect(res.status).toBe(200)
    expect((await json(res)).data.length).toBe(count)
  })

  test.each<[string, Record<string, unknown>, string]>([
    ['missing input', {}, 'input'],
    ['an empty list', { input: [] }, 'input'],
    ['a number', { input: 3 }, 'input'],
    ['mixed strings and numbers', { input: ['a', 1] }, 'input'],
    ['non-integer tokens', { input: [1.5, 2] }, 'input'],
    ['a list of mixed lists', { input: [[1], ['a']] }, 'input'],
    ['zero dimensions', { input: 'x', dimensions: 0 }, 'dimensions'],
    ['fractional dimensions', { input: 'x', dimensions: 1.5 }, 'dimensions'],
    ['string dimensions', { input: 'x', dimensions: '16' }, 'dimensions'],
    ['too many dimensions', { input: 'x', dimensions: 4097 }, 'dimensions'],
    ['an unknown encoding_format', { input: 'x', encoding_format: 'hex' }, 'encoding_format'],
  ])('rejects %s with a 400 naming %p', async (_name, request, param) => {
    const res = await send('embeddings', request)
    expect(res.status).toBe(400)
    const body = await json(res)
    expect(body).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param, code: 'invalid_value' },
    })
    expect(body.error.message).toContain(param)
  })
})
