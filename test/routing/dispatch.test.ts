// Retries, Retry-After, fallback, timeouts and the stream commit rule, through real HTTP against
// recording mocks. Backoff is shortened (FAST_DISPATCH); its jitter is unit-tested in backoff.test.ts.
import { afterEach, describe, expect, test } from 'bun:test'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import {
  chatChunks,
  chatCompletion,
  closedPort,
  type MockUpstream,
  openAiError,
  startMockUpstream,
} from '../support/mock-upstream'

const open: AsyncDisposable[] = []
afterEach(async () => {
  for (const d of open.splice(0).reverse()) await d[Symbol.asyncDispose]()
})
async function mock(): Promise<MockUpstream> {
  const m = await startMockUpstream()
  open.push(m)
  return m
}
async function gateway(toml: string, dispatch = {}): Promise<TestGateway> {
  const g = await startGateway(toml, { dispatch })
  open.push(g)
  return g
}
const ask = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
const askStream = { ...ask, stream: true }

describe('retries on one deployment', () => {
  test.each([429, 500, 502, 503, 504, 529])('a %i is retried and the retry answers', async (status) => {
    const up = await mock()
    up.enqueue(openAiError(status, 'transient'))
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect(up.requests.length).toBe(2)
    // The retry carries the same bytes.
    expect(up.requests[1]!.text()).toBe(up.requests[0]!.text())
    expect(gw.errors()).toEqual([])
  })

  test('max_retries bounds the attempts, then the last upstream error is relayed as-is', async () => {
    const up = await mock()
    up.fallback = () => openAiError(503, 'overloaded', 'server_error', 'overloaded')
    const gw = await gateway(provider('a', up.url, ['m'], 'max_retries = 3'))
    const res = await gw.chat(ask)
    expect(res.status).toBe(503)
    expect(await jsonOf(res)).toEqual({
      error: { message: 'overloaded', type: 'server_error', param: null, code: 'overloaded' },
    })
    expect(up.requests.length).toBe(4)
  })

  test('max_retries = 0 makes one attempt', async () => {
    const up = await mock()
    up.fallback = () => openAiError(500, 'boom', 'server_error')
    const gw = await gateway(provider('a', up.url, ['m'], 'max_retries = 0'))
    expect((await gw.chat(ask)).status).toBe(500)
    expect(up.requests.length).toBe(1)
  })

  test('a connection reset is retried', async () => {
    const up = await mock()
    up.enqueue({ reset: true })
    const gw = await gateway(provider('a', up.url, ['m']))
    expect((await gw.chat(ask)).status).toBe(200)
    expect(up.requests.length).toBe(2)
  })

  test('a body cut mid-way is retried for a non-stream request', async () => {
    const up = await mock()
    up.enqueue({ json: chatCompletion(), cutAfter: 0 })
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).object).toBe('chat.completion')
    expect(up.requests.length).toBe(2)
  })

  test('Retry-After is honoured (and capped) before the retry', async () => {
    const up = await mock()
    up.enqueue({ ...openAiError(429, 'slow down', 'rate_limit_error'), headers: { 'retry-after': '7' } })
    const waits: number[] = []
    const gw = await gateway(provider('a', up.url, ['m']), {
      retryAfterCapMs: 20_000,
      sleep: async (ms: number) => void waits.push(ms),
    })
    expect((await gw.chat(ask)).status).toBe(200)
    expect(waits).toEqual([7000])
  })

  test('retry-after-ms wins over retry-after', async () => {
    const up = await mock()
    up.enqueue({ ...openAiError(429, 'slow down'), headers: { 'retry-after-ms': '250', 'retry-after': '9' } })
    const waits: number[] = []
    const gw = await gateway(provider('a', up.url, ['m']), { sleep: async (ms: number) => void waits.push(ms) })
    expect((await gw.chat(ask)).status).toBe(200)
    expect(waits).toEqual([50]) // FAST_DISPATCH caps Retry-After at 50 ms
  })
})

describe('non-transient answers', () => {
  test.each([400, 401, 403, 404, 422])(
    'an upstream %i is relayed at once, with no retry and no fallback',
    async (status) => {
      const a = await mock()
      const b = await mock()
      const error = openAiError(status, `upstream said ${status}`, 'invalid_request_error', 'some_code')
      a.fallback = () => error
      const gw = await gateway(
        provider('a', a.url, ['m'], 'weight = 100') + provider('b', b.url, ['m'], 'weight = 1'),
        { random: () => 0 },
      )
      const res = await gw.chat(ask)
      expect(res.status).toBe(status)
      expect(await jsonOf(res)).toEqual(error.json as object)
      expect(a.requests.length).toBe(1)
      expect(b.requests.length).toBe(0)
    },
  )
})

