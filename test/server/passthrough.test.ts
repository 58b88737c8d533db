// The relay's core promise: the client's bytes go upstream unchanged (only credentials and, for an
// alias, `model` differ) and the upstream's bytes come back unchanged, streams included.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-test-passthrough-0123456789abcdef'
let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(`
admin_token = "admin-token-0123456789"
[[keys]]
name = "team"
key = "${KEY}"
${provider('up', mock.url, ['gpt-4o-mini', 'text-embedding-3-small'])}
[aliases]
fast = "gpt-4o-mini"
`)
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})

describe('request bytes', () => {
  test('odd but valid JSON reaches the upstream byte for byte', async () => {
    // Key order, spacing, unicode escapes and unknown fields all survive: the gateway never re-serialises.
    const raw =
      '{ "model":"gpt-4o-mini",\n  "messages":[{"role":"user","content":"caf\\u00e9 ☕"}], "x_vendor": {"a":[1,2.50,3e2]} }'
    const before = mock.requests.length
    const res = await gw.chat(raw, { key: KEY })
    expect(res.status).toBe(200)
    const seen = mock.requests[before]!
    expect(seen.text()).toBe(raw)
    expect(seen.path).toBe('/v1/chat/completions')
    expect(seen.method).toBe('POST')
  })

  test('credentials are replaced: the client key never reaches the upstream', async () => {
    const before = mock.requests.length
    await gw.chat(
      { model: 'gpt-4o-mini', messages: [] },
      { key: KEY, headers: { 'x-api-key': KEY, cookie: 'session=1' } },
    )
    const seen = mock.requests[before]!
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-up')
    expect(JSON.stringify(seen.headers)).not.toContain(KEY)
    expect(seen.headers.cookie).toBeUndefined()
    expect(seen.headers['content-type']).toBe('application/json')
  })

  test('an alias rewrites only `model`', async () => {
    const before = mock.requests.length
    const res = await gw.chat(
      { model: 'fast', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 },
      { key: KEY },
    )
    expect(res.status).toBe(200)
    expect(mock.requests[before]!.json()).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
    })
  })

  test('embeddings go to /v1/embeddings unchanged', async () => {
    const raw = '{"model":"text-embedding-3-small","input":["a","b"]}'
    const before = mock.requests.length
    const res = await gw.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: raw,
    })
    expect(res.status).toBe(200)
    expect(mock.requests[before]!.path).toBe('/v1/embeddings')
    expect(mock.requests[before]!.text()).toBe(raw)
    expect((await jsonOf(res)).object).toBe('list')
  })
})

describe('response bytes', () => {
  test('a non-stream answer comes back byte for byte with a request id', async () => {
    const body = JSON.stringify(chatCompletion('exact bytes ✓')).replace('{', '{  ')
    mock.enqueue({ body, headers: { 'content-type': 'application/json' } })
    const res = await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await res.text()).toBe(body)
  })

  test("the client's own x-request-id is kept when sane and replaced when not", async () => {
    const kept = await gw.chat(
      { model: 'gpt-4o-mini', messages: [] },
      { key: KEY, headers: { 'x-request-id': 'trace-42' } },
    )
    expect(kept.headers.get('x-request-id')).toBe('trace-42')
    const replaced = await gw.chat(
      { model: 'gpt-4o-mini', messages: [] },
      { key: KEY, headers: { 'x-request-id': 'bad id with spaces' } },
    )
    expect(replaced.headers.get('x-request-id')).not.toBe('bad id with spaces')
  })

  test('a stream is relayed frame for frame with SSE headers', async () => {
    const frames = chatChunks(['a', 'b', 'c', 'd'], 'gpt-4o-mini', true)
    mock.enqueue({ sse: frames })
    // The client asks for the usage chunk: otherwise metrics (which asks for it to count tokens) hides it.
    const res = await gw.chat(
      { model: 'gpt-4o-mini', messages: [], stream: true, stream_options: { include_usage: true } },
      { key: KEY },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(await res.text()).toBe(frames.join(''))
  })

  test('stream chunks reach the client before the upstream finishes', async () => {
    const { promise: release, resolve } = Promise.withResolvers<void>()
    const frames = chatChunks(['first', 'second'])
    mock.enqueue({ sse: frames, holdFrames: release, holdFramesAfter: 2 })
    const res = await gw.chat({ model: 'gpt-4o-mini', messages: [], stream: true }, { key: KEY })
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let seen = ''
    while (!seen.includes('first')) {
      const { value, done } = await reader.read()
      expect(done).toBe(false)
      seen += decoder.decode(value, { stream: true })
    }
    expect(seen).toBe(frames.slice(0, 2).join(''))
    resolve()
    while (true) {
      const { value, done } = await reader.read()
      if (done) break
      seen += decoder.decode(value, { stream: true })
    }
    expect(seen).toBe(frames.join(''))
  })

  test('a client that leaves mid-stream cancels the upstream request', async () => {
    const never = Promise.withResolvers<void>()
    mock.enqueue({ sse: chatChunks(['x', 'y']), holdFrames: never.promise, holdFramesAfter: 1 })
    const controller = new AbortController()
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true }),
      signal: controller.signal,
    })
    const reader = res.body!.getReader()
    await reader.read()
    controller.abort()
    await mock.aborted
    expect(gw.errors()).toEqual([])
  })

  test('readSse sees [DONE] last', async () => {
    const res = await gw.chat({ model: 'gpt-4o-mini', messages: [], stream: true }, { key: KEY })
    const events = await readSse(res)
    expect(events.at(-1)).toBe('[DONE]')
  })
})

test('no unexpected errors were logged', () => {
  expect(gw.errors()).toEqual([])
})