describe('fallback', () => {
  test('after the retries on one deployment, the next one answers', async () => {
    const a = await mock()
    const b = await mock()
    a.fallback = () => openAiError(502, 'bad gateway', 'server_error')
    const gw = await gateway(
      provider('a', a.url, ['m'], 'weight = 10\nmax_retries = 1') + provider('b', b.url, ['m'], 'weight = 1'),
      { random: () => 0 },
    )
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect(a.requests.length).toBe(2)
    expect(b.requests.length).toBe(1)
    expect(b.requests[0]!.headers.authorization).toBe('Bearer sk-upstream-b')
  })

  test('a refused connection falls back; when every deployment is down the client gets a 502', async () => {
    const port = await closedPort()
    const b = await mock()
    const down = `http://127.0.0.1:${port}`
    const gw = await gateway(provider('a', down, ['m'], 'weight = 10\nmax_retries = 0') + provider('b', b.url, ['m']), {
      random: () => 0,
    })
    expect((await gw.chat(ask)).status).toBe(200)
    expect(b.requests.length).toBe(1)

    const dead = await gateway(provider('a', down, ['m'], 'max_retries = 1'))
    const res = await dead.chat(ask)
    expect(res.status).toBe(502)
    const { error } = await jsonOf(res)
    expect(error.type).toBe('server_error')
    expect(error.code).toBe('upstream_unreachable')
    expect(error.message).toContain("'a'")
    expect(dead.errors()).toEqual([])
  })

  test('weights spread traffic across deployments', async () => {
    const a = await mock()
    const b = await mock()
    let i = 0
    const sequence = [0.1, 0.9, 0.5, 0.95, 0.2]
    const gw = await gateway(provider('a', a.url, ['m'], 'weight = 3') + provider('b', b.url, ['m'], 'weight = 1'), {
      random: () => sequence[i++ % sequence.length]!,
    })
    for (let n = 0; n < 5; n++) expect((await gw.chat(ask)).status).toBe(200)
    expect(a.requests.length).toBe(3)
    expect(b.requests.length).toBe(2)
  })
})

describe('timeouts', () => {
  test('a silent upstream is a 504 after the deployment timeout, then falls back', async () => {
    const slow = await mock()
    const never = Promise.withResolvers<void>()
    slow.fallback = () => ({ hold: never.promise, json: chatCompletion() })
    const b = await mock()
    const gw = await gateway(
      provider('slow', slow.url, ['m'], 'weight = 10\ntimeout = 0.05\nmax_retries = 0') + provider('b', b.url, ['m']),
      { random: () => 0 },
    )
    expect((await gw.chat(ask)).status).toBe(200)
    expect(b.requests.length).toBe(1)

    const alone = await gateway(provider('slow', slow.url, ['m'], 'timeout = 0.05\nmax_retries = 1'))
    const res = await alone.chat(ask)
    expect(res.status).toBe(504)
    const { error } = await jsonOf(res)
    expect(error.code).toBe('upstream_timeout')
    expect(error.message).toContain('50 ms')
    never.resolve()
  })
})

describe('the stream commit rule', () => {
  test('a stream that fails before its first byte is retried invisibly', async () => {
    const up = await mock()
    up.enqueue({ sse: chatChunks(), cutAfter: 0 })
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(askStream)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(chatChunks().join(''))
    expect(up.requests.length).toBe(2)
  })

  test('a 429 on a stream is retried like any other', async () => {
    const up = await mock()
    up.enqueue(openAiError(429, 'later'))
    const gw = await gateway(provider('a', up.url, ['m']))
    const events = await readSse(await gw.chat(askStream))
    expect(events.at(-1)).toBe('[DONE]')
    expect(up.requests.length).toBe(2)
  })

  test('a stream cut after its first bytes ends with an in-band error event and no [DONE]', async () => {
    const up = await mock()
    const frames = chatChunks(['one', 'two', 'three'])
    up.enqueue({ sse: frames, cutAfter: 2 })
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(askStream)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.startsWith(frames.slice(0, 2).join(''))).toBe(true)
    const events = text.split('\n\n').filter(Boolean)
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, ''))
    expect(last.error.type).toBe('server_error')
    expect(last.error.code).toBe('upstream_stream_error')
    expect(text).not.toContain('[DONE]')
    expect(up.requests.length).toBe(1)
    expect(gw.errors()).toEqual([])
  })

  test('a stream that ends cleanly without [DONE] is reported as truncated', async () => {
    const up = await mock()
    up.enqueue({ sse: chatChunks().slice(0, -1) })
    const gw = await gateway(provider('a', up.url, ['m']))
    const text = await (await gw.chat(askStream)).text()
    expect(text).toContain('upstream_stream_error')
    expect(text).toContain('before [DONE]')
    expect(text).not.toContain('data: [DONE]')
  })
})
